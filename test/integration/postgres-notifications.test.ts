/**
 * The store's change feed (notifications.ts via PostgresStateStore.listen) on a real PostgreSQL:
 * migration 004's trigger is heard when a certificate's current version changes; when the server
 * restarts, the connection is reported lost once, reconnected by itself (no unhandled 'error'
 * crashes the process), reported back, and notifications after that arrive again.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '../../src/logger.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { listenOn } from '../../src/store/postgres/notifications.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { changeFeed } from '../../src/store/ports.js';
import { waitUntil } from '../helpers/cli-process.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let postgres: RunningPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
});

async function exec(url: string, sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL change feed', () => {
  it('hears certfleet_current, survives a server restart with one warning, and hears it again', async () => {
    const url = await postgres.createDatabase('feed');
    const pool = new pg.Pool({ connectionString: url });
    await migrate(pool, {});
    await pool.end();
    const store = await PostgresStateStore.open({ url, keyring: keyring(dataKey(randomBytes(32))) });
    const logger = recordingLogger();
    const heard: string[] = [];
    const connection: boolean[] = [];
    const feed = changeFeed(store);
    expect(feed).toBeDefined();
    const sub = await feed!.listen('certfleet_current', { message: (n) => heard.push(n), connection: (up) => connection.push(up) }, logger);
    try {
      expect(connection).toEqual([true]);
      await exec(url, "INSERT INTO certificates (name) VALUES ('web')");
      await exec(url, "INSERT INTO versions (certificate, id, cert_pem) VALUES ('web', 'v1', 'x'), ('web', 'v2', 'x')");
      await exec(url, "UPDATE certificates SET current_version = 'v1' WHERE name = 'web'");
      await waitUntil('the first notification', () => heard.includes('web'));

      await postgres.restart('fast');
      await waitUntil('reconnected', () => connection.length >= 3, 30_000, () => JSON.stringify({ connection, lines: logger.lines }));
      expect(connection).toEqual([true, false, true]);
      const warnings = logger.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/lost the LISTEN connection/);
      expect(logger.lines.some((l) => l.level === 'info' && /LISTEN connection .* is back/.test(l.message))).toBe(true);

      await exec(url, "UPDATE certificates SET current_version = 'v2' WHERE name = 'web'");
      await waitUntil('the notification after the restart', () => heard.filter((n) => n === 'web').length === 2);
    } finally {
      await sub.close();
      await store.close();
    }
  }, 60_000);

  it('says an outage once however many attempts fail, and keeps trying with a growing wait', async () => {
    // A "server" that drops every connection at once: each attempt fails, the process must not crash.
    const attempts: number[] = [];
    const server = createServer((socket) => {
      attempts.push(Date.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const logger = recordingLogger();
    const connection: boolean[] = [];
    const sub = await listenOn('certfleet_current', { message: () => undefined, connection: (up) => connection.push(up) }, {
      client: { connectionString: `postgres://postgres@127.0.0.1:${port}/x` },
      server: `127.0.0.1:${port}`,
      logger,
      backoffMs: { first: 10, max: 40 },
    });
    try {
      await waitUntil('five attempts', () => attempts.length >= 5);
      expect(connection).toEqual([false]);
      expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      // The waits grow (10, 20, 40, 40 ms at least): never a tight loop.
      const gaps = attempts.slice(1, 5).map((t, i) => t - attempts[i]!);
      expect(gaps.every((g, i) => g >= [10, 20, 40, 40][i]! - 2)).toBe(true);
    } finally {
      await sub.close();
      const after = attempts.length;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Closed: no attempt after it.
      expect(attempts.length).toBe(after);
    }
  }, 30_000);
});
