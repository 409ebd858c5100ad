import { describe, expect, it } from 'vitest';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { fixtureAsOf, fixtureDir, fixtureReport } from './fixture.js';

const ids = (asOf: string) => fixtureReport({ asOf: new Date(`${asOf}T00:00:00Z`) }).deadlines.map((d) => [d.id, d.inForce] as const);

describe('which deadlines a report lists', () => {
  it('the CA/Browser Forum phase in force at asOf and every later one; a replaced phase is not listed', () => {
    const cab = (asOf: string) => ids(asOf).filter(([id]) => !id.startsWith('le-'));
    expect(cab('2025-06-01')).toEqual([['br-2020-398-days', true], ['sc081-2026-200-days', false], ['sc081-2027-100-days', false], ['sc081-2029-47-days', false]]);
    expect(cab('2026-11-22')).toEqual([['sc081-2026-200-days', true], ['sc081-2027-100-days', false], ['sc081-2029-47-days', false]]);
    expect(cab('2027-03-14')).toEqual([['sc081-2026-200-days', true], ['sc081-2027-100-days', false], ['sc081-2029-47-days', false]]);
    expect(cab('2027-03-15')).toEqual([['sc081-2027-100-days', true], ['sc081-2029-47-days', false]]);
    expect(cab('2031-01-01')).toEqual([['sc081-2029-47-days', true]]);
  });

  it("lists Let's Encrypt's schedule per profile, only for profiles its certificates use", () => {
    const le = (asOf: string) => ids(asOf).filter(([id]) => id.startsWith('le-'));
    expect(le('2026-11-22')).toEqual([['le-tlsserver-45-days', true], ['le-classic-64-days', false], ['le-classic-45-days', false]]);
    expect(le('2028-03-01')).toEqual([['le-tlsserver-45-days', true], ['le-classic-45-days', true]]);
  });

  it('lists no CA schedule when no certificate comes from that CA', () => {
    const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
    inventory.certificates = inventory.certificates.filter((c) => !c.issuer.includes("Let's Encrypt"));
    const report = buildReport({ inventory }, { asOf: fixtureAsOf, timeline: shippedTimeline() });
    expect(report.deadlines.map((d) => d.id)).toEqual(['sc081-2026-200-days', 'sc081-2027-100-days', 'sc081-2029-47-days']);
  });

  it('orders deadlines by date, the industry-wide rule first on the same day', () => {
    const effective = fixtureReport().deadlines.map((d) => d.effective);
    expect(effective).toEqual([...effective].sort());
  });
});
