/**
 * DeploymentRecords.lastReports (src/store/postgres/deployments.ts) against a real PostgreSQL: for
 * the hosts asked about, when each one's agent last reported anything (a failure counts: the agent
 * is there), latest of its certificates; a host that never reported is absent; only the hosts asked.
 */
import { describe, expect, it } from 'vitest';
import { addCurrent, applySpecs, hostSpec, usePostgresStores } from '../helpers/postgres-stores.js';

const stores = usePostgresStores('lr');

describe('DeploymentRecords.lastReports (PostgreSQL)', () => {
  it('gives each asked host its latest report time, failed or deployed; absent when it never reported', async () => {
    const { store, url } = await stores.openStore();
    expect(await store.deployments.lastReports([])).toEqual(new Map());
    await applySpecs(store, [hostSpec('web', ['a', 'b', 'c']), hostSpec('api', ['a'])], '1');
    await addCurrent(store, 'web', 'v1');
    await addCurrent(store, 'api', 'v1');
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v1' });
    await store.deployments.record('api', 'a', { status: 'deployed', version: 'v1' });
    await store.deployments.record('web', 'b', { status: 'failed', version: 'v1', detail: 'disk full' });
    // Times set by the test, so "latest" is not a race with the clock.
    const db = await stores.client(url);
    await db.query(`UPDATE deployments SET attempted_at = '2026-12-01T10:00:00Z' WHERE certificate = 'web' AND host = 'a'`);
    await db.query(`UPDATE deployments SET attempted_at = '2026-12-02T10:00:00Z' WHERE certificate = 'api' AND host = 'a'`);
    await db.query(`UPDATE deployments SET attempted_at = '2026-12-03T10:00:00Z' WHERE host = 'b'`);

    expect(await store.deployments.lastReports(['a', 'b', 'c', 'nobody'])).toEqual(
      new Map([
        ['a', '2026-12-02T10:00:00.000Z'],
        ['b', '2026-12-03T10:00:00.000Z'],
      ]),
    );
    expect(await store.deployments.lastReports(['b'])).toEqual(new Map([['b', '2026-12-03T10:00:00.000Z']]));
  });
});
