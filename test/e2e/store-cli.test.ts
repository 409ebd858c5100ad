/**
 * `certfleet store import|export|rotate-key` and `--store <url>` through the built CLI: a state
 * directory made by a real issuance (Pebble, http-01 standalone) imported into PostgreSQL named
 * only by --store (with a password, which no output may show), imported again (nothing changes),
 * read by `status` from the database, exported into a new directory that `status` and
 * `renew --plan` on a file-store config read the same, and the key rotated.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

const SECRET = 's3cret-pw';

/** A config managing www (the same entry in every config: the same spec), with this stateDir and store section. */
function writeConfig(name: string, stateDir: string, store?: object): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      stateDir,
      ...(store ? { store } : {}),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [
        {
          name: 'www',
          domains: ['www.example.test'],
          challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
          deploy: { fullchain: join(dir, 'tls', 'www.pem'), key: join(dir, 'tls', 'www.key') },
        },
      ],
    }),
  );
  return path;
}

const outputs: CliResult[] = [];
async function cli(config: string, args: string[]): Promise<CliResult> {
  const r = await runCli(['--config', config, ...args], { timeoutMs: 60_000 });
  outputs.push(r);
  return r;
}

beforeAll(async () => {
  [pebble, postgres] = await Promise.all([startPebble(), startPostgres()]);
  dir = tempDir('certfleet-store-cli-');
  mkdirSync(join(dir, 'tls'));
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  writeFileSync(join(dir, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'store2.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
  await pebble?.stop();
});

describe('store import, export and rotate-key with --store', () => {
  it('moves a real state directory into PostgreSQL and back out, never printing the password', async () => {
    const stateDir = join(dir, 'state');
    const fileConfig = writeConfig('file', stateDir);
    // The config names the key and no database: only --store reaches one.
    const unused = { url: 'postgres://nobody@127.0.0.1:1/unused' };
    const pgConfig = writeConfig('pg', join(dir, 'state-unused'), { encryptionKeyFile: 'store.key' });
    const database = (await postgres.createDatabase('fleet')).replace('postgres@', `postgres:${SECRET}@`);
    expect(database).toContain(SECRET);

    const issued = await cli(fileConfig, ['renew', '--format', 'json']);
    expect(issued.code, issued.stderr).toBe(0);
    const serial = (JSON.parse(issued.stdout) as RenewRunResult).certificates[0]!.serialNumber;
    expect(serial).toMatch(/^[0-9a-f]+$/);

    const migrated = await cli(pgConfig, ['store', 'migrate', '--store', database]);
    expect(migrated.code, migrated.stderr).toBe(0);

    const first = await cli(pgConfig, ['store', 'import', '--from', stateDir, '--store', database, '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const imported = JSON.parse(first.stdout) as { schemaVersion: number; to: string; changed: boolean; counts: Record<string, { copied: number; present: number }> };
    expect(imported).toMatchObject({ schemaVersion: 1, changed: true, counts: { certificates: { copied: 1, present: 0 }, versions: { copied: 1, present: 0 }, accounts: { copied: 1, present: 0 } } });
    expect(imported.counts.runRecords!.copied).toBeGreaterThan(0);
    expect(imported.to).toContain('postgres:***@');

    const again = await cli(pgConfig, ['store', 'import', '--from', stateDir, '--store', database]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/nothing changed: everything was already present/);
    expect(again.stdout).toMatch(/certificates\s+0 copied, 1 already present/);

    // status reads the database --store names.
    const status = await cli(pgConfig, ['status', '--store', database, '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { certificates: Array<{ name: string; serialNumber: string }> }).certificates[0]).toMatchObject({ name: 'www', serialNumber: serial });

    const exportDir = join(dir, 'exported');
    const exported = await cli(pgConfig, ['store', 'export', '--to', exportDir, '--store', database, '--format', 'json']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ counts: { certificates: { copied: 1 }, versions: { copied: 1 }, accounts: { copied: 1 } }, conflicts: [], skipped: [] });
    const refused = await cli(pgConfig, ['store', 'export', '--to', exportDir, '--store', database]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not empty/);

    // A file-store config on the exported directory sees the same certificate, not due.
    const exportedConfig = writeConfig('exported', exportDir);
    const exportedStatus = await cli(exportedConfig, ['status', '--format', 'json']);
    expect(exportedStatus.code, exportedStatus.stderr).toBe(0);
    expect((JSON.parse(exportedStatus.stdout) as { certificates: Array<{ name: string; serialNumber: string }> }).certificates[0]).toMatchObject({ name: 'www', serialNumber: serial });
    const plan = await cli(exportedConfig, ['renew', '--plan', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'www', action: 'not-due', serialNumber: serial });

    // Rotate to store2.key; a config that knows only the new key still reads every private key (export decrypts them all).
    const rotatingConfig = writeConfig('rotating', join(dir, 'state-unused'), { postgres: unused, encryptionKeyFile: 'store2.key', previousEncryptionKeyFiles: ['store.key'] });
    const rotated = await cli(rotatingConfig, ['store', 'rotate-key', '--store', database, '--format', 'json']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ complete: true, interrupted: false, counts: { versions: { reencrypted: 1, remaining: 0 }, accountKeys: { reencrypted: 1, remaining: 0 } } });
    const newKeyOnly = writeConfig('new-key', join(dir, 'state-unused'), { postgres: unused, encryptionKeyFile: 'store2.key' });
    const afterRotation = await cli(newKeyOnly, ['store', 'export', '--to', join(dir, 'exported-2'), '--store', database]);
    expect(afterRotation.code, afterRotation.stderr).toBe(0);
    // The old key alone no longer opens them, and says which key is needed.
    const oldKeyOnly = await cli(pgConfig, ['store', 'export', '--to', join(dir, 'exported-3'), '--store', database]);
    expect(oldKeyOnly.code).toBe(2);
    expect(oldKeyOnly.stderr).toMatch(/encrypted with key id [0-9a-f]{16}/);

    for (const r of outputs) expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
  }, 180_000);

  it('--store: a server that does not answer, a URL that is not postgres://, a config without a key: clear errors, password masked', async () => {
    const pgConfig = writeConfig('pg-errors', join(dir, 'state-errors'), { postgres: { url: 'postgres://nobody@127.0.0.1:1/unused' }, encryptionKeyFile: 'store.key' });
    const down = await cli(pgConfig, ['status', '--store', `postgres://postgres:${SECRET}@127.0.0.1:1/none`]);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('postgres://postgres:***@127.0.0.1:1/none');

    const notPostgres = await cli(pgConfig, ['renew', '--plan', '--store', `mysql://root:${SECRET}@127.0.0.1/x`]);
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toMatch(/not a postgres:\/\/ URL/);

    const fileConfig = writeConfig('file-errors', join(dir, 'state-errors'));
    const noKey = await cli(fileConfig, ['status', '--store', `postgres://postgres:${SECRET}@127.0.0.1:${postgres.port}/postgres`]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/set store\.encryptionKeyFile/);

    for (const r of [down, notPostgres, noKey]) {
      expect(`${r.stdout}${r.stderr}`).not.toContain(SECRET);
      expect(r.stderr).not.toMatch(/internal error/);
    }
  }, 60_000);
});
