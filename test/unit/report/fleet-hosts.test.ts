/**
 * Incident readiness per host (src/report/fleet-hosts.ts): from the last drill's per-host timings,
 * the share of certificates confirmed on every host within 24 h and 5 days (each at its slowest
 * host), the slowest hosts, and the hosts still pending or failed at the drill's end (the manual
 * tail); with the store's hosts that never reported. Built into the report only when the store
 * gives per-host records, and rendered then only.
 */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/render/report.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { assessFleetHosts } from '../../../src/report/fleet-hosts.js';
import type { DrillSummary } from '../../../src/report/inputs.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { readStoredState } from '../../../src/report/state.js';
import type { DeploymentRecords, RunRecords, StateStore } from '../../../src/store/ports.js';
import { fixtureDir, fixtureAsOf } from './fixture.js';

const deadlines = [
  { id: 'revoke-5d', hours: 120 },
  { id: 'revoke-24h', hours: 24 },
];
const H = 3600;
const deployed = (host: string, seconds: number) => ({ host, status: 'deployed' as const, version: 'v2', seconds });

const drill: DrillSummary = {
  id: 'd1',
  startedAt: '2026-11-20T00:00:00.000Z',
  finishedAt: '2026-11-26T00:00:00.000Z',
  certificates: [
    // Fast on a, slow (2 days) on b: counts at 2 days.
    { name: 'web', automated: true, secondsToReplace: 2 * 24 * H, hosts: [deployed('a', 60), deployed('b', 2 * 24 * H)] },
    { name: 'api', automated: true, secondsToReplace: 10 * H, hosts: [deployed('a', 10 * H), deployed('c', 5 * H)] },
    // b never reported it, d failed: not replaced, both in the manual tail.
    { name: 'mail', automated: true, secondsToReplace: null, hosts: [deployed('a', 30), { host: 'b', status: 'not-reporting', version: 'v2', detail: 'no agent?' }, { host: 'd', status: 'failed', version: 'v2', detail: 'disk full' }] },
    { name: 'shop', automated: true, secondsToReplace: 7 * 24 * H, hosts: [deployed('e', 7 * 24 * H)] },
    // No hosts: the runner deployed it itself; not a fleet certificate.
    { name: 'local', automated: true, secondsToReplace: 5 },
  ],
};

describe('assessFleetHosts', () => {
  it('counts a certificate at its slowest host, ranks hosts by their slowest certificate, and lists the hosts still pending', () => {
    const f = assessFleetHosts(drill, ['z', 'x'], deadlines)!;
    expect(f.hostsWithoutAgent).toEqual(['x', 'z']);
    expect(f.drill).toEqual({
      id: 'd1',
      startedAt: '2026-11-20T00:00:00.000Z',
      certificates: 4,
      hosts: 5,
      // api (10 h) within 24 h; web (2 days) within 5 days too; mail never, shop (7 days) too late.
      confirmedWithin: [
        { id: 'revoke-24h', hours: 24, share: 0.25 },
        { id: 'revoke-5d', hours: 120, share: 0.5 },
      ],
      slowestHosts: [
        { host: 'e', seconds: 7 * 24 * H, certificate: 'shop' },
        { host: 'b', seconds: 2 * 24 * H, certificate: 'web' },
        { host: 'a', seconds: 10 * H, certificate: 'api' },
        { host: 'c', seconds: 5 * H, certificate: 'api' },
      ],
      manualTail: [
        { host: 'b', certificates: [{ name: 'mail', status: 'not-reporting', detail: 'no agent?' }] },
        { host: 'd', certificates: [{ name: 'mail', status: 'failed', detail: 'disk full' }] },
      ],
    });
  });

  it('names at most five slowest hosts', () => {
    const many: DrillSummary = { ...drill, certificates: [{ name: 'lb', automated: true, secondsToReplace: 700, hosts: Array.from({ length: 7 }, (_, i) => deployed(`h${i}`, 100 * (i + 1))) }] };
    expect(assessFleetHosts(many, [], deadlines)!.drill!.slowestHosts.map((h) => h.host)).toEqual(['h6', 'h5', 'h4', 'h3', 'h2']);
  });

  it('has nothing to say without fleet certificates in the drill and without silent hosts', () => {
    expect(assessFleetHosts(undefined, [], deadlines)).toBeUndefined();
    expect(assessFleetHosts({ ...drill, certificates: [{ name: 'local', automated: true, secondsToReplace: 5 }] }, [], deadlines)).toBeUndefined();
    expect(assessFleetHosts(undefined, ['x'], deadlines)).toEqual({ hostsWithoutAgent: ['x'] });
  });
});

describe('the Fleet section of the report', () => {
  const inventory = () => readInventoryFile(`${fixtureDir}inventory.json`);
  const options = { asOf: fixtureAsOf, timeline: shippedTimeline() };
  const text = (r: ReturnType<typeof buildReport>) => [...renderReport(r, 'summary', { color: false, cwd: '/', toolVersion: '0' })].join('');

  it('is built only from a store with per-host records (hostsWithoutAgent given), with the timeline deadlines', () => {
    const without = buildReport({ inventory: inventory(), drill }, options);
    expect(without.fleetHosts).toBeUndefined();
    expect(text(without)).not.toMatch(/Fleet/);
    const r = buildReport({ inventory: inventory(), drill, hostsWithoutAgent: ['x'] }, options);
    expect(r.fleetHosts!.drill!.confirmedWithin.map((w) => [w.id, w.share])).toEqual([
      ['revoke-24h', 0.25],
      ['revoke-5d', 0.5],
    ]);
    const summary = text(r);
    expect(summary).toContain('\nFleet\n');
    expect(summary).toContain('confirmed on every host: 25% within 24 h, 50% within 5 days');
    expect(summary).toContain('slowest hosts: e 7 days (shop), b 2 days (web), a 10 h (api), c 5 h (api)');
    expect(summary).toMatch(/manual tail: 2 hosts.*\n\s+b: mail not reporting\n\s+d: mail failed: disk full\n/);
    expect(summary).toContain('hosts without an agent (never heard from): x');
    expect(JSON.parse([...renderReport(r, 'json', { color: false, cwd: '/', toolVersion: '0' })].join('')).fleetHosts.drill.manualTail[0].host).toBe('b');
  });

  it('is absent with a store with per-host records when there is nothing to say', () => {
    expect(buildReport({ inventory: inventory(), hostsWithoutAgent: [] }, options).fleetHosts).toBeUndefined();
  });

  it('readStoredState keeps the drill record per-host timings and asks the store for hosts without reports', async () => {
    const store: Pick<StateStore, 'kind' | 'location' | 'runs' | 'deployments'> = {
      kind: 'postgres',
      location: 'postgres://db.example/certfleet',
      runs: { readSummary: () => Promise.resolve(undefined), latestRecord: () => Promise.resolve(drill), recordLocation: (k: string, id: string) => `postgres:${k}/${id}` } as unknown as RunRecords,
      deployments: { hostsWithoutReports: () => Promise.resolve(['x']) } as unknown as DeploymentRecords,
    };
    const state = await readStoredState(store);
    expect(state.hostsWithoutAgent).toEqual(['x']);
    expect(state.drill!.certificates[2]!.hosts).toEqual(drill.certificates[2]!.hosts);
  });
});
