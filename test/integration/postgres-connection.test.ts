/**
 * src/store/postgres/connection.ts against a real PostgreSQL 15 (test/helpers/postgres.ts): the
 * pool's settings as the server sees them, each failure a user can cause as a CertfleetError that
 * names the server without its password, and a server restart in the middle of a run.
 */
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../src/logger.js';
import { connectPostgres, createPool, withPostgresErrors, type PostgresConnection } from '../../src/store/postgres/connection.js';
import { freeTcpPort } from '../helpers/ports.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { isRunning } from '../helpers/processes.js';
import { failure } from '../helpers/failure.js';

let server: RunningPostgres;
const open: PostgresConnection[] = [];

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await server?.stop();
});

function track(c: PostgresConnection): PostgresConnection {
  open.push(c);
  return c;
}


/** Polls the server until `sql` returns a row whose `n` is `want` (bounded). */
async function waitFor(c: PostgresConnection, sql: string, want: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await c.pool.query<{ n: number }>(sql);
    if (rows[0]?.n === want) return;
    if (Date.now() > deadline) throw new Error(`waited 10 s for ${sql} = ${want}; last ${rows[0]?.n}\n${server.log}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('the harness', () => {
  it('serves TCP on 127.0.0.1 and a unix socket in its temp dir, and makes databases', async () => {
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    expect(existsSync(join(server.socketDir, `.s.PGSQL.${server.port}`))).toBe(true);
    const url = await server.createDatabase('harness_db');
    const viaSocket = track(await connectPostgres(`postgres://postgres@/harness_db?host=${encodeURIComponent(server.socketDir)}&port=${server.port}`));
    const { rows } = await viaSocket.pool.query<{ db: string; addr: string | null }>('SELECT current_database() AS db, inet_client_addr()::text AS addr');
    expect(rows[0]).toEqual({ db: 'harness_db', addr: null }); // null: a unix socket, not TCP
    const viaTcp = track(await connectPostgres(url));
    expect((await viaTcp.pool.query<{ addr: string }>('SELECT inet_client_addr()::text AS addr')).rows[0]?.addr).toBe('127.0.0.1/32');
    expect((await viaTcp.pool.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync).toBe('off');
  });

  it('stop() ends the postmaster by its PID and removes the cluster', async () => {
    const other = await startPostgres();
    const pid = other.pid;
    expect(isRunning(pid)).toBe(true);
    await other.stop();
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(other.socketDir)).toBe(false);
  });
});

describe('the pool', () => {
  it('names its sessions "certfleet" and sets the statement timeout', async () => {
    const c = track(await connectPostgres(server.url, { statementTimeoutMs: 4_000 }));
    const { rows } = await c.pool.query<{ app: string; timeout: string }>(
      "SELECT current_setting('application_name') AS app, current_setting('statement_timeout') AS timeout",
    );
    expect(rows[0]).toEqual({ app: 'certfleet', timeout: '4s' });
  });

  it('a statement past the timeout is cancelled by the server: postgres-timeout, and the pool goes on', async () => {
    const c = track(await connectPostgres(server.url, { statementTimeoutMs: 100 }));
    const err = await failure(withPostgresErrors(c.server, () => c.pool.query('SELECT pg_sleep(5)')));
    expect(err.code).toBe('postgres-timeout');
    expect(err.message).toContain('canceling statement due to statement timeout');
    expect((await c.pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
  });
});

describe('connection failures name the server, never its password', () => {
  it('nothing listening: postgres-unreachable', async () => {
    const port = await freeTcpPort();
    const err = await failure(connectPostgres(`postgres://certfleet:hunter2@127.0.0.1:${port}/fleet`));
    expect(err.code).toBe('postgres-unreachable');
    expect(err.message).toBe(
      `PostgreSQL at postgres://certfleet:***@127.0.0.1:${port}/fleet: server not reachable (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(JSON.stringify({ message: err.message, hint: err.hint })).not.toContain('hunter2');
  });

  it('a unix socket that is not there: postgres-unreachable', async () => {
    const err = await failure(connectPostgres(`postgres://postgres@/postgres?host=${encodeURIComponent(server.socketDir)}&port=1`));
    expect(err.code).toBe('postgres-unreachable');
    expect(err.message).toContain('ENOENT');
  });

  it('a database that does not exist: postgres-database-missing', async () => {
    const err = await failure(connectPostgres(server.urlFor('no_such_db').replace('postgres@', 'postgres:hunter2@')));
    expect(err.code).toBe('postgres-database-missing');
    expect(err.message).toBe(`PostgreSQL at postgres://postgres:***@127.0.0.1:${server.port}/no_such_db: the database does not exist (database "no_such_db" does not exist)`);
  });

  it('a role the server refuses: postgres-auth', async () => {
    const err = await failure(connectPostgres(`postgres://nobody:hunter2@127.0.0.1:${server.port}/postgres`));
    expect(err.code).toBe('postgres-auth');
    expect(err.message).toContain('role "nobody" does not exist');
    expect(err.message).not.toContain('hunter2');
  });

  it('a statement the role has no grant for: postgres-permission, naming what to grant', async () => {
    const setup = await connectPostgres(server.url);
    try {
      await setup.pool.query('CREATE TABLE IF NOT EXISTS private_rows (x int)');
      await setup.pool.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nogrants') THEN CREATE ROLE nogrants LOGIN; END IF; END $$");
    } finally {
      await setup.close();
    }
    const weak = await connectPostgres(`postgres://nogrants@127.0.0.1:${server.port}/postgres`);
    try {
      const err = await failure(withPostgresErrors(weak.server, () => weak.pool.query('SELECT * FROM private_rows')));
      expect(err.code).toBe('postgres-permission');
      expect(err.message).toContain('permission denied for table private_rows');
    } finally {
      await weak.close();
    }
  });

  it('a server slower to accept than the connect timeout: postgres-unreachable', async () => {
    // A listener that accepts and never answers the startup packet: a hung server, not a refused one.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const err = await failure(connectPostgres(`postgres://postgres@127.0.0.1:${port}/postgres`, { connectTimeoutMs: 200 }));
      expect(err.code).toBe('postgres-unreachable');
      expect(err.message).toMatch(/connect timeout/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('PostgreSQL restarted during a run', () => {
  it('idle pooled connections are dropped (a warning, not a crash) and the next query reconnects', async () => {
    const logger = recordingLogger();
    const c = track(createPool(await server.createDatabase('restart_idle'), { logger }));
    // Two idle connections in the pool, both ended by the restart.
    const a = await c.pool.connect();
    const b = await c.pool.connect();
    a.release();
    b.release();
    expect(c.pool.idleCount).toBe(2);
    const before = server.pid;
    await server.restart('fast');
    expect(server.pid).not.toBe(before);
    const { rows } = await withPostgresErrors(c.server, () => c.pool.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows).toEqual([{ one: 1 }]);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toContain(
      'PostgreSQL closed an idle connection; the next query opens a new one',
    );
  });

  it('a statement in flight when the server goes down fails as postgres-connection-lost; the next one works', async () => {
    const url = await server.createDatabase('restart_busy');
    const c = track(createPool(url, { logger: recordingLogger() }));
    const watcher = track(createPool(url, { logger: recordingLogger() }));
    const inFlight = withPostgresErrors(c.server, () => c.pool.query("SELECT pg_sleep(30), 'busy' AS tag"));
    inFlight.catch(() => undefined);
    await waitFor(watcher, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(30)%' AND state = 'active'", 1);
    await server.restart('immediate');
    const err = await failure(inFlight);
    expect(err.code).toBe('postgres-connection-lost');
    expect(err.message).toContain(`PostgreSQL at ${c.server}`);
    expect((await c.pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });
});
