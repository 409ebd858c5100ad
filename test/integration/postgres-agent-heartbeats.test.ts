/**
 * Schema version 9 against a real PostgreSQL 15 (src/store/postgres/migrations/009-agent-heartbeats.ts):
 * - agents' heartbeats (src/store/postgres/heartbeats.ts): one row per host, replaced at each
 *   beat; every host the active specs name with its last report and heartbeat, in one query;
 * - row-level security under a real agent role: it writes and reads its own host's row only, a
 *   runner reads every row;
 * - the index on deployments (host, attempted_at DESC): "when did host H last report" is an index
 *   lookup over thousands of rows (and without it, a scan of the table);
 * - host names stored before version 9 in any case are put in lower case, each host once.
 * The test cluster trusts local connections: a role is reached by connecting with its name.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentUrl, grantAgent } from '../../src/store/postgres/agent-roles.js';
import { createPool, type PostgresConnection } from '../../src/store/postgres/connection.js';
import { Db } from '../../src/store/postgres/db.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { PostgresHeartbeats } from '../../src/store/postgres/heartbeats.js';
import { migrate, MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import type { AgentHeartbeat } from '../../src/store/ports.js';
import { addCurrent, applySpecs, hostSpec } from '../helpers/postgres-stores.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;
let databases = 0;
const open: Array<{ close(): Promise<void> }> = [];
const ring = keyring(dataKey(randomBytes(32)));

beforeAll(async () => {
  server = await startPostgres();
}, 30_000);

afterAll(async () => {
  for (const c of open.reverse()) await c.close().catch(() => undefined);
  await server?.stop();
});

function pool(url: string): PostgresConnection {
  const c = createPool(url);
  open.push(c);
  return c;
}

/** A new database migrated up to `version` (all by default), with an owner's pool on it. */
async function database(version = MIGRATIONS.length): Promise<{ url: string; owner: PostgresConnection }> {
  const url = await server.createDatabase(`hb${++databases}`);
  const owner = pool(url);
  await migrate(owner.pool, { migrations: MIGRATIONS.slice(0, version) });
  return { url, owner };
}

async function store(url: string): Promise<PostgresStateStore> {
  const s = await PostgresStateStore.open({ url, keyring: ring });
  open.push(s);
  return s;
}

const beat = (host: string, extra: Partial<AgentHeartbeat> = {}): AgentHeartbeat => ({ host, agentVersion: '1.2.3', hostname: 'machine-1', pid: 4242, intervalMs: 3_600_000, listening: [], ...extra });

describe('agent heartbeats (PostgreSQL)', () => {
  it("keeps one row per host, replaced at each beat, stamped with the server's clock", async () => {
    const { url, owner } = await database();
    const s = await store(url);
    expect(await s.heartbeats.forHosts([])).toEqual(new Map());
    await s.heartbeats.beat(beat('a', { listening: ['http-01', 'tls-alpn-01'] }));
    await owner.pool.query("UPDATE agent_heartbeats SET seen_at = '2026-12-01T00:00:00Z'");
    // The next pass, run --once now (no interval): everything replaced, seen_at the server's now.
    await s.heartbeats.beat(beat('a', { pid: 7, intervalMs: undefined }));
    await s.heartbeats.beat(beat('b'));
    const got = await s.heartbeats.forHosts(['a', 'b', 'nobody']);
    expect([...got.keys()].sort()).toEqual(['a', 'b']);
    const a = got.get('a')!;
    expect(a).toEqual({ host: 'a', seenAt: expect.any(String) as string, agentVersion: '1.2.3', hostname: 'machine-1', pid: 7, listening: [] });
    const { rows } = await owner.pool.query<{ now: Date }>('SELECT now()');
    expect(Math.abs(Date.parse(a.seenAt) - rows[0]!.now.getTime())).toBeLessThan(60_000);
    expect(got.get('b')).toMatchObject({ intervalMs: 3_600_000, listening: [] });
    expect((await owner.pool.query('SELECT count(*)::int AS n FROM agent_heartbeats')).rows[0]).toEqual({ n: 2 });
  });

  it('lists every host the active specs name with its newest report and its heartbeat, each absent when never', async () => {
    const { url, owner } = await database();
    const s = await store(url);
    await applySpecs(s, [hostSpec('web', ['a', 'b', 'c']), hostSpec('api', ['a', 'd']), hostSpec('local')], '1');
    await addCurrent(s, 'web', 'v1');
    await addCurrent(s, 'api', 'v1');
    await s.deployments.record('web', 'a', { status: 'deployed', version: 'v1' });
    await s.deployments.record('api', 'a', { status: 'deployed', version: 'v1' });
    await s.deployments.record('web', 'b', { status: 'failed', version: 'v1', detail: 'disk full' });
    await owner.pool.query("UPDATE deployments SET attempted_at = '2026-12-01T10:00:00Z' WHERE certificate = 'web' AND host = 'a'");
    await owner.pool.query("UPDATE deployments SET attempted_at = '2026-12-02T10:00:00Z' WHERE certificate = 'api' AND host = 'a'");
    await owner.pool.query("UPDATE deployments SET attempted_at = '2026-11-30T10:00:00Z' WHERE host = 'b'");
    await s.heartbeats.beat(beat('a'));
    await s.heartbeats.beat(beat('c', { intervalMs: undefined }));
    await s.heartbeats.beat(beat('gone')); // named by no spec: not listed
    await owner.pool.query("UPDATE agent_heartbeats SET seen_at = '2026-12-03T10:00:00Z'");

    const hosts = await s.heartbeats.fleetHosts();
    expect(hosts).toEqual([
      { host: 'a', lastReport: '2026-12-02T10:00:00.000Z', heartbeat: { ...beat('a'), seenAt: '2026-12-03T10:00:00.000Z' } },
      { host: 'b', lastReport: '2026-11-30T10:00:00.000Z' },
      { host: 'c', heartbeat: { host: 'c', agentVersion: '1.2.3', hostname: 'machine-1', pid: 4242, listening: [], seenAt: '2026-12-03T10:00:00.000Z' } },
      { host: 'd' },
    ]);
  });

  it("under an agent role: writes and reads its own host's row only; a runner reads every row", async () => {
    const { url, owner } = await database();
    const s = await store(url);
    await applySpecs(s, [hostSpec('web-a', ['a']), hostSpec('web-b', ['b'])], '1');
    // Granted as written by someone who typed the host in capitals: bound as the specs name it.
    expect(await grantAgent(owner.pool, { host: 'A' })).toMatchObject({ host: 'a', role: 'certfleet_agent_a' });
    await s.heartbeats.beat(beat('b'));

    const agent = pool(agentUrl(url, 'certfleet_agent_a'));
    const heartbeats = new PostgresHeartbeats(new Db(agent.pool, agent.server));
    await heartbeats.beat(beat('a'));
    await heartbeats.beat(beat('a', { pid: 99 })); // the upsert's update path
    await expect(heartbeats.beat(beat('b'))).rejects.toThrow(/row-level security/);
    await expect(heartbeats.beat(beat('c'))).rejects.toThrow(/row-level security/);
    await expect(agent.pool.query("UPDATE agent_heartbeats SET host = 'c' WHERE host = 'a'")).rejects.toThrow(/row-level security/);
    await expect(agent.pool.query('DELETE FROM agent_heartbeats')).rejects.toThrow(/permission denied/);
    expect([...(await heartbeats.forHosts(['a', 'b'])).keys()]).toEqual(['a']);
    expect((await heartbeats.forHosts(['a'])).get('a')!.pid).toBe(99);
    // Host b's row was neither changed nor seen.
    expect((await owner.pool.query('SELECT host, pid FROM agent_heartbeats ORDER BY host')).rows).toEqual([
      { host: 'a', pid: 99 },
      { host: 'b', pid: 4242 },
    ]);

    await owner.pool.query('CREATE ROLE hb_runner LOGIN IN ROLE certfleet_runner');
    const runner = pool(agentUrl(url, 'hb_runner'));
    const all = new PostgresHeartbeats(new Db(runner.pool, runner.server));
    expect([...(await all.forHosts(['a', 'b'])).keys()].sort()).toEqual(['a', 'b']);
    expect((await all.fleetHosts()).map((h) => [h.host, h.heartbeat?.pid])).toEqual([
      ['a', 99],
      ['b', 4242],
    ]);
  });

  it('finds a host\'s newest report through the (host, attempted_at) index over thousands of rows, and would scan without it', async () => {
    const { url, owner } = await database();
    const s = await store(url);
    const c = await owner.pool.connect();
    try {
      // 4,000 certificates on 200 hosts, two hosts each: 8,000 reports.
      await c.query(
        `INSERT INTO certificates (name, spec) SELECT 'c' || i, jsonb_build_object('name', 'c' || i, 'entry', jsonb_build_object('hosts', jsonb_build_array('h' || (i % 200), 'h' || ((i + 1) % 200))))
           FROM generate_series(1, 4000) AS i`,
      );
      await c.query(
        `INSERT INTO deployments (certificate, host, version, status, attempted_at)
           SELECT 'c' || i, h, 'v1', 'deployed', timestamptz '2026-12-01' + (i || ' seconds')::interval
             FROM generate_series(1, 4000) AS i CROSS JOIN LATERAL (VALUES ('h' || (i % 200)), ('h' || ((i + 1) % 200))) AS x(h)`,
      );
      await c.query('ANALYZE certificates');
      await c.query('ANALYZE deployments');
      const plan = async (sql: string, values: unknown[] = []) => (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      // lastReports (deployments.ts) as it asks, and the newest report per host as fleetHosts asks.
      const lastReports = "SELECT host, max(attempted_at) AS last FROM deployments WHERE host = ANY($1::text[]) GROUP BY host";
      const newest = "SELECT d.attempted_at FROM deployments d WHERE d.host = 'h7' ORDER BY d.attempted_at DESC LIMIT 1";
      expect(await plan(lastReports, [['h7', 'h8']])).toMatch(/Scan (using|on) deployments_host_attempted/);
      expect(await plan(newest)).toMatch(/Scan (using|on) deployments_host_attempted/);

      await c.query('BEGIN');
      await c.query('DROP INDEX deployments_host_attempted');
      expect(await plan(lastReports, [['h7', 'h8']])).toMatch(/Seq Scan on deployments/);
      expect(await plan(newest)).toMatch(/Seq Scan on deployments/);
      await c.query('ROLLBACK');
    } finally {
      c.release();
    }
    // And the answers are right: h7 is named by c6 and c7; its newest report is c7's.
    const h7 = (await s.heartbeats.fleetHosts()).find((h) => h.host === 'h7');
    expect(h7).toEqual({ host: 'h7', lastReport: new Date(Date.parse('2026-12-01T00:00:00Z') + 3807 * 1000).toISOString() });
    expect(await s.deployments.lastReports(['h7'])).toEqual(new Map([['h7', h7!.lastReport]]));
  });
});

describe('migration 9: host names stored in lower case', () => {
  it('puts every stored host name in lower case, each host once, and keeps what it can', async () => {
    const { url, owner } = await database(8);
    const q = (sql: string, values: unknown[] = []) => owner.pool.query(sql, values);
    const spec = (name: string, hosts: unknown) => JSON.stringify({ name, entry: { name, hosts }, baseDir: '/', where: name, file: '/c.yaml' });
    await q('INSERT INTO certificates (name, spec) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8)', [
      'web', spec('web', ['Web-1', 'b', 'WEB-1', 'Edge.DC1']),
      'api', spec('api', ['api-1']),
      'odd', spec('odd', 'not-a-list'),
      'plain', null,
    ]);
    await q("INSERT INTO versions (certificate, id, cert_pem, key_ciphertext, key_nonce, key_id) VALUES ('web', 'v1', 'CERT', '\\xdeadbeef', $1, 'k1')", [Buffer.alloc(12)]);
    await q("INSERT INTO agent_roles (role, host) VALUES ('certfleet_agent_web_1', 'Web-1'), ('certfleet_agent_b', 'b')");
    // Two reports of one certificate under two spellings: the newer is kept.
    await q(`INSERT INTO deployments (certificate, host, version, status, attempted_at) VALUES
      ('web', 'Web-1', 'v1', 'failed', '2026-12-01T00:00:00Z'), ('web', 'web-1', 'v1', 'deployed', '2026-12-02T00:00:00Z'),
      ('web', 'EDGE.dc1', 'v1', 'deployed', '2026-12-01T00:00:00Z'), ('api', 'API-1', 'v1', 'deployed', '2026-12-01T00:00:00Z'),
      ('api', 'Api-1', 'v1', 'failed', '2026-12-03T00:00:00Z')`);
    // Keys: web-1 registered twice (lower case kept); Edge.DC1 once in capitals (renamed, its wrapped copy dropped and asked for again).
    await q(`INSERT INTO host_keys (host, public_key, fingerprint, created_at, wrap_requested_at, wrapped_at) VALUES
      ('Web-1', 'PEM-upper', 'f-upper', '2026-12-02T00:00:00Z', '2026-12-02T00:00:00Z', '2026-12-02T00:00:01Z'),
      ('web-1', 'PEM-lower', 'f-lower', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-01T00:00:01Z'),
      ('Edge.DC1', 'PEM-edge', 'f-edge', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-12-01T00:00:01Z')`);
    await q(`INSERT INTO version_host_keys (certificate, version, host, fingerprint, wrapped_key) VALUES
      ('web', 'v1', 'Web-1', 'f-upper', '\\x01'), ('web', 'v1', 'web-1', 'f-lower', '\\x02'), ('web', 'v1', 'Edge.DC1', 'f-edge', '\\x03')`);

    expect(await migrate(owner.pool)).toMatchObject({ from: 8, to: MIGRATIONS.length, applied: [9] });

    const rows = async (sql: string) => (await q(sql)).rows as unknown[];
    expect(await rows("SELECT name, spec->'entry'->'hosts' AS hosts FROM certificates ORDER BY name")).toEqual([
      { name: 'api', hosts: ['api-1'] },
      { name: 'odd', hosts: 'not-a-list' },
      { name: 'plain', hosts: null },
      { name: 'web', hosts: ['web-1', 'b', 'edge.dc1'] },
    ]);
    // The rest of a spec is untouched.
    expect(await rows("SELECT spec - 'entry' AS rest FROM certificates WHERE name = 'web'")).toEqual([{ rest: { name: 'web', baseDir: '/', where: 'web', file: '/c.yaml' } }]);
    expect(await rows('SELECT role, host FROM agent_roles ORDER BY role')).toEqual([
      { role: 'certfleet_agent_b', host: 'b' },
      { role: 'certfleet_agent_web_1', host: 'web-1' },
    ]);
    expect(await rows('SELECT certificate, host, status FROM deployments ORDER BY certificate, host')).toEqual([
      { certificate: 'api', host: 'api-1', status: 'failed' },
      { certificate: 'web', host: 'edge.dc1', status: 'deployed' },
      { certificate: 'web', host: 'web-1', status: 'deployed' },
    ]);
    expect(await rows('SELECT host, public_key, wrap_requested_at > wrapped_at AS asks FROM host_keys ORDER BY host')).toEqual([
      { host: 'edge.dc1', public_key: 'PEM-edge', asks: true },
      // Asked by migration 7's trigger: the spec now names web-1 in the form its key is registered under.
      { host: 'web-1', public_key: 'PEM-lower', asks: true },
    ]);
    expect(await rows('SELECT host, fingerprint FROM version_host_keys ORDER BY host')).toEqual([{ host: 'web-1', fingerprint: 'f-lower' }]);

    // And the agents find their certificates by the lower-case name, through the GIN index's operator.
    const s = await store(url);
    expect((await s.deployments.assignedTo('edge.dc1')).map((x) => x.name)).toEqual(['web']);
    expect((await s.deployments.assignedTo('Edge.DC1')).map((x) => x.name)).toEqual([]);
  });
});
