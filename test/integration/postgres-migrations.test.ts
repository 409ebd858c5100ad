/**
 * Schema migrations (src/store/postgres/migrations.ts) and schema version 1 against a real
 * PostgreSQL 15: one cluster for the file, a fresh database per test.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type PostgresConnection } from '../../src/store/postgres/connection.js';
import { dataKey, decryptPrivateKey, encryptPrivateKey, keyring, type KeyOwner } from '../../src/store/postgres/encryption.js';
import { checkSchema, migrate, MIGRATIONS, SCHEMA_VERSION, type Migration } from '../../src/store/postgres/migrations.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { failure } from '../helpers/failure.js';

let server: RunningPostgres;
const open: PostgresConnection[] = [];
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await server?.stop();
});

/** A pool on a new, empty database. */
async function freshDatabase(): Promise<PostgresConnection> {
  const c = createPool(await server.createDatabase(`m${++databases}`));
  open.push(c);
  return c;
}


async function versions(c: PostgresConnection): Promise<number[]> {
  const { rows } = await c.pool.query<{ version: number }>('SELECT version FROM certfleet_schema ORDER BY version');
  return rows.map((r) => r.version);
}

/** Every migration's version: what a database migrated from empty records. */
const ALL = MIGRATIONS.map((m) => m.version);

const TABLES = ['account_keys_retired', 'accounts', 'agent_heartbeats', 'agent_roles', 'applied_config', 'certfleet_schema', 'certificates', 'challenge_tokens', 'deployments', 'host_keys', 'rate_budget', 'run_records', 'version_host_keys', 'versions'];

async function tables(c: PostgresConnection): Promise<string[]> {
  const { rows } = await c.pool.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1");
  return rows.map((r) => r.name);
}

describe('migrate', () => {
  it('builds schema version 1 on an empty database and records who applied it', async () => {
    const c = await freshDatabase();
    expect(await tables(c)).toEqual([]);
    expect(await migrate(c.pool, { binaryVersion: '0.1.0' })).toEqual({ from: 0, to: SCHEMA_VERSION, applied: ALL });
    expect(await tables(c)).toEqual(TABLES);
    const { rows } = await c.pool.query('SELECT version, name, binary_version, applied_at <= now() AS past FROM certfleet_schema ORDER BY version');
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name, binary_version: '0.1.0', past: true })));
    expect(rows[0]).toEqual({ version: 1, name: 'initial schema', binary_version: '0.1.0', past: true });
    expect(await checkSchema(c.pool)).toEqual({ version: SCHEMA_VERSION, appliedBy: '0.1.0' });
  });

  it('is idempotent: a second run applies nothing', async () => {
    const c = await freshDatabase();
    await migrate(c.pool);
    expect(await migrate(c.pool)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    expect(await versions(c)).toEqual(ALL);
  });

  it('two runners migrating at once: one waits on the lock, nothing is applied twice', async () => {
    const c = await freshDatabase();
    const url = server.urlFor(`m${databases}`);
    const first = createPool(url);
    const second = createPool(url);
    open.push(first, second);
    // Hold the migration lock so both runners are provably inside migrate() and waiting on it at
    // the same moment, instead of hoping their timing overlaps.
    const holder = await c.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('certfleet schema migration'))");
      const runs = [migrate(first.pool), migrate(second.pool)];
      for (const run of runs) run.catch(() => undefined);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { rows } = await c.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if (rows[0]?.n === 2) break;
        if (Date.now() > deadline) throw new Error(`both runners should be waiting on the lock; ${rows[0]?.n} are`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await holder.query('COMMIT');
      const results = await Promise.all(runs);
      // Each migration is applied once, by whichever runner held the lock for it.
      expect(results.flatMap((r) => r.applied).sort((x, y) => x - y)).toEqual(ALL);
    } finally {
      holder.release();
    }
    expect(await versions(c)).toEqual(ALL);
  });

  it('a failing migration rolls back whole and leaves the previous version', async () => {
    const c = await freshDatabase();
    const broken: Migration = { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT 1 / 0;' };
    await expect(migrate(c.pool, { migrations: [...MIGRATIONS, broken] })).rejects.toThrow('division by zero');
    expect(await versions(c)).toEqual(ALL);
    expect(await tables(c)).not.toContain('half_done');
  });

  it('refuses a schema newer than the binary, naming both versions, and changes nothing', async () => {
    const c = await freshDatabase();
    await migrate(c.pool);
    await c.pool.query("INSERT INTO certfleet_schema (version, name, binary_version) VALUES (999, 'from the future', '9.9.9')");
    const byMigrate = await failure(migrate(c.pool, { binaryVersion: '0.1.0', server: c.server }));
    expect(byMigrate.code).toBe('store-schema-newer');
    expect(byMigrate.message).toBe(
      `the PostgreSQL store at ${c.server} has schema version 999 (applied by certfleet 9.9.9); this certfleet 0.1.0 knows versions up to ${SCHEMA_VERSION}`,
    );
    const byCheck = await failure(checkSchema(c.pool, { binaryVersion: '0.1.0', server: c.server }));
    expect(byCheck.code).toBe('store-schema-newer');
    expect(byCheck.message).toBe(byMigrate.message);
    expect(await versions(c)).toEqual([...ALL, 999]);
  });
});

describe('checkSchema (start-up)', () => {
  it('an empty database: run `certfleet store migrate`', async () => {
    const c = await freshDatabase();
    const err = await failure(checkSchema(c.pool, { server: c.server }));
    expect(err.code).toBe('store-schema-missing');
    expect(err.message).toBe(`the PostgreSQL store at ${c.server} has no certfleet schema`);
    expect(err.hint).toContain('certfleet store migrate');
    expect(await tables(c)).toEqual([]); // the check created nothing
  });

  it('a schema older than the binary: run `certfleet store migrate`', async () => {
    const c = await freshDatabase();
    await migrate(c.pool);
    const next: Migration = { version: SCHEMA_VERSION + 1, name: 'next', sql: 'SELECT 1' };
    const err = await failure(checkSchema(c.pool, { migrations: [...MIGRATIONS, next], binaryVersion: '0.2.0', server: c.server }));
    expect(err.code).toBe('store-schema-old');
    expect(err.message).toBe(`the PostgreSQL store at ${c.server} has schema version ${SCHEMA_VERSION}; this certfleet 0.2.0 needs version ${SCHEMA_VERSION + 1}`);
    expect(err.hint).toBe('run `certfleet store migrate` to bring it up to date');
  });
});

describe('schema version 1', () => {
  let c: PostgresConnection;
  beforeAll(async () => {
    c = await freshDatabase();
    await migrate(c.pool);
  });

  it('keeps a version\'s encrypted key, points current at it, and cascades a certificate\'s deletion', async () => {
    const ring = keyring(dataKey(randomBytes(32)));
    const owner: KeyOwner = { kind: 'version', certificate: 'web', version: 'v1' };
    const pem = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    const row = encryptPrivateKey(ring, pem, owner);
    await c.pool.query("INSERT INTO certificates (name, spec, spec_hash) VALUES ('web', '{\"names\":[\"www.example.test\"]}', 'h1')");
    await c.pool.query(
      "INSERT INTO versions (certificate, id, meta, cert_pem, key_ciphertext, key_nonce, key_id) VALUES ('web', 'v1', '{}', 'CERT', $1, $2, $3)",
      [row.ciphertext, row.nonce, row.keyId],
    );
    await c.pool.query("UPDATE certificates SET current_version = 'v1' WHERE name = 'web'");
    const read = await c.pool.query<{ key_ciphertext: Buffer; key_nonce: Buffer; key_id: string; state: unknown; lease_token: string }>(
      "SELECT v.key_ciphertext, v.key_nonce, v.key_id, c.state, c.lease_token FROM versions v JOIN certificates c ON c.current_version = v.id AND c.name = v.certificate WHERE c.name = 'web'",
    );
    const got = read.rows[0]!;
    expect(got.state).toEqual({});
    expect(got.lease_token).toBe('0');
    expect(decryptPrivateKey(ring, { ciphertext: got.key_ciphertext, nonce: got.key_nonce, keyId: got.key_id }, owner)).toBe(pem);

    // current must name a version of the same certificate.
    await expect(c.pool.query("UPDATE certificates SET current_version = 'v9' WHERE name = 'web'")).rejects.toThrow(/certificates_current_version/);
    // A nonce of the wrong size, or a key without its nonce, is refused by the schema itself.
    await expect(
      c.pool.query("INSERT INTO versions (certificate, id, cert_pem, key_ciphertext, key_nonce, key_id) VALUES ('web', 'v2', 'C', '\\x00', '\\x0001', 'k')"),
    ).rejects.toThrow(/versions_key_nonce_length/);
    await expect(c.pool.query("INSERT INTO versions (certificate, id, cert_pem, key_ciphertext) VALUES ('web', 'v3', 'C', '\\x00')")).rejects.toThrow(
      /versions_key_whole/,
    );
    await expect(c.pool.query("INSERT INTO run_records (kind, at, body) VALUES ('gossip', now(), '{}')")).rejects.toThrow(/run_records_kind_check/);

    await c.pool.query("DELETE FROM certificates WHERE name = 'web'");
    expect((await c.pool.query("SELECT count(*)::int AS n FROM versions WHERE certificate = 'web'")).rows[0]).toEqual({ n: 0 });
  });

  it('claims due certificates with FOR UPDATE SKIP LOCKED: two runners get disjoint sets, each claim bumps the fencing token', async () => {
    await c.pool.query("INSERT INTO certificates (name) SELECT 'claim-' || i FROM generate_series(1, 10) AS i");
    const claim = `
      UPDATE certificates SET lease_owner = $1, lease_expires_at = now() + interval '5 minutes', lease_token = lease_token + 1
      WHERE name IN (
        SELECT name FROM certificates
        WHERE archived_at IS NULL AND (next_check_at IS NULL OR next_check_at <= now()) AND name LIKE 'claim-%'
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY next_check_at NULLS FIRST LIMIT 6 FOR UPDATE SKIP LOCKED)
      RETURNING name, lease_token`;
    const a = await c.pool.connect();
    const b = await c.pool.connect();
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      const first = await a.query<{ name: string; lease_token: string }>(claim, ['runner-a']);
      // b runs while a's claim is uncommitted: it skips a's rows instead of waiting on them.
      const second = await b.query<{ name: string; lease_token: string }>(claim, ['runner-b']);
      await a.query('COMMIT');
      await b.query('COMMIT');
      expect(first.rows).toHaveLength(6);
      expect(second.rows).toHaveLength(4);
      const names = [...first.rows, ...second.rows].map((r) => r.name);
      expect(new Set(names).size).toBe(10);
      expect([...first.rows, ...second.rows].every((r) => r.lease_token === '1')).toBe(true);
    } finally {
      a.release();
      b.release();
    }
  });

  it('answers the due query from the certificates_due index on 100,000 certificates', async () => {
    const big = await freshDatabase();
    await migrate(big.pool);
    // 100,000 certificates: every 1,000th never checked (null), every 1,000th (offset 1) overdue,
    // every 500th (offset 2) archived, the rest due over the coming weeks.
    await big.pool.query(`
      INSERT INTO certificates (name, spec_hash, next_check_at, archived_at)
      SELECT 'cert-' || i, 'h',
        CASE WHEN i % 1000 = 0 THEN NULL
             WHEN i % 1000 = 1 THEN now() - interval '1 hour'
             ELSE now() + (1 + i % 997) * interval '1 hour' END,
        CASE WHEN i % 500 = 2 THEN now() - interval '1 day' END
      FROM generate_series(1, 100000) AS i`);
    await big.pool.query('ANALYZE certificates');
    const due = 'SELECT name FROM certificates WHERE archived_at IS NULL AND (next_check_at IS NULL OR next_check_at <= now())';
    const { rows } = await big.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${due}`);
    const plan = JSON.stringify(rows[0]?.['QUERY PLAN']);
    expect(plan, plan).toContain('"Index Name":"certificates_due"');
    expect(plan, plan).not.toContain('"Seq Scan"');
    const answer = await big.pool.query(due);
    expect(answer.rowCount).toBe(200); // 100 never checked + 100 overdue; none archived
  });
});
