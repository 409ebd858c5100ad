/**
 * Moving state between a state directory and PostgreSQL (src/store/transfer) and rotating the
 * store's key (src/store/postgres/rotate-key.ts), against a real PostgreSQL (test/helpers/postgres.ts).
 * The state directory is built through FileStateStore's ports with keys made at test time: two
 * certificates (one with two versions), an ACME account with a retired and a staged key, history,
 * drill and revocation records and the summary.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../src/store/file-state-store.js';
import { transferable, type CertificateState, type IssuedVersion, type TransferableStore } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { Db } from '../../src/store/postgres/db.js';
import { dataKey, keyring, type Keyring } from '../../src/store/postgres/encryption.js';
import { rotateKeys } from '../../src/store/postgres/rotate-key.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { exportToDir } from '../../src/store/transfer/export.js';
import { importStateDir, type ImportResult } from '../../src/store/transfer/import.js';
import { failure } from '../helpers/failure.js';
import { tempDir } from '../helpers/pki.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { migratedDatabase } from '../helpers/postgres-stores.js';

const CA = 'https://ca.example.test/directory';
let server: RunningPostgres;
let databases = 0;
const opened: Array<{ close(): Promise<void> }> = [];
const keyA = dataKey(randomBytes(32));
const keyB = dataKey(randomBytes(32));
const ringA = keyring(keyA);

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);

afterEach(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => undefined);
});

afterAll(async () => {
  await server?.stop();
});

async function database(): Promise<string> {
  return migratedDatabase(server, `t${++databases}`);
}

async function openPg(url: string, ring: Keyring = ringA): Promise<TransferableStore> {
  const store = await PostgresStateStore.open({ url, keyring: ring });
  opened.push(store);
  return transferable(store);
}

function db(url: string): Db {
  const c = createPool(url);
  opened.push(c);
  return new Db(c.pool, c.server);
}

const keyPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

function version(id: string, name: string): IssuedVersion {
  return { id, serialNumber: id.split('-')[1]!, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: [`${name}.example.test`], issuedAt: '2026-01-01T00:00:00.000Z' };
}

const files = (key: string, tag: string) => ({ certPem: `CERT ${tag}\n`, chainPem: `CHAIN ${tag}\n`, fullchainPem: `CERT ${tag}\nCHAIN ${tag}\n`, keyPem: key });

const state = (serial: string): CertificateState => ({ schemaVersion: 1, ari: { serialNumber: serial, windowStart: 1_767_225_600_000, windowEnd: 1_767_312_000_000, chosenAt: 1_767_250_000_000 }, lastRunAt: '2026-01-02T00:00:00.000Z' });

/** A state directory as runs on one host leave it, written through the file store's ports. */
async function stateDir() {
  const dir = tempDir('certfleet-transfer-');
  const store = new FileStateStore(dir);
  const keys = { www1: keyPem(), www2: keyPem(), api1: keyPem(), account: keyPem(), rolled: keyPem(), pending: keyPem() };
  await store.certificates.addVersion('www', version('20260101T000000Z-0a', 'www'), files(keys.www1, 'www1'));
  await store.certificates.addVersion('www', version('20260201T000000Z-0b', 'www'), files(keys.www2, 'www2'));
  await store.certificates.setCurrent('www', '20260201T000000Z-0b');
  await store.certificates.saveState('www', state('0b'));
  await store.certificates.addVersion('api', version('20260105T000000Z-0c', 'api'), files(keys.api1, 'api1'));
  await store.certificates.setCurrent('api', '20260105T000000Z-0c');
  // The account: its first key rolled over (kept as account.key.old-*), a second rollover staged.
  await store.accounts.save(keys.rolled, { directoryUrl: CA, url: 'https://ca.example.test/acct/1', contact: ['mailto:ops@example.test'], createdAt: '2026-01-01T00:00:00.000Z' });
  await store.accounts.stagePendingKey(CA, keys.account);
  await store.accounts.promotePendingKey(CA);
  await store.accounts.stagePendingKey(CA, keys.pending);
  await store.runs.appendHistory([
    { time: '2026-01-01T00:00:00.000Z', name: 'www', action: 'renewed', reason: 'new', serial: '0a', durationMs: 40 },
    { time: '2026-01-01T00:00:00.000Z', name: 'api', action: 'renewed', reason: 'new', serial: '0c', durationMs: 41 },
    { time: '2026-02-01T00:00:00.000Z', name: 'www', action: 'renewed', reason: 'due', serial: '0b', durationMs: 42 },
  ]);
  await store.runs.writeRecord('drill', 'd1', { id: 'd1', startedAt: '2026-01-10T00:00:00.000Z', certificates: 2 }, { latest: true });
  await store.runs.writeRecord('revocation', 'r1', { id: 'r1', serials: ['09'] });
  await store.runs.updateSummary(() => ({ generatedAt: '2026-02-01T00:00:00.000Z', certificates: [{ name: 'www', serial: '0b' }, { name: 'api', serial: '0c' }] }));
  await store.close();
  return { dir, keys };
}

const io = { owner: 'test-runner', pid: process.pid, now: () => new Date() };

function tallies(result: ImportResult) {
  return { certificates: result.certificates, versions: result.versions, accounts: result.accounts, retiredAccountKeys: result.retiredAccountKeys, runRecords: result.runRecords };
}

/** Everything a store holds that a copy carries, read through its ports (keys decrypted). */
async function snapshot(store: TransferableStore) {
  const certificates: Record<string, unknown> = {};
  for (const name of await store.certificates.names()) {
    const versions = [];
    for (const v of await store.certificates.versions(name)) {
      const read = await store.certificates.readVersion(name, v.id);
      versions.push({ ...read.version, certPem: read.files.certPem, chainPem: read.files.chainPem, fullchainPem: read.files.fullchainPem, keyPem: read.files.keyPem });
    }
    certificates[name] = { versions, current: await store.certificates.currentId(name), state: await store.certificates.loadStateReadOnly(name, () => undefined) };
  }
  const accounts: Record<string, unknown> = {};
  for (const url of await store.accounts.directoryUrls()) accounts[url] = { ...(await store.accounts.load(url)), retired: await store.accounts.retiredKeys(url) };
  const records = { drill: await store.runs.records('drill'), revocation: await store.runs.records('revocation'), replacement: await store.runs.records('replacement') };
  // The database gives the summary's lines back by name (each is in its certificate's row).
  const summary = (await store.runs.readSummary()) as { certificates?: Array<{ name: string }> } | undefined;
  summary?.certificates?.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { certificates, accounts, history: (await store.runs.readHistory()).entries, records, summary };
}

async function keyColumns(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const parts = [];
    for (const sql of [
      'SELECT certificate, id, encode(key_ciphertext, \'hex\') c, key_id FROM versions ORDER BY 1, 2',
      'SELECT directory_url, encode(key_ciphertext, \'hex\') c, key_id, pending_key_id FROM accounts ORDER BY 1',
      'SELECT id, encode(key_ciphertext, \'hex\') c, key_id FROM account_keys_retired ORDER BY 1',
    ]) {
      parts.push(JSON.stringify((await client.query(sql)).rows));
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

describe('store import', () => {
  it('copies a state directory with its keys encrypted; a second import copies nothing and says so', async () => {
    const { dir, keys } = await stateDir();
    const url = await database();
    const target = await openPg(url);

    const first = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(tallies(first)).toEqual({
      certificates: { copied: 2, present: 0 },
      versions: { copied: 3, present: 0 },
      accounts: { copied: 1, present: 0 },
      retiredAccountKeys: { copied: 1, present: 0 },
      // 3 history entries, the drill, the revocation, the summary.
      runRecords: { copied: 6, present: 0 },
    });
    expect(first).toMatchObject({ changed: true, left: [], overwritten: [], conflicts: [], skipped: [] });

    // What the database holds is what the directory holds, read back through the PostgreSQL ports.
    const source = transferable(new FileStateStore(dir));
    expect(await snapshot(target)).toEqual(await snapshot(source));
    expect((await target.certificates.current('www'))!.files.keyPem).toBe(keys.www2);
    expect((await target.accounts.load(CA))!.pendingKeyPem).toBe(keys.pending);
    expect(await target.runs.latestRecord('drill')).toEqual({ id: 'd1', startedAt: '2026-01-10T00:00:00.000Z', certificates: 2 });
    // No key in the clear anywhere in the database.
    const columns = await keyColumns(url);
    for (const key of Object.values(keys)) expect(columns).not.toContain(Buffer.from(key).toString('hex').slice(0, 64));

    const second = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(tallies(second)).toEqual({
      certificates: { copied: 0, present: 2 },
      versions: { copied: 0, present: 3 },
      accounts: { copied: 0, present: 1 },
      retiredAccountKeys: { copied: 0, present: 1 },
      runRecords: { copied: 0, present: 6 },
    });
    expect(second).toMatchObject({ changed: false, left: [], overwritten: [], conflicts: [], skipped: [] });
    expect(await keyColumns(url)).toBe(columns);
  });

  it('merges versions by id; a differing current or state is left unless overwrite; a different account key is never overwritten', async () => {
    const { dir, keys } = await stateDir();
    const url = await database();
    const target = await openPg(url);
    // The database already knows www: one version the directory lacks, current and state its own; and another key for the CA.
    const dbOnly = keyPem();
    const otherAccountKey = keyPem();
    await target.certificates.addVersion('www', version('20260301T000000Z-0d', 'www'), files(dbOnly, 'www-db'));
    await target.certificates.addVersion('www', version('20260101T000000Z-0a', 'www'), files(keys.www1, 'www1'));
    await target.certificates.setCurrent('www', '20260301T000000Z-0d');
    await target.certificates.saveState('www', state('0d'));
    await target.accounts.createKey(CA, otherAccountKey);
    await target.runs.writeRecord('drill', 'd1', { id: 'd1', startedAt: '2026-01-11T00:00:00.000Z', certificates: 5 }, { latest: true });

    const kept = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(kept.versions).toEqual({ copied: 2, present: 1 });
    expect(kept.certificates).toEqual({ copied: 1, present: 1 });
    expect(kept.left.map((d) => `${d.what} ${d.name}`).sort()).toEqual(['current www', 'drill record d1', 'state www']);
    expect(kept.conflicts).toEqual([expect.objectContaining({ what: 'account key', name: CA })]);
    expect(kept.accounts).toEqual({ copied: 0, present: 0 });
    expect(await target.runs.latestRecord('drill')).toEqual({ id: 'd1', startedAt: '2026-01-11T00:00:00.000Z', certificates: 5 });
    expect(kept.retiredAccountKeys).toEqual({ copied: 0, present: 0 });
    expect((await target.certificates.versions('www')).map((v) => v.id)).toEqual(['20260101T000000Z-0a', '20260201T000000Z-0b', '20260301T000000Z-0d']);
    expect(await target.certificates.currentId('www')).toBe('20260301T000000Z-0d');
    expect((await target.certificates.loadStateReadOnly('www', () => undefined)).ari?.serialNumber).toBe('0d');
    expect((await target.accounts.load(CA))!.keyPem).toBe(otherAccountKey);

    const replaced = await importStateDir(dir, target, { ...io, overwrite: true });
    expect(replaced.overwritten.map((d) => `${d.what} ${d.name}`).sort()).toEqual(['current www', 'drill record d1', 'state www']);
    expect(await target.runs.latestRecord('drill')).toEqual({ id: 'd1', startedAt: '2026-01-10T00:00:00.000Z', certificates: 2 });
    expect(replaced.left).toEqual([]);
    expect(await target.certificates.currentId('www')).toBe('20260201T000000Z-0b');
    expect((await target.certificates.loadStateReadOnly('www', () => undefined)).ari?.serialNumber).toBe('0b');
    // The key is the account: still the database's, still reported.
    expect(replaced.conflicts).toEqual([expect.objectContaining({ what: 'account key', name: CA })]);
    expect((await target.accounts.load(CA))!.keyPem).toBe(otherAccountKey);
    // The version only the database had is kept.
    expect((await target.certificates.readVersion('www', '20260301T000000Z-0d')).files.keyPem).toBe(dbOnly);
  });

  it('fills in what a certificate in the database lacks, and says it changed something', async () => {
    const { dir, keys } = await stateDir();
    const target = await openPg(await database());
    await target.certificates.addVersion('api', version('20260105T000000Z-0c', 'api'), files(keys.api1, 'api1'));
    const result = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(result.certificates).toEqual({ copied: 1, present: 1 });
    expect(result.filled).toBe(1);
    expect(await target.certificates.currentId('api')).toBe('20260105T000000Z-0c');
    expect(result.changed).toBe(true);
  });

  it('skips a certificate another runner holds, and copies it once the lease is gone', async () => {
    const { dir } = await stateDir();
    const target = await openPg(await database());
    const held = (await target.leases.acquire('api', 'another-runner', 60_000))!;
    const busy = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(busy.skipped).toEqual([expect.stringMatching(/^certificate api: another runner holds its lease/)]);
    expect(await target.certificates.versions('api')).toEqual([]);
    await target.leases.release(held);
    const after = await importStateDir(dir, target, { ...io, overwrite: false });
    expect(after.skipped).toEqual([]);
    expect(after.certificates).toEqual({ copied: 1, present: 1 });
  });

  it('refuses a path that is not a state directory', async () => {
    const target = await openPg(await database());
    const err = await failure(importStateDir(tempDir('certfleet-empty-'), target, { ...io, overwrite: false }));
    expect(err.message).toMatch(/not a certfleet state directory/);
  });
});

describe('store export', () => {
  it('writes what the store holds into a new directory the file store reads the same, keys 0600 and directories 0700', async () => {
    const { dir } = await stateDir();
    const source = await openPg(await database());
    await importStateDir(dir, source, { ...io, overwrite: false });

    const out = join(tempDir('certfleet-export-'), 'state');
    const result = await exportToDir(source, out, { pid: process.pid, now: () => new Date() });
    expect(result).toMatchObject({ certificates: { copied: 2, present: 0 }, versions: { copied: 3, present: 0 }, accounts: { copied: 1, present: 0 }, retiredAccountKeys: { copied: 1, present: 0 }, runRecords: { copied: 6, present: 0 }, conflicts: [], skipped: [] });

    const exported = transferable(new FileStateStore(out));
    expect(await snapshot(exported)).toEqual(await snapshot(source));
    // And the same as the directory it all came from.
    expect(await snapshot(exported)).toEqual(await snapshot(transferable(new FileStateStore(dir))));

    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(d, e.name), ...walk(join(d, e.name))] : [join(d, e.name)]));
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(out)).toBe(0o700);
    const paths = walk(out);
    for (const p of paths.filter((p) => statSync(p).isDirectory())) expect([p, mode(p)]).toEqual([p, 0o700]);
    const keyFiles = paths.filter((p) => /privkey\.pem$|account\.key/.test(p));
    expect(keyFiles).toHaveLength(3 + 3);
    for (const p of keyFiles) expect([p, mode(p)]).toEqual([p, 0o600]);
  });

  it('refuses a directory that is not empty, writing nothing', async () => {
    const source = await openPg(await database());
    const out = tempDir('certfleet-export-');
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const err = await failure(exportToDir(source, out, { pid: process.pid, now: () => new Date() }));
    expect(err.message).toMatch(/not empty/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('store rotate-key', () => {
  it('re-encrypts every key row; with the old key gone from the keyring everything still decrypts', async () => {
    const { dir } = await stateDir();
    const url = await database();
    const before = await snapshot(await importStateDir(dir, await openPg(url), { ...io, overwrite: false }).then(() => openPg(url)));

    const result = await rotateKeys(db(url), keyring(keyB, [keyA]));
    expect(result).toMatchObject({ keyId: keyB.id, interrupted: false, complete: true });
    expect(result.counts).toEqual({
      versions: { reencrypted: 3, alreadyCurrent: 0, remaining: 0 },
      accountKeys: { reencrypted: 1, alreadyCurrent: 0, remaining: 0 },
      pendingAccountKeys: { reencrypted: 1, alreadyCurrent: 0, remaining: 0 },
      retiredAccountKeys: { reencrypted: 1, alreadyCurrent: 0, remaining: 0 },
    });
    expect(await keyColumns(url)).not.toContain(keyA.id);
    expect(await snapshot(await openPg(url, keyring(keyB)))).toEqual(before);
  });

  it('resumes an interrupted rotation, skipping the rows already done', async () => {
    const { dir } = await stateDir();
    const url = await database();
    await importStateDir(dir, await openPg(url), { ...io, overwrite: false });
    const stop = new AbortController();
    const ring = keyring(keyB, [keyA]);
    const first = await rotateKeys(db(url), ring, { batchSize: 1, signal: stop.signal, onBatch: () => stop.abort() });
    expect(first).toMatchObject({ interrupted: true, complete: false });
    expect(first.counts.versions).toEqual({ reencrypted: 1, alreadyCurrent: 0, remaining: 2 });
    expect(first.counts.accountKeys).toEqual({ reencrypted: 0, alreadyCurrent: 0, remaining: 1 });

    const second = await rotateKeys(db(url), ring, { batchSize: 1 });
    expect(second).toMatchObject({ interrupted: false, complete: true });
    expect(second.counts.versions).toEqual({ reencrypted: 2, alreadyCurrent: 1, remaining: 0 });
    expect(second.counts.accountKeys).toEqual({ reencrypted: 1, alreadyCurrent: 0, remaining: 0 });
    expect(await snapshot(await openPg(url, keyring(keyB)))).toEqual(await snapshot(transferable(new FileStateStore(dir))));
  });

  it('refuses, changing nothing, when a row is under a key in neither setting', async () => {
    const { dir } = await stateDir();
    const url = await database();
    await importStateDir(dir, await openPg(url), { ...io, overwrite: false });
    const columns = await keyColumns(url);
    const err = await failure(rotateKeys(db(url), keyring(keyB)));
    expect(err.code).toBe('store-key-unknown');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(`key id ${keyA.id} (6 rows)`);
    expect(err.message).toMatch(/Nothing was re-encrypted/);
    expect(await keyColumns(url)).toBe(columns);
  });
});
