/**
 * The per-host view of an affected set (before ordering): affected certificates per host with
 * when each host's agent last reported, the hosts whose agent never did, and the certificates
 * without hosts (the runner deploys them); one read of the deployments; none on the file store.
 * And its text: a line per host, NEVER for a silent one, the runner's certificates named.
 */
import { describe, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import type { AffectedCertificate } from '../../../src/revocation/affected.js';
import { fleetView, WITHOUT_HOSTS_NAMED } from '../../../src/revocation/fleet-view.js';
import { fleetViewLines } from '../../../src/cli/render/fleet-view.js';

const cert = (name: string, hosts?: string[]) => ({ name, ...(hosts ? { hosts } : {}) }) as ManagedCertificate;
const affected = (name: string) => ({ name, domains: [], ca: 'https://ca', hosts: [] }) as AffectedCertificate;

describe('fleetView', () => {
  const settings = { certificates: [cert('web', ['b', 'a', 'c']), cert('shop', ['a']), cert('api'), cert('mail', ['d'])] };

  it('counts affected certificates per host, with each agent last report, in one read', async () => {
    const asked: string[][] = [];
    const deployments = {
      lastReports: (hosts: readonly string[]) => {
        asked.push([...hosts]);
        return Promise.resolve(new Map([['a', '2026-12-03T16:00:00.000Z'], ['b', '2026-12-03T15:00:00.000Z']]));
      },
    };
    const view = await fleetView(settings, ['web', 'shop', 'api'].map(affected), deployments);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.sort()).toEqual(['a', 'b', 'c']); // mail is not affected: d is not asked about
    expect(view).toEqual({
      hosts: [
        { host: 'a', certificates: 2, agentLastSeen: '2026-12-03T16:00:00.000Z' },
        { host: 'b', certificates: 1, agentLastSeen: '2026-12-03T15:00:00.000Z' },
        { host: 'c', certificates: 1, agentLastSeen: null },
      ],
      hostsNeverReported: ['c'],
      withoutHosts: { certificates: 1, names: ['api'] },
    });
    expect(fleetViewLines(view!)).toEqual([
      'per host: 3 host(s), 1 whose agent was never heard from (nothing will deploy there until one runs)',
      '  a: 2 certificate(s), agent last heard from 2026-12-03T16:00:00.000Z',
      '  b: 1 certificate(s), agent last heard from 2026-12-03T15:00:00.000Z',
      '  c: 1 certificate(s), agent NEVER heard from',
      'no hosts: 1 certificate(s) the runner deploys itself: api',
    ]);
  });

  it('is absent on a store without per-host deployments', async () => {
    expect(await fleetView(settings, [affected('web')], undefined)).toBeUndefined();
  });

  it('names at most WITHOUT_HOSTS_NAMED certificates without hosts, and counts them all', async () => {
    const many = Array.from({ length: WITHOUT_HOSTS_NAMED + 5 }, (_, i) => `c${i}`);
    const view = (await fleetView({ certificates: many.map((n) => cert(n)) }, many.map(affected), { lastReports: () => Promise.resolve(new Map()) }))!;
    expect(view.hosts).toEqual([]);
    expect(view.withoutHosts.certificates).toBe(many.length);
    expect(view.withoutHosts.names).toHaveLength(WITHOUT_HOSTS_NAMED);
    expect(fleetViewLines(view)).toEqual([expect.stringMatching(/^no hosts: 25 certificate\(s\) the runner deploys itself: c0, .*, c19, \+5 more$/)]);
  });
});
