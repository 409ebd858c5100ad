import { describe, expect, it } from 'vitest';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import type { DrillSummary } from '../../../src/report/inputs.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { fixtureAsOf, fixtureDir, fixtureReport } from './fixture.js';

const withDrill = (drill: DrillSummary) => buildReport({ inventory: readInventoryFile(`${fixtureDir}inventory.json`), drill }, { asOf: fixtureAsOf, timeline: shippedTimeline() });

describe('revocation readiness', () => {
  it('projects the drill to the fleet per class at the measured throughput', () => {
    const r = fixtureReport().revocation;
    // 3 automated drilled, slowest 5400 s, 7 automated in scope: 1.5 h * 7/3 = 3.5 h; 2 manual, slowest 200000 s, 8 manual: 55.6 h * 4.
    expect(r.projectedHours).toEqual({ automated: 3.5, manual: 222.22, fleet: 222.22 });
    expect(r.fleetWithin).toEqual({ 'revoke-24h': 0.47, 'revoke-5d': 0.47 });
    expect(r.drill).toMatchObject({ certificates: 5, shareAutomated: 0.6, replacedWithin: { 'revoke-24h': 0.6, 'revoke-5d': 1 }, notReplaced: 0 });
  });

  it('a certificate the drill never replaced leaves its class unmeasured', () => {
    const r = withDrill({ startedAt: '2026-11-01T00:00:00Z', finishedAt: '2026-11-02T00:00:00Z', certificates: [
      { automated: true, secondsToReplace: 60 },
      { automated: false, secondsToReplace: null },
    ] }).revocation;
    expect(r.projectedHours.manual).toBeNull();
    expect(r.projectedHours.fleet).toBeNull();
    expect(r.drill!.notReplaced).toBe(1);
    expect(r.reasons.join(' ')).toMatch(/1 manual certificates were not replaced/);
  });

  it('a fast drill of a fully automated fleet meets both deadlines', () => {
    const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
    inventory.certificates = inventory.certificates.filter((c) => c.sources.some((s) => s.kind === 'file' && /letsencrypt\/live|acme\.sh/.test(s.location)) && !c.isCA && !c.mustStaple);
    const r = buildReport({ inventory, drill: { startedAt: '2026-11-01T00:00:00Z', finishedAt: '2026-11-01T01:00:00Z', certificates: [{ automated: true, secondsToReplace: 600 }] } }, { asOf: fixtureAsOf, timeline: shippedTimeline() }).revocation;
    expect(r.fleetWithin).toEqual({ 'revoke-24h': 1, 'revoke-5d': 1 });
    expect(r.readiness).toBe(1);
  });

  it('without a drill only the automated share is credited, for the longest deadline', () => {
    const r = fixtureReport({ state: false }).revocation;
    expect(r.fleetWithin).toEqual({ 'revoke-24h': 0, 'revoke-5d': 0.2 });
  });
});
