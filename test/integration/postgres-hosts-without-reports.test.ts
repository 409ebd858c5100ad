/**
 * DeploymentRecords.hostsWithoutReports (src/store/postgres/deployments.ts) against a real
 * PostgreSQL: the hosts active specs name, minus every host that ever reported a deployment (of
 * any certificate, deployed or failed); archived specs' hosts left out; sorted, each once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedVersion, StoredSpec } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;
const stores: PostgresStateStore[] = [];
const ring = keyring(dataKey(randomBytes(32)));

beforeAll(async () => {
  server = await startPostgres();
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close().catch(() => undefined);
});

afterAll(async () => {
  await server?.stop();
});

async function openStore(db: string): Promise<PostgresStateStore> {
  const url = await server.createDatabase(db);
  const c = createPool(url);
  try {
    await migrate(c.pool);
  } finally {
    await c.close();
  }
  const store = await PostgresStateStore.open({ url, keyring: ring });
  stores.push(store);
  return store;
}

function spec(name: string, hosts?: string[]): StoredSpec {
  return { name, entry: { name, domains: [`${name}.example.org`], challenge: { type: 'http-01' }, ...(hosts ? { hosts } : {}) }, baseDir: '/etc/certfleet', where: `certificates (${name})`, file: '/etc/certfleet/certfleet.config.yaml' };
}

async function apply(store: PostgresStateStore, specs: StoredSpec[], fingerprint: string): Promise<void> {
  async function* once() {
    yield specs;
  }
  await store.specs.apply(once(), { fingerprint, sharedHash: 'shared', appliedBy: 'test', dryRun: false });
}

function version(id: string): IssuedVersion {
  return { id, serialNumber: id, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: ['x.example.org'], issuedAt: '2026-01-01T00:00:00.000Z' };
}

describe('DeploymentRecords.hostsWithoutReports (PostgreSQL)', () => {
  it('lists the hosts specs name that never reported anything, once each, sorted; archived specs do not count', async () => {
    const store = await openStore('silent');
    expect(await store.deployments.hostsWithoutReports()).toEqual([]);
    await apply(store, [spec('web', ['b', 'a', 'c']), spec('api', ['c', 'd']), spec('local'), spec('old', ['gone'])], '1');
    expect(await store.deployments.hostsWithoutReports()).toEqual(['a', 'b', 'c', 'd', 'gone']);

    await apply(store, [spec('web', ['b', 'a', 'c']), spec('api', ['c', 'd']), spec('local')], '2'); // old is archived
    await store.certificates.addVersion('web', version('v1'), { certPem: 'C\n', chainPem: '', fullchainPem: 'C\n', keyPem: '' });
    await store.certificates.setCurrent('web', 'v1');
    // a deployed; c only failed, of another certificate than d's: it has an agent all the same.
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v1' });
    await store.deployments.record('web', 'c', { status: 'failed', version: 'v1', detail: 'disk full' });
    expect(await store.deployments.hostsWithoutReports()).toEqual(['b', 'd']);
  });
});
