/**
 * PostgresStateStore (src/store/postgres/state-store.ts) against a real PostgreSQL 15
 * (test/helpers/postgres.ts): every port round-tripped, keys only encrypted at rest, a wrong key a
 * clear error that changes nothing, leases and claims from two runners (two pools, as two hosts
 * would have), fenced writes of a runner that lost its lease refused, the shared rate budget, and a
 * server restart between two calls.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CertfleetError } from '../../src/errors.js';
import { LeaseLostError, type CertificateState, type Lease, type IssuedVersion, type Schedule, type StoredSpec, type VersionFiles } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring, type Keyring } from '../../src/store/postgres/encryption.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { migratedDatabase } from '../helpers/postgres-stores.js';
import { failure } from '../helpers/failure.js';

let server: RunningPostgres;
const stores: PostgresStateStore[] = [];
let databases = 0;
const ring = keyring(dataKey(randomBytes(32)));

beforeAll(async () => {
  server = await startPostgres();
});

// Each test's pools are closed after it: the cluster allows 60 connections, and idle ones linger.
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

afterAll(async () => {
  await server?.stop();
});

/** A migrated database; returns its URL. */
async function database(): Promise<string> {
  return migratedDatabase(server, `s${++databases}`);
}

async function openStore(url: string, keys: Keyring = ring, historyKeep?: number): Promise<PostgresStateStore> {
  const store = await PostgresStateStore.open({ url, keyring: keys, ...(historyKeep !== undefined ? { historyKeep } : {}) });
  stores.push(store);
  return store;
}

function keyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

function version(id: string): IssuedVersion {
  return { id, serialNumber: id.split('-')[1] ?? id, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: [`${id}.example.test`], issuedAt: '2026-01-01T00:00:00.000Z' };
}

function files(key: string, tag: string): VersionFiles {
  return { certPem: `CERT ${tag}\n`, chainPem: `CHAIN ${tag}\n`, fullchainPem: `CERT ${tag}\nCHAIN ${tag}\n`, keyPem: key };
}

function schedule(checkAt: number, reason = 'not-due'): Schedule {
  return { checkAt, specHash: 'h1', outcome: { reason, explanation: 'renews later', serialNumber: '0a' } };
}


/** Until `sql` (one row, column n) answers `n`: a state of the server, not a time, is waited for. */
/** Specs for these names, as `certfleet apply` stores them. */
function spec(name: string, domain = `${name}.example.org`): StoredSpec {
  return { name, entry: { name, domains: [domain], challenge: { type: 'http-01' } }, baseDir: '/etc/certfleet', where: `certificates (${name})`, file: '/etc/certfleet/certfleet.config.yaml' };
}

async function* inBatches(specs: StoredSpec[], size = 7): AsyncIterable<StoredSpec[]> {
  for (let i = 0; i < specs.length; i += size) yield specs.slice(i, i + size);
}

function applySpecs(store: PostgresStateStore, names: string[], options: { dryRun?: boolean; sharedHash?: string } = {}) {
  return store.specs.apply(inBatches(names.map((n) => spec(n))), { fingerprint: names.join(','), sharedHash: options.sharedHash ?? 'shared', appliedBy: 'test', dryRun: options.dryRun ?? false });
}

/** A claim with no once-per-run limit (`since` after any claim this test makes). */
async function claim(store: PostgresStateStore, owner: string, limit: number): Promise<Lease[]> {
  return (await store.specs.claimDue(owner, 60_000, limit, new Date('9999-01-01T00:00:00Z'))).map((c) => c.lease);
}

async function waitFor(pool: pg.Pool, sql: string, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(sql);
    if (rows[0]?.n === n) return;
    if (Date.now() > deadline) throw new Error(`waited 10 s for ${n} from: ${sql}; got ${rows[0]?.n}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const noCorruption = (message: string) => {
  throw new Error(`unexpected corruption report: ${message}`);
};

describe('open', () => {
  it('refuses a database without the schema, naming the server without its password', async () => {
    await server.createDatabase('bare');
    const url = server.urlFor('bare').replace('postgres@', 'postgres:s3cret@');
    const err = await failure(PostgresStateStore.open({ url, keyring: ring }));
    expect(err.code).toBe('store-schema-missing');
    expect(err.message).not.toContain('s3cret');
  });

  it('names its location without the password', async () => {
    const url = (await database()).replace('postgres@', 'postgres:s3cret@');
    const store = await openStore(url);
    expect(store.kind).toBe('postgres');
    expect(store.location).toBe(url.replace('s3cret', '***'));
  });
});

describe('round trip', () => {
  it('certificates: state, versions oldest first with the key read when asked, current', async () => {
    const { certificates } = await openStore(await database());
    expect(await certificates.names()).toEqual([]);
    expect(await certificates.loadState('web', noCorruption)).toEqual({ schemaVersion: 1 });
    const state: CertificateState = { schemaVersion: 1, lastRunAt: '2026-01-02T00:00:00.000Z', failures: { consecutiveFailures: 2, lastFailureAt: 5 } };
    await certificates.saveState('web', state);
    expect(await certificates.loadState('web', noCorruption)).toEqual(state);
    expect(await certificates.loadStateReadOnly('web', noCorruption)).toEqual(state);

    const k1 = keyPem();
    const k2 = keyPem();
    // Added newest first: versions() still lists them oldest first.
    await certificates.addVersion('web', version('20260201T000000Z-02'), files(k2, 'two'));
    await certificates.addVersion('web', version('20260101T000000Z-01'), files(k1, 'one'));
    expect((await certificates.versions('web')).map((v) => v.id)).toEqual(['20260101T000000Z-01', '20260201T000000Z-02']);
    expect(await certificates.currentId('web')).toBeUndefined();
    expect(await certificates.current('web')).toBeUndefined();

    await certificates.setCurrent('web', '20260201T000000Z-02');
    expect(await certificates.currentId('web')).toBe('20260201T000000Z-02');
    const current = await certificates.current('web');
    expect(current?.version).toEqual(version('20260201T000000Z-02'));
    expect(current?.files.certPem).toBe('CERT two\n');
    expect(current?.files.fullchainPem).toBe('CERT two\nCHAIN two\n');
    expect(current?.files.keyPem).toBe(k2);
    const old = await certificates.readVersion('web', '20260101T000000Z-01');
    expect(old.files.chainPem).toBe('CHAIN one\n');
    expect(old.files.keyPem).toBe(k1);
    expect(await certificates.names()).toEqual(['web']);
  });

  it('accounts: key created once, record saved, a different key refused, rollover staged, promoted and discarded with the old keys kept', async () => {
    const url = await database();
    const { accounts } = await openStore(url);
    const dir = 'https://ca.example.test/directory';
    expect(await accounts.exists(dir)).toBe(false);
    expect(await accounts.load(dir)).toBeUndefined();
    const k1 = keyPem();
    await accounts.createKey(dir, k1);
    await accounts.createKey(dir, k1); // the same key again: nothing to do
    const refused = await failure(accounts.createKey(dir, keyPem()));
    expect(refused.code).toBe('account-store');
    expect(refused.message).toContain('refusing to overwrite the account key');
    const warnings: string[] = [];
    expect(await accounts.load(dir, (w) => warnings.push(w))).toEqual({ keyPem: k1, account: undefined, pendingKeyPem: undefined });
    expect(warnings).toHaveLength(1);

    const account = { directoryUrl: dir, url: 'https://ca.example.test/acct/1', contact: ['mailto:ops@example.test'], createdAt: '2026-01-01T00:00:00.000Z' };
    await accounts.save(k1, account);
    expect(await accounts.load(dir)).toEqual({ keyPem: k1, account, pendingKeyPem: undefined });

    const k2 = keyPem();
    await accounts.stagePendingKey(dir, k2);
    expect((await failure(accounts.stagePendingKey(dir, keyPem()))).message).toContain('an earlier key rollover did not finish');
    expect((await accounts.load(dir))?.pendingKeyPem).toBe(k2);
    const oldAt = await accounts.promotePendingKey(dir);
    expect(await accounts.load(dir)).toEqual({ keyPem: k2, account, pendingKeyPem: undefined });

    const k3 = keyPem();
    await accounts.stagePendingKey(dir, k3);
    const unusedAt = await accounts.discardPendingKey(dir);
    expect(await accounts.load(dir)).toEqual({ keyPem: k2, account, pendingKeyPem: undefined });
    expect(oldAt).toMatch(/^postgres:account_keys_retired\/\d+$/);
    expect(unusedAt).not.toBe(oldAt);
    await expect(accounts.promotePendingKey(dir)).rejects.toThrow('no staged account key');

    const c = createPool(url);
    try {
      const { rows } = await c.pool.query('SELECT reason FROM account_keys_retired ORDER BY id');
      expect(rows).toEqual([{ reason: 'old' }, { reason: 'unused' }]);
    } finally {
      await c.close();
    }
  });

  it('run records: history oldest first and bounded, records by kind and id, the latest, the summary', async () => {
    const { runs } = await openStore(await database(), ring, 5);
    expect(await runs.readHistory()).toEqual({ entries: [], skipped: 0 });
    const entry = (n: number) => ({ time: `2026-01-01T00:00:0${n % 10}.000Z`, name: `c${n}`, action: 'not-due', reason: 'r', durationMs: n });
    await runs.appendHistory([entry(1), entry(2), entry(3)]);
    await runs.appendHistory([entry(4)]);
    expect((await runs.readHistory()).entries.map((e) => e.name)).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect((await runs.readHistory()).entries[0]).toEqual(entry(1));
    await runs.appendHistory([entry(5), entry(6), entry(7)]);
    // Only the newest 5 are kept.
    expect((await runs.readHistory()).entries.map((e) => e.name)).toEqual(['c3', 'c4', 'c5', 'c6', 'c7']);

    expect(runs.recordLocation('drill', 'd1')).toBe('postgres:drill/d1');
    expect(await runs.latestRecord('drill')).toBeUndefined();
    await runs.writeRecord('drill', 'd1', { id: 'd1', n: 1 }, { latest: true });
    await runs.writeRecord('drill', 'd2', { id: 'd2', n: 2 }, { latest: true });
    await runs.writeRecord('drill', 'd3', { id: 'd3', n: 3 });
    expect(await runs.latestRecord('drill')).toEqual({ id: 'd2', n: 2 });
    await runs.writeRecord('drill', 'd1', { id: 'd1', n: 10 }, { latest: true });
    expect(await runs.latestRecord('drill')).toEqual({ id: 'd1', n: 10 });
    expect(await runs.latestRecord('revocation')).toBeUndefined();

    expect(await runs.readSummary()).toBeUndefined();
    await runs.updateSummary((previous) => ({ runs: 1, previous: previous ?? null }));
    await runs.updateSummary((previous) => ({ runs: ((previous as { runs: number }).runs ?? 0) + 1 }));
    expect(await runs.readSummary()).toEqual({ runs: 2 });
  });

  it('summary lines live in their certificate rows: an update scoped to some certificates sees and rewrites only theirs; archived ones drop out', async () => {
    const store = await openStore(await database());
    const line = (name: string, serial: string) => ({ name, serial });
    await store.runs.updateSummary(() => ({ schemaVersion: 1, generatedAt: 'first', certificates: [line('a', '1'), line('b', '2'), line('c', '3')] }));
    let seen: unknown;
    await store.runs.updateSummary(
      (previous) => {
        seen = previous;
        return { schemaVersion: 1, generatedAt: 'second', certificates: [line('b', '20')] };
      },
      { only: ['b', 'c'] },
    );
    expect(seen).toEqual({ schemaVersion: 1, generatedAt: 'first', certificates: [line('b', '2'), line('c', '3')] });
    expect(await store.runs.readSummary()).toEqual({ schemaVersion: 1, generatedAt: 'second', certificates: [line('a', '1'), line('b', '20')] });
    await applySpecs(store, ['b']);
    expect(await store.runs.readSummary()).toEqual({ schemaVersion: 1, generatedAt: 'second', certificates: [line('b', '20')] });
    // A whole summary (an import) replaces every line.
    await store.runs.updateSummary(() => ({ schemaVersion: 1, generatedAt: 'third', certificates: [line('z', '9')] }));
    expect(await store.runs.readSummary()).toEqual({ schemaVersion: 1, generatedAt: 'third', certificates: [line('z', '9')] });
  });

  it('two runners updating the summary at once: neither update is lost', async () => {
    const url = await database();
    const [a, b] = [await openStore(url), await openStore(url)];
    const bump = (previous: unknown) => ({ n: ((previous as { n?: number } | undefined)?.n ?? 0) + 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).runs.updateSummary(bump)));
    expect(await a.runs.readSummary()).toEqual({ n: 10 });
  });

  it('challenge tokens: put, get, an expired one is gone, delete', async () => {
    const { challenges } = await openStore(await database());
    const entry = { token: 'tok_1', keyAuthorization: 'tok_1.thumb', identifier: 'www.example.test', type: 'http-01' as const, expiresAt: Date.now() + 3_600_000 };
    await challenges.put(entry);
    expect(await challenges.get('tok_1')).toEqual(entry);
    await challenges.put({ ...entry, token: 'old', expiresAt: Date.now() - 60_000 });
    expect(await challenges.get('old')).toBeUndefined();
    await challenges.delete('tok_1');
    expect(await challenges.get('tok_1')).toBeUndefined();
  });

  it('rate budget: units up to the limit, then when one frees up', async () => {
    const { budget } = await openStore(await database());
    const req = { ca: 'https://ca.example.test/directory', account: 'acct', bucket: 'orders', limit: 2, windowMs: 60_000 };
    expect(await budget.take({ ...req, now: 1_000_000 })).toEqual({ granted: true });
    expect(await budget.take({ ...req, now: 1_010_000 })).toEqual({ granted: true });
    expect(await budget.take({ ...req, now: 1_020_000 })).toEqual({ granted: false, retryAt: 1_060_000 });
    // Another bucket has its own budget; the first unit leaves the window at 1,060,000.
    expect(await budget.take({ ...req, bucket: 'other', now: 1_020_000 })).toEqual({ granted: true });
    expect(await budget.take({ ...req, now: 1_060_001 })).toEqual({ granted: true });
  });
});

describe('private keys at rest', () => {
  it('no stored column holds a private key in the clear', async () => {
    const url = await database();
    const store = await openStore(url);
    const certKey = keyPem();
    const accountKey = keyPem();
    const pendingKey = keyPem();
    await store.certificates.addVersion('web', version('20260101T000000Z-01'), files(certKey, 'one'));
    await store.accounts.createKey('https://ca.example.test/directory', accountKey);
    await store.accounts.stagePendingKey('https://ca.example.test/directory', pendingKey);
    // Every row of every table as text, as pg_dump would write it.
    const c = createPool(url);
    let dump: string;
    try {
      const { rows: tables } = await c.pool.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'");
      const parts: string[] = [];
      for (const { name } of tables) {
        const { rows } = await c.pool.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
        parts.push(...rows.map((r) => r.row));
      }
      dump = parts.join('\n');
      const { rows } = await c.pool.query<{ key_ciphertext: Buffer }>('SELECT key_ciphertext FROM versions');
      expect(rows[0]?.key_ciphertext.length).toBeGreaterThan(0);
      expect(rows[0]?.key_ciphertext.toString('latin1')).not.toContain('PRIVATE KEY');
    } finally {
      await c.close();
    }
    expect(dump).toContain('CERT one'); // the dump did read the version row
    for (const pem of [certKey, accountKey, pendingKey]) {
      const body = pem.split('\n')[1]!;
      expect(dump).not.toContain(body);
      expect(dump).not.toContain(Buffer.from(body).toString('hex'));
    }
    expect(dump).not.toContain('PRIVATE KEY');
  });

  it('a wrong encryption key is a clear error when a key is read, and overwrites nothing', async () => {
    const url = await database();
    const right = await openStore(url);
    const certKey = keyPem();
    const accountKey = keyPem();
    const dir = 'https://ca.example.test/directory';
    await right.certificates.addVersion('web', version('20260101T000000Z-01'), files(certKey, 'one'));
    await right.certificates.setCurrent('web', '20260101T000000Z-01');
    await right.accounts.createKey(dir, accountKey);

    const wrong = await openStore(url, keyring(dataKey(randomBytes(32))));
    // Metadata and certificates need no key: only reading the key fails, and says which key it needs.
    const current = await wrong.certificates.current('web');
    expect(current?.files.certPem).toBe('CERT one\n');
    let thrown: unknown;
    try {
      void current?.files.keyPem;
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CertfleetError);
    expect((thrown as CertfleetError).code).toBe('store-key-unknown');
    expect((thrown as CertfleetError).message).toContain(`the private key of web (version 20260101T000000Z-01) was encrypted with key id ${ring.current.id}`);

    expect((await failure(wrong.accounts.load(dir))).code).toBe('store-key-unknown');
    // Creating the key again under the wrong encryption key must not replace the stored one.
    expect((await failure(wrong.accounts.createKey(dir, keyPem()))).code).toBe('store-key-unknown');
    expect((await failure(wrong.accounts.createKey(dir, accountKey))).code).toBe('store-key-unknown');
    expect((await right.accounts.load(dir))?.keyPem).toBe(accountKey);
    expect((await right.certificates.current('web'))?.files.keyPem).toBe(certKey);
  });
});

describe('leases and fencing', () => {
  it('two runners acquiring the same leases at once: exactly one gets each', async () => {
    const url = await database();
    const [a, b] = [await openStore(url), await openStore(url)];
    const names = Array.from({ length: 20 }, (_, i) => `c${i}`);
    const results = await Promise.all(names.flatMap((n) => [a.leases.acquire(n, 'runner-a', 60_000), b.leases.acquire(n, 'runner-b', 60_000)]));
    for (let i = 0; i < names.length; i++) {
      const won = [results[2 * i], results[2 * i + 1]].filter((l) => l !== undefined);
      expect(won).toHaveLength(1);
      expect(won[0]?.token).toBe(1);
    }
  });

  it('an expired lease is taken over with a higher token; the old owner\'s writes are refused and the new owner\'s kept', async () => {
    const url = await database();
    const [a, b] = [await openStore(url), await openStore(url)];
    const leaseA = (await a.leases.acquire('web', 'runner-a', 60_000))!;
    expect(leaseA).toMatchObject({ name: 'web', owner: 'runner-a', token: 1 });
    expect(await b.leases.acquire('web', 'runner-b', 60_000)).toBeUndefined(); // held and not expired
    // The same owner acquiring again (a retry) gets a new token.
    const againA = (await a.leases.acquire('web', 'runner-a', 60_000))!;
    expect(againA.token).toBe(2);
    await a.certificates.saveState('web', { schemaVersion: 1, lastRunAt: 'by a' }, againA);
    await a.certificates.addVersion('web', version('20260101T000000Z-01'), files(keyPem(), 'a1'), againA);

    // Runner A paused past its lease: expire it by the database's clock rather than by sleeping.
    const c = createPool(url);
    try {
      await c.pool.query("UPDATE certificates SET lease_expires_at = now() - interval '1 second' WHERE name = 'web'");
    } finally {
      await c.close();
    }
    const leaseB = (await b.leases.acquire('web', 'runner-b', 60_000))!;
    expect(leaseB.token).toBe(3);
    await b.certificates.saveState('web', { schemaVersion: 1, lastRunAt: 'by b' }, leaseB);

    expect(await failure(a.certificates.saveState('web', { schemaVersion: 1, lastRunAt: 'late a' }, againA))).toBeInstanceOf(LeaseLostError);
    const lost = await failure(a.certificates.addVersion('web', version('20260301T000000Z-09'), files(keyPem(), 'late'), againA));
    expect(lost).toBeInstanceOf(LeaseLostError);
    expect(lost.message).toContain('now held by runner-b with token 3');
    expect(await failure(a.certificates.setCurrent('web', '20260101T000000Z-01', againA))).toBeInstanceOf(LeaseLostError);
    expect(await failure(a.certificates.setSchedule('web', schedule(Date.now() + 3_600_000), againA))).toBeInstanceOf(LeaseLostError);
    expect(await failure(a.leases.renew(againA, 60_000))).toBeInstanceOf(LeaseLostError);
    await a.leases.release(againA); // a no-op: B's lease stays

    expect(await b.certificates.loadState('web', noCorruption)).toEqual({ schemaVersion: 1, lastRunAt: 'by b' });
    expect((await b.certificates.versions('web')).map((v) => v.id)).toEqual(['20260101T000000Z-01']);
    expect(await b.certificates.currentId('web')).toBeUndefined();
    expect(await a.leases.acquire('web', 'runner-a', 60_000)).toBeUndefined();

    const renewed = await b.leases.renew(leaseB, 120_000);
    expect(renewed.token).toBe(3);
    expect(renewed.expiresAt).toBeGreaterThan(leaseB.expiresAt);
    await b.certificates.setCurrent('web', '20260101T000000Z-01', leaseB);
    await b.leases.release(leaseB);
    expect((await a.leases.acquire('web', 'runner-a', 60_000))?.token).toBe(4);
  });

  it('claimDue from two runners gives disjoint sets of what is due and unleased', async () => {
    const url = await database();
    const [a, b] = [await openStore(url), await openStore(url)];
    const names = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const n of names) await a.certificates.saveState(n, { schemaVersion: 1 });
    await applySpecs(a, [...names, 'later', 'held']);
    // Not due: scheduled an hour ahead; held by someone else; archived.
    await a.certificates.setSchedule('later', schedule(Date.now() + 3_600_000));
    await a.leases.acquire('held', 'runner-c', 60_000);
    await a.certificates.saveState('gone', { schemaVersion: 1 });
    await applySpecs(a, [...names, 'later', 'held', 'gone']);
    const c = createPool(url);
    let byB: Lease[] = [];
    try {
      await c.pool.query("UPDATE certificates SET archived_at = now() WHERE name = 'gone'");

      // Both claims are made to run at the same moment, not one after the other as they usually
      // would: a third session holds a table lock their UPDATEs wait on until both are waiting.
      let byA: Lease[];
      for (let round = 1; round <= 3; round++) {
        if (round > 1) await c.pool.query("UPDATE certificates SET lease_owner = NULL, lease_expires_at = NULL WHERE name <> 'held'");
        const holder = await c.pool.connect();
        try {
          await holder.query('BEGIN');
          await holder.query('LOCK TABLE certificates IN SHARE MODE');
          const claims = Promise.all([claim(a, 'runner-a', 30), claim(b, 'runner-b', 30)]);
          claims.catch(() => undefined);
          await waitFor(c.pool, "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'relation' AND NOT granted", 2);
          await holder.query('COMMIT');
          [byA, byB] = await claims;
        } finally {
          holder.release();
        }
        const claimedA = byA.map((l) => l.name);
        const claimedB = byB.map((l) => l.name);
        expect(claimedA.filter((n) => claimedB.includes(n))).toEqual([]);
        expect([...claimedA, ...claimedB].sort()).toEqual(names);
        expect(byA.every((l) => l.owner === 'runner-a' && l.token === round)).toBe(true);
      }
    } finally {
      await c.close();
    }
    expect(await claim(a, 'runner-a', 30)).toEqual([]);
    // The claimed lease fences writes like an acquired one.
    const first = byB[0]!;
    await b.certificates.saveState(first.name, { schemaVersion: 1, lastRunAt: 'b' }, first);
  });

  it('apply: adds, changes (schedule voided), archives (versions kept), leaves the unchanged alone; a dry run changes nothing', async () => {
    const store = await openStore(await database());
    expect(await store.specs.appliedFingerprint()).toBeUndefined();
    expect(await applySpecs(store, ['a', 'b', 'c'])).toEqual({ added: ['a', 'b', 'c'], changed: [], archived: [], unchanged: 0 });
    expect(await store.specs.appliedFingerprint()).toBe('a,b,c');
    await store.certificates.addVersion('c', version('20260101T000000Z-01'), files(keyPem(), 'c'));
    await store.certificates.setSchedule('a', schedule(Date.now() + 3_600_000));
    await store.certificates.setSchedule('b', schedule(Date.now() + 3_600_000));

    const changedB = [spec('a'), spec('b', 'other.example.org'), spec('d')];
    const dry = await store.specs.apply(inBatches(changedB), { fingerprint: 'x', sharedHash: 'shared', appliedBy: 'test', dryRun: true });
    expect(dry).toEqual({ added: ['d'], changed: ['b'], archived: ['c'], unchanged: 1 });
    expect(await store.specs.appliedFingerprint()).toBe('a,b,c');
    expect([...(await store.specs.read(['a', 'b', 'c', 'd'])).keys()].sort()).toEqual(['a', 'b', 'c']);

    expect(await store.specs.apply(inBatches(changedB), { fingerprint: 'x', sharedHash: 'shared', appliedBy: 'test', dryRun: false })).toEqual(dry);
    expect((await store.specs.read(['b'])).get('b')?.entry).toEqual(spec('b', 'other.example.org').entry);
    // b changed: looked at by the next run; a did not: still skipped; c archived with its version.
    expect([...(await store.certificates.schedules()).keys()]).toEqual(['a']);
    expect((await store.certificates.versions('c')).length).toBe(1);
    expect(await store.specs.count()).toBe(3);
    expect((await store.specs.page(undefined, 2)).map((s) => s.name)).toEqual(['a', 'b']);
    expect((await store.specs.page('b', 2)).map((s) => s.name)).toEqual(['d']);
    // Back in the config: active again.
    expect((await applySpecs(store, ['a', 'b', 'c', 'd'])).added).toEqual(['c']);
    // The CA or policy changed: every schedule voided.
    await applySpecs(store, ['a', 'b', 'c', 'd'], { sharedHash: 'another CA' });
    expect(await store.certificates.schedules()).toEqual(new Map());
  });

  it('apply refuses a name twice, naming both places, and changes nothing', async () => {
    const store = await openStore(await database());
    await applySpecs(store, ['a']);
    const twice = [spec('a'), spec('b'), { ...spec('a'), where: 'certificates.d/two.yaml: certificates[0] (a)' }];
    const err = await failure(store.specs.apply(inBatches(twice, 2), { fingerprint: 'y', sharedHash: 'shared', appliedBy: 'test', dryRun: false }));
    expect(err).toBeInstanceOf(CertfleetError);
    expect(err.message).toBe('duplicate certificate name "a": certificates (a) and certificates.d/two.yaml: certificates[0] (a)');
    expect(await store.specs.appliedFingerprint()).toBe('a');
    expect(await store.specs.count()).toBe(1);
  });

  it('claimDue takes a certificate once per run: one whose schedule a write voided waits for the next run', async () => {
    const store = await openStore(await database());
    await applySpecs(store, ['a', 'b', 'c']);
    const since = await store.specs.now();
    const first = await store.specs.claimDue('runner-a', 60_000, 2, since);
    expect(first.map((c) => c.spec?.name)).toEqual(first.map((c) => c.lease.name));
    for (const { lease } of first) {
      await store.certificates.saveState(lease.name, { schemaVersion: 1, lastRunAt: 'x' }, lease);
      await store.leases.release(lease);
    }
    const second = await store.specs.claimDue('runner-a', 60_000, 2, since);
    expect(second.map((c) => c.lease.name)).toEqual(['a', 'b', 'c'].filter((n) => !first.some((f) => f.lease.name === n)));
    await store.leases.release(second[0]!.lease);
    expect(await store.specs.claimDue('runner-a', 60_000, 2, since)).toEqual([]);
    // The next run (a later `since`) takes all three again: none has a schedule.
    expect((await store.specs.claimDue('runner-a', 60_000, 5, await store.specs.now())).length).toBe(3);
  });

  it('claimDue skips the rows another runner is claiming right now instead of waiting for them', async () => {
    const url = await database();
    // A statement timeout turns a claim that waits (no SKIP LOCKED) into a failure, not a hang.
    const a = await PostgresStateStore.open({ url, keyring: ring, statementTimeoutMs: 5_000 });
    stores.push(a);
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    for (const n of names) await a.certificates.saveState(n, { schemaVersion: 1 });
    await applySpecs(a, names);
    const c = createPool(url);
    const other = await c.pool.connect();
    try {
      // Runner C is inside its claim: it has locked four due rows and not yet committed.
      await other.query('BEGIN');
      await other.query("SELECT name FROM certificates WHERE name IN ('c0', 'c1', 'c2', 'c3') FOR UPDATE");
      const claimed = (await claim(a, 'runner-a', 100)).map((l) => l.name).sort();
      expect(claimed).toEqual(names.slice(4));
    } finally {
      await other.query('ROLLBACK');
      other.release();
      await c.close();
    }
  });

  it('schedules: set ones are listed in one read, voided by a state write or a switch of version', async () => {
    const { certificates } = await openStore(await database());
    expect(await certificates.schedules()).toEqual(new Map());
    await certificates.saveState('a', { schemaVersion: 1 });
    await certificates.saveState('b', { schemaVersion: 1 });
    await certificates.addVersion('b', version('20260101T000000Z-01'), files(keyPem(), 'b'));
    const checkAt = Date.now() + 3_600_000;
    await certificates.setSchedule('a', schedule(checkAt, 'a'));
    await certificates.setSchedule('b', schedule(checkAt, 'b'));
    expect(await certificates.schedules()).toEqual(new Map([['a', schedule(checkAt, 'a')], ['b', schedule(checkAt, 'b')]]));
    await certificates.saveState('a', { schemaVersion: 1, lastRunAt: 'later' });
    await certificates.setCurrent('b', '20260101T000000Z-01');
    expect(await certificates.schedules()).toEqual(new Map());
    await certificates.setSchedule('a', schedule(checkAt, 'a2'));
    expect([...(await certificates.schedules()).keys()]).toEqual(['a']);
  });
});

describe('rate budget across runners', () => {
  it('concurrent takes from two runners never exceed the limit', async () => {
    const url = await database();
    const [a, b] = [await openStore(url), await openStore(url)];
    const req = { ca: 'https://ca.example.test/directory', account: 'acct', bucket: 'orders', limit: 5, windowMs: 3_600_000 };
    const now = Date.now();
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? a : b).budget.take({ ...req, now: now + i })));
    expect(results.filter((r) => r.granted)).toHaveLength(5);
    expect(results.filter((r) => !r.granted).every((r) => !r.granted && r.retryAt >= now + req.windowMs)).toBe(true);
  });
});

describe('PostgreSQL restarted between two calls', () => {
  it('the next call reconnects (or fails as postgres-connection-lost and the one after works)', async () => {
    const store = await openStore(await database());
    await store.certificates.saveState('web', { schemaVersion: 1, lastRunAt: 'before' });
    expect(await store.certificates.names()).toEqual(['web']);
    await server.restart('fast');
    try {
      expect(await store.certificates.names()).toEqual(['web']);
    } catch (err) {
      expect(err).toBeInstanceOf(CertfleetError);
      expect((err as CertfleetError).code).toBe('postgres-connection-lost');
      expect(await store.certificates.names()).toEqual(['web']);
    }
    expect(await store.certificates.loadState('web', noCorruption)).toEqual({ schemaVersion: 1, lastRunAt: 'before' });
  });
});
