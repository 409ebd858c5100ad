/**
 * What the integration tests of the fleet's tables share: one throwaway PostgreSQL per file, a
 * freshly migrated database per store, the clients a test opens closed after it, and the specs and
 * versions they write (no real certificate needed: these tests look at rows, not at PEM).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { IssuedVersion, StoredSpec } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { startPostgres, type RunningPostgres } from './postgres.js';

export interface PostgresStores {
  /** A new database, migrated, and the store on it (closed after the test). */
  openStore(): Promise<{ store: PostgresStateStore; url: string }>;
  /** A plain client on `url` (ended after the test). */
  client(url: string): Promise<pg.Client>;
}

/** Registers the file's hooks: the server for the file, stores and clients for each test. */
export function usePostgresStores(prefix: string): PostgresStores {
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
  return {
    async openStore() {
      const url = await migratedDatabase(server, `${prefix}${++databases}`);
      const store = await PostgresStateStore.open({ url, keyring: ring });
      stores.push(store);
      return { store, url };
    },
    async client(url) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      clients.push(c);
      return c;
    },
  };
}

/** A new database `name` on `server`, migrated to the newest schema: its URL. */
export async function migratedDatabase(server: RunningPostgres, name: string): Promise<string> {
  const url = await server.createDatabase(name);
  const c = createPool(url);
  try {
    await migrate(c.pool);
  } finally {
    await c.close();
  }
  return url;
}

/**
 * A runner's store and an agent's on one new migrated database `name`, with one data key: two
 * pools, as two hosts have (the caller closes both).
 */
export async function runnerAndAgentStores(server: RunningPostgres, name: string): Promise<{ url: string; runner: PostgresStateStore; agentStore: PostgresStateStore }> {
  const url = await migratedDatabase(server, name);
  const ring = keyring(dataKey(randomBytes(32)));
  const [runner, agentStore] = await Promise.all([PostgresStateStore.open({ url, keyring: ring }), PostgresStateStore.open({ url, keyring: ring })]);
  return { url, runner, agentStore };
}

/** A spec as `certfleet apply` stores it, served by `hosts` when given. */
export function hostSpec(name: string, hosts?: string[]): StoredSpec {
  return { name, entry: { name, domains: [`${name}.example.org`], challenge: { type: 'http-01' }, ...(hosts ? { hosts } : {}) }, baseDir: '/etc/certfleet', where: `certificates (${name})`, file: '/etc/certfleet/certfleet.config.yaml' };
}

/** `specs` applied as the config (one batch). */
export async function applySpecs(store: PostgresStateStore, specs: StoredSpec[], fingerprint: string): Promise<void> {
  async function* once() {
    yield specs;
  }
  await store.specs.apply(once(), { fingerprint, sharedHash: 'shared', appliedBy: 'test', dryRun: false });
}

/** A version's metadata with its id as its serial. */
export function rowVersion(id: string): IssuedVersion {
  return { id, serialNumber: id, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: ['x.example.org'], issuedAt: '2026-01-01T00:00:00.000Z' };
}

/** `id` stored (no key) and made the certificate's current version. */
export async function addCurrent(store: PostgresStateStore, name: string, id: string): Promise<void> {
  await store.certificates.addVersion(name, rowVersion(id), { certPem: 'C\n', chainPem: '', fullchainPem: 'C\n', keyPem: '' });
  await store.certificates.setCurrent(name, id);
}
