/**
 * DeploymentRecords.hostsWithoutReports (src/store/postgres/deployments.ts) against a real
 * PostgreSQL: the hosts active specs name, minus every host that ever reported a deployment (of
 * any certificate, deployed or failed); archived specs' hosts left out; sorted, each once.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresStores, hostSpec, applySpecs, rowVersion } from '../helpers/postgres-stores.js';

const stores = usePostgresStores('h');
const openStore = async (_name: string) => (await stores.openStore()).store;
const spec = hostSpec;
const apply = applySpecs;
const version = rowVersion;

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
