/**
 * Least privilege for agents (migration 006, src/store/postgres/agent-roles.ts) against a real
 * PostgreSQL 15. The test cluster trusts every local connection, so a password would prove nothing:
 * each role is reached by connecting with its user name, and row-level security applies per role
 * whatever authenticated it. Three certificates: web-a on host a, web-b on host b, web-ab on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentRoleName, agentUrl, grantAgent, revokeAgent } from '../../src/store/postgres/agent-roles.js';
import { createPool, type PostgresConnection } from '../../src/store/postgres/connection.js';
import { Db } from '../../src/store/postgres/db.js';
import { PostgresDeployments } from '../../src/store/postgres/deployments.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { failure } from '../helpers/failure.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;
let owner: PostgresConnection;
let url: string;
const open: PostgresConnection[] = [];

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('roles');
  owner = createPool(url);
  await migrate(owner.pool);
  const spec = (hosts: string[]) => JSON.stringify({ entry: { name: 'x', hosts } });
  for (const [name, hosts] of [['web-a', ['a']], ['web-b', ['b']], ['web-ab', ['a', 'b']]] as const) {
    await owner.pool.query('INSERT INTO certificates (name, spec) VALUES ($1, $2)', [name, spec([...hosts])]);
    await owner.pool.query("INSERT INTO versions (certificate, id, cert_pem, key_ciphertext, key_nonce, key_id) VALUES ($1, 'v1', 'CERT', '\\xdeadbeef', $2, 'k1')", [name, Buffer.alloc(12)]);
    await owner.pool.query("UPDATE certificates SET current_version = 'v1' WHERE name = $1", [name]);
  }
  // Host b already reported web-b: a must not see it.
  await owner.pool.query("INSERT INTO deployments (certificate, host, version, status) VALUES ('web-b', 'b', 'v1', 'deployed')");
}, 30_000);

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await owner?.close();
  await server?.stop();
});

/** A pool connected as `role` (trust auth: the user name is the identity). */
function as(role: string): PostgresConnection {
  const c = createPool(agentUrl(url, role));
  open.push(c);
  return c;
}

const names = async (c: PostgresConnection, sql: string, values: unknown[] = []) => (await c.pool.query<{ name: string }>(sql, values)).rows.map((r) => r.name);

describe('agent roles and row-level security', () => {
  it('grant-agent: a role per host, idempotent, refusing a role bound elsewhere or one RLS would not limit', async () => {
    expect(agentRoleName('Web-1.example')).toBe('certfleet_agent_web_1_example');
    expect(await grantAgent(owner.pool, { host: 'a' })).toEqual({ host: 'a', role: 'certfleet_agent_a', created: true, bound: true });
    expect(await grantAgent(owner.pool, { host: 'a' })).toEqual({ host: 'a', role: 'certfleet_agent_a', created: false, bound: false });
    expect(await grantAgent(owner.pool, { host: 'b' })).toMatchObject({ role: 'certfleet_agent_b', created: true, bound: true });
    expect((await owner.pool.query('SELECT role, host FROM agent_roles ORDER BY role')).rows).toEqual([
      { role: 'certfleet_agent_a', host: 'a' },
      { role: 'certfleet_agent_b', host: 'b' },
    ]);
    const { rows } = await owner.pool.query<{ login: boolean; agent: boolean }>(
      "SELECT rolcanlogin AS login, pg_has_role('certfleet_agent_a', 'certfleet_agent', 'MEMBER') AS agent FROM pg_roles WHERE rolname = 'certfleet_agent_a'",
    );
    expect(rows).toEqual([{ login: true, agent: true }]);

    const elsewhere = await failure(grantAgent(owner.pool, { host: 'b', role: 'certfleet_agent_a' }));
    expect(elsewhere.code).toBe('agent-role-bound');
    expect(elsewhere.message).toBe('role certfleet_agent_a is the agent role of host a, not b');
    const superuser = await failure(grantAgent(owner.pool, { host: 'c', role: 'postgres' }));
    expect(superuser.code).toBe('agent-role-unlimited');
    expect((await owner.pool.query("SELECT count(*)::int AS n FROM agent_roles WHERE host = 'c'")).rows[0]).toEqual({ n: 0 });
    expect((await failure(grantAgent(owner.pool, { host: 'a b' }))).code).toBe('usage');
  });

  it("agent a sees its host's certificates and versions only, whatever host it asks for", async () => {
    const a = as('certfleet_agent_a');
    expect(await names(a, 'SELECT certificate AS name FROM versions ORDER BY 1')).toEqual(['web-a', 'web-ab']);
    // Host b's keys: asked for by name, nothing comes back.
    expect((await a.pool.query("SELECT key_ciphertext FROM versions WHERE certificate = 'web-b'")).rows).toEqual([]);
    expect(await names(a, 'SELECT name FROM certificates ORDER BY 1')).toEqual(['web-a', 'web-ab']);
    const deployments = new PostgresDeployments(new Db(a.pool, a.server));
    // `agent --host b` under a's role: the binding wins over the flag (web-ab is a's too; web-b is not there).
    expect((await deployments.assignedTo('b')).map((x) => x.name)).toEqual(['web-ab']);
    expect((await deployments.assignedTo('a')).map((x) => x.name)).toEqual(['web-a', 'web-ab']);
    // The accounts' key ids for the start-up key check, never an account key; no deletes.
    expect((await a.pool.query('SELECT key_id FROM accounts')).rows).toEqual([]);
    await expect(a.pool.query('SELECT key_ciphertext FROM accounts')).rejects.toThrow(/permission denied/);
    await expect(a.pool.query('DELETE FROM deployments')).rejects.toThrow(/permission denied/);
  });

  it("agent a reports for its own host only, and sees only its own host's reports", async () => {
    const a = as('certfleet_agent_a');
    const deployments = new PostgresDeployments(new Db(a.pool, a.server));
    await deployments.record('web-a', 'a', { status: 'deployed', version: 'v1' });
    await deployments.record('web-a', 'a', { status: 'failed', version: 'v1', detail: 'reload refused' }); // the upsert's update path
    await deployments.record('web-ab', 'a', { status: 'deployed', version: 'v1' });
    await expect(deployments.record('web-ab', 'b', { status: 'deployed', version: 'v1' })).rejects.toThrow(/row-level security/);
    await expect(deployments.record('web-b', 'b', { status: 'deployed', version: 'v1' })).rejects.toThrow(/row-level security/);
    // Its own host's name on a certificate not assigned to it is refused too.
    await expect(deployments.record('web-b', 'a', { status: 'deployed', version: 'v1' })).rejects.toThrow(/row-level security/);
    // Moving its row to another host is refused by the update's check.
    await expect(a.pool.query("UPDATE deployments SET host = 'b' WHERE certificate = 'web-a'")).rejects.toThrow(/row-level security/);
    expect((await a.pool.query('SELECT certificate, host, status FROM deployments ORDER BY certificate')).rows).toEqual([
      { certificate: 'web-a', host: 'a', status: 'failed' },
      { certificate: 'web-ab', host: 'a', status: 'deployed' },
    ]);
    expect((await owner.pool.query('SELECT certificate, host FROM deployments ORDER BY certificate, host')).rows).toEqual([
      { certificate: 'web-a', host: 'a' },
      { certificate: 'web-ab', host: 'a' },
      { certificate: 'web-b', host: 'b' },
    ]);
  });

  it('a certfleet_runner role sees and writes every row', async () => {
    await owner.pool.query('CREATE ROLE runner_one LOGIN IN ROLE certfleet_runner');
    const runner = as('runner_one');
    expect(await names(runner, 'SELECT certificate AS name FROM versions ORDER BY 1')).toEqual(['web-a', 'web-ab', 'web-b']);
    await new PostgresDeployments(new Db(runner.pool, runner.server)).record('web-ab', 'b', { status: 'deployed', version: 'v1' });
    expect((await runner.pool.query('SELECT count(*)::int AS n FROM deployments')).rows[0]).toEqual({ n: 4 });
    // A runner is not an agent: grant-agent refuses to make it one (it would still see everything).
    expect((await failure(grantAgent(owner.pool, { host: 'c', role: 'runner_one' }))).code).toBe('agent-role-unlimited');
  });

  it("revoke-agent takes the host's access away, and is idempotent", async () => {
    expect(await revokeAgent(owner.pool, { host: 'a' })).toEqual({ host: 'a', roles: ['certfleet_agent_a'] });
    expect(await revokeAgent(owner.pool, { host: 'a' })).toEqual({ host: 'a', roles: [] });
    const a = as('certfleet_agent_a');
    await expect(a.pool.query('SELECT certificate FROM versions')).rejects.toThrow(/permission denied/);
    // b is untouched.
    const b = as('certfleet_agent_b');
    expect(await names(b, 'SELECT certificate AS name FROM versions ORDER BY 1')).toEqual(['web-ab', 'web-b']);
    // Granted again: the same role, bound again.
    expect(await grantAgent(owner.pool, { host: 'a' })).toEqual({ host: 'a', role: 'certfleet_agent_a', created: false, bound: true });
    expect(await names(as('certfleet_agent_a'), 'SELECT certificate AS name FROM versions ORDER BY 1')).toEqual(['web-a', 'web-ab']);
  });
});
