/**
 * Migration 005's trigger against a real PostgreSQL 15: every report an agent writes to
 * `deployments` (insert, and the update of a later report) sends `certfleet_deployed` with the
 * certificate's name; and `awaitDeployed` over the real store's ChangeFeed is woken by it: with
 * the safety re-read and the deadline an hour away, the wait still ends as soon as both hosts
 * reported (without the trigger it would hang until the test's timeout).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { awaitDeployed, DEPLOYED_CHANNEL, type HostProgress } from '../../src/fleet/await-deployed.js';
import { recordingLogger } from '../../src/logger.js';
import type { IssuedVersion, StoredSpec } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;
const stores: PostgresStateStore[] = [];
const clients: pg.Client[] = [];
let databases = 0;
const ring = keyring(dataKey(randomBytes(32)));

beforeAll(async () => {
  server = await startPostgres();
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  for (const c of clients.splice(0)) await c.end().catch(() => undefined);
});

afterAll(async () => {
  await server?.stop();
});

async function openStore(): Promise<{ store: PostgresStateStore; url: string }> {
  const url = await server.createDatabase(`n${++databases}`);
  const c = createPool(url);
  try {
    await migrate(c.pool);
  } finally {
    await c.close();
  }
  const store = await PostgresStateStore.open({ url, keyring: ring });
  stores.push(store);
  return { store, url };
}

function spec(name: string, hosts: string[]): StoredSpec {
  return { name, entry: { name, domains: [`${name}.example.org`], challenge: { type: 'http-01' }, hosts }, baseDir: '/etc/certfleet', where: `certificates (${name})`, file: '/etc/certfleet/certfleet.config.yaml' };
}

async function withCurrent(store: PostgresStateStore, name: string, id: string): Promise<void> {
  async function* once() {
    yield [spec(name, ['a', 'b'])];
  }
  await store.specs.apply(once(), { fingerprint: id, sharedHash: 'shared', appliedBy: 'test', dryRun: false });
  const version: IssuedVersion = { id, serialNumber: id, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: ['x.example.org'], issuedAt: '2026-01-01T00:00:00.000Z' };
  await store.certificates.addVersion(name, version, { certPem: 'C\n', chainPem: '', fullchainPem: 'C\n', keyPem: '' });
  await store.certificates.setCurrent(name, id);
}

describe('certfleet_deployed (PostgreSQL)', () => {
  it('notifies the certificate name on every deployment report, first and later', async () => {
    const { store, url } = await openStore();
    await withCurrent(store, 'web', 'v1');
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    clients.push(listener);
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === DEPLOYED_CHANNEL) heard.push(n.payload ?? '');
    });
    await listener.query(`LISTEN ${DEPLOYED_CHANNEL}`);
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v1' }); // insert
    await store.deployments.record('web', 'b', { status: 'failed', version: 'v1', detail: 'reload refused' });
    await store.deployments.record('web', 'b', { status: 'deployed', version: 'v1' }); // update
    // A round trip on the listening connection: notifications committed before it are delivered before its answer.
    await listener.query('SELECT 1');
    expect(heard).toEqual(['web', 'web', 'web']);
  });

  it('wakes awaitDeployed through the store change feed, long before its safety re-read', async () => {
    const { store } = await openStore();
    await withCurrent(store, 'web', 'v2');
    const events: HostProgress[] = [];
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    // The real store's deployments and change feed; the first read (finding nothing) is awaited before the agents report.
    let firstRead: Promise<unknown> | undefined;
    const watched = {
      deployments: {
        forCertificate: (name: string) => {
          const read = store.deployments.forCertificate(name);
          firstRead ??= read;
          return read;
        },
      },
      listen: store.listen.bind(store),
    };
    const wait = awaitDeployed([{ name: 'web', version: 'v2', hosts: ['a', 'b'] }], watched, { startedAt: Date.now(), waitMs: 3_600_000, safetyRereadMs: 3_600_000 }, {
      now: Date.now,
      setTimer: (ms, fire) => {
        const t = setTimeout(fire, ms);
        timers.push(t);
        return () => clearTimeout(t);
      },
      logger: recordingLogger(),
      onProgress: (e) => events.push(e),
    });
    // Listening starts before the first read: once that read is done, only a notification can wake the wait.
    while (firstRead === undefined) await new Promise((resolve) => setImmediate(resolve));
    expect(await firstRead).toEqual([]);
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v2' });
    await store.deployments.record('web', 'b', { status: 'deployed', version: 'v2' });
    const [web] = await wait;
    for (const t of timers) clearTimeout(t);
    expect(web!.complete).toBe(true);
    expect(events.map((e) => [e.host, e.status])).toEqual([
      ['a', 'deployed'],
      ['b', 'deployed'],
    ]);
  }, 20_000);
});
