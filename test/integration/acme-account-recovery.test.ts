/**
 * A lost or corrupt account.json never costs the account: the next run keeps account.key as it
 * is and finds the account again at the CA by that key (onlyReturnExisting), and a corrupt
 * record is kept aside. A key that is not a key stops the run with its path and is left alone.
 * An interrupted key rollover is settled by asking the CA which key it knows. Against Pebble.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient } from '../../src/acme/index.js';
import { recordingLogger } from '../../src/logger.js';
import { AcmeClients } from '../../src/renewal/acme-clients.js';
import type { CaSettings } from '../../src/renewal/managed.js';
import { AccountStore, AccountStoreError } from '../../src/store/account-store.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let ca: CaSettings;
beforeAll(async () => {
  pebble = await startPebble();
  ca = { directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, requestTimeoutMs: 10_000, contact: ['ops@example.test'], acceptTermsOfService: true };
});
afterAll(async () => {
  await pebble?.stop();
});

/** One run: open the CA's client as renew would, and return what it logged. */
async function run(store: AccountStore): Promise<{ url: string; warnings: string[] }> {
  const logger = recordingLogger();
  const clients = new AcmeClients(store, logger, () => new Date());
  try {
    const client = await clients.get(ca);
    return { url: (await client.accountInfo()).url, warnings: logger.lines.filter((l) => l.level === 'warn').map((l) => l.message) };
  } finally {
    clients.close();
  }
}

const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8')) as { url: string };

describe('account recovery', () => {
  it('several runs opening the CA at once on a store with no account yet: one key stored, one account, every run uses it', async () => {
    const store = new AccountStore(tempDir());
    // Each run loads (nothing), makes its own key and asks the CA before storing it: all of them race to store theirs.
    const runs = await Promise.all(Array.from({ length: 5 }, () => run(store)));
    expect(new Set(runs.map((r) => r.url)).size).toBe(1);
    const dir = store.dir(ca.directoryUrl);
    expect(readJson(dir).url).toBe(runs[0]!.url);
    expect(readdirSync(dir).filter((f) => f.startsWith('account.key'))).toEqual(['account.key']);
  });

  it('finds the same account with the same key after account.json was corrupted or deleted', async () => {
    const store = new AccountStore(tempDir());
    const dir = store.dir(ca.directoryUrl);
    const first = await run(store);
    const key = readFileSync(join(dir, 'account.key'));
    expect(readJson(dir).url).toBe(first.url);

    writeFileSync(join(dir, 'account.json'), '{not json');
    const afterCorrupt = await run(store);
    expect(afterCorrupt.url).toBe(first.url);
    expect(readFileSync(join(dir, 'account.key'))).toEqual(key);
    expect(readJson(dir).url).toBe(first.url);
    const aside = readdirSync(dir).filter((f) => f.startsWith('account.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe('{not json');
    expect(afterCorrupt.warnings.join('\n')).toMatch(/account\.json was unreadable/);

    rmSync(join(dir, 'account.json'));
    const afterDelete = await run(store);
    expect(afterDelete.url).toBe(first.url);
    expect(readFileSync(join(dir, 'account.key'))).toEqual(key);
    expect(readJson(dir).url).toBe(first.url);
    expect(afterDelete.warnings.join('\n')).toMatch(/account\.json is missing/);
  });

  it('stops at a garbage account.key, names it, and leaves it untouched', async () => {
    const store = new AccountStore(tempDir());
    const dir = store.dir(ca.directoryUrl);
    const first = await run(store);
    writeFileSync(join(dir, 'account.key'), 'garbage, not a key\n');
    const before = readdirSync(dir).sort();
    const err = await run(store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountStoreError);
    expect((err as Error).message).toContain(join(dir, 'account.key'));
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe('garbage, not a key\n');
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readJson(dir).url).toBe(first.url);
  });

  it('settles a rollover that reached the CA before the crash: the new key becomes the account key', async () => {
    const store = new AccountStore(tempDir());
    const dir = store.dir(ca.directoryUrl);
    const first = await run(store);
    const oldKey = readFileSync(join(dir, 'account.key'), 'utf8');
    const newKey = await generatePrivateKey('ec-p256');
    await store.stagePendingKey(ca.directoryUrl, newKey);
    const client = new AcmeClient({ directoryUrl: ca.directoryUrl, caBundlePem: ca.caBundlePem, accountKeyPem: oldKey, accountUrl: first.url });
    await client.rolloverKey(newKey);
    client.close();
    // ...and the process dies here, before promoting the staged key.

    const next = await run(store);
    expect(next.url).toBe(first.url);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(newKey);
    const old = readdirSync(dir).filter((f) => f.startsWith('account.key.old-'));
    expect(old).toHaveLength(1);
    expect(readFileSync(join(dir, old[0]!), 'utf8')).toBe(oldKey);
    expect(existsSync(join(dir, 'account.key.pending'))).toBe(false);
    expect(next.warnings.join('\n')).toMatch(/rollover had reached the CA/);
  });

  it('settles a rollover that never reached the CA: the old key stays, the unused one goes aside', async () => {
    const store = new AccountStore(tempDir());
    const dir = store.dir(ca.directoryUrl);
    const first = await run(store);
    const oldKey = readFileSync(join(dir, 'account.key'), 'utf8');
    await store.stagePendingKey(ca.directoryUrl, await generatePrivateKey('ec-p256'));

    const next = await run(store);
    expect(next.url).toBe(first.url);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(oldKey);
    expect(readdirSync(dir).filter((f) => f.startsWith('account.key.pending.unused-'))).toHaveLength(1);
    expect(next.warnings.join('\n')).toMatch(/rollover never reached the CA/);
  });
});
