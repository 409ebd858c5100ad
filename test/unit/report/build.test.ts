/** buildReport over the fixture fleet: what each certificate is, what breaks where, and what to do first. */
import { describe, expect, it } from 'vitest';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import { fixtureAsOf, fixtureDir, fixtureReport } from './fixture.js';

const report = fixtureReport();
const cert = (name: string) => report.certificates.find((c) => c.name === name)!;
const deadline = (id: string) => report.deadlines.find((d) => d.id === id)!;

describe('buildReport: who renews each certificate', () => {
  it('tells certfleet-managed, other ACME clients and the manual tail apart', () => {
    expect(cert('api.example.com')).toMatchObject({ automation: 'managed', managedName: 'api' });
    expect(cert('legacy.example.com')).toMatchObject({ automation: 'managed', managedName: 'legacy' }); // matched by serial
    expect(cert('*.cdn.example.com')).toMatchObject({ automation: 'managed', managedName: 'cdn' }); // matched by names
    expect(cert('www.example.com').automationDetail).toMatch(/^certbot/);
    expect(cert('blog.example.com').automationDetail).toMatch(/^acme\.sh/);
    expect(cert('app.example.com')).toMatchObject({ automation: 'manual', manualReason: 'keystore-only' });
    expect(cert('pay.example.com')).toMatchObject({ automation: 'manual', manualReason: 'keystore-only' });
    expect(cert('mail.example.com')).toMatchObject({ automation: 'manual', manualReason: 'endpoint-only' });
    expect(cert('shop.example.com')).toMatchObject({ automation: 'manual', manualReason: 'not-managed', place: 'nginx /etc/nginx/sites-enabled' });
    expect(report.fleet).toMatchObject({ certificates: 17, inScope: 15, automated: { managed: 4, acmeClient: 3 }, manual: { keystoreOnly: 2, endpointOnly: 2, notManaged: 4 }, managedNotInInventory: ['reports'] });
  });

  it('leaves CA certificates and self-signed leaves out of scope', () => {
    expect(cert('R11').inScope).toBe(false);
    expect(cert('dev.local').inScope).toBe(false);
    for (const d of report.deadlines) expect(d.violating.map((v) => v.name)).not.toContain('dev.local');
  });

  it("infers the Let's Encrypt profile from the lifetime, or takes it from managed state", () => {
    expect(cert('api.example.com')).toMatchObject({ ca: 'letsencrypt', profile: 'tlsserver' });
    expect(cert('www.example.com')).toMatchObject({ ca: 'letsencrypt', profile: 'classic' });
    expect(cert('shop.example.com').ca).toBeUndefined();
  });
});

describe('buildReport: deadlines', () => {
  it('lists manual certificates over the maximum as breaking, automated ones as getting shorter certificates', () => {
    const d = deadline('sc081-2029-47-days');
    const shop = d.violating.find((v) => v.name === 'shop.example.com')!;
    expect(shop).toMatchObject({ kind: 'lifetime', automation: 'manual', blocking: true });
    expect(shop.reason).toMatch(/renewed by hand .*; 398 days, over the 47-day maximum from 2029-03-15/);
    expect(shop.nextIssuance >= d.effective).toBe(true);
    const www = d.violating.find((v) => v.name === 'www.example.com')!;
    expect(www).toMatchObject({ automation: 'acme-client', blocking: false });
    expect(d.counts).toMatchObject({ inScope: 15, violatingManual: 8, violatingAutomated: 5, blocking: 8 });
  });

  it('the in-force phase lists what breaks at the next renewal: the 200-day maximum catches the 365/397/398-day certificates', () => {
    const names = deadline('sc081-2026-200-days').violating.map((v) => v.name).sort();
    expect(names).toEqual(['*.internal.example.com', 'app.example.com', 'mail.example.com', 'old.example.com', 'shop.example.com', 'vpn.example.com']);
  });

  it("Let's Encrypt refuses Must-Staple: its certificate breaks at its next Let's Encrypt issuance", () => {
    const v = deadline('le-classic-64-days').violating.find((x) => x.name === 'staple.example.com')!;
    expect(v).toMatchObject({ kind: 'must-staple', blocking: true });
    expect(report.revocation.ocspDependencies).toEqual([expect.objectContaining({ name: 'staple.example.com', kind: 'must-staple' })]);
  });

  it('domain-validation reuse: exposed when reuse is shorter than the renewal interval; wildcards and mail servers need dns-01', () => {
    expect(deadline('sc081-2027-100-days').dcvReuse).toMatchObject({ exposed: false, exposedNames: 0 });
    const d = deadline('sc081-2029-47-days').dcvReuse;
    expect(d.exposed).toBe(true);
    const fixes = Object.fromEntries(d.entries.map((e) => [e.name, e.fix]));
    expect(fixes).toMatchObject({ '*.internal.example.com': 'dns-01', 'mail.example.com': 'dns-01', 'shop.example.com': 'http-01-or-dns-01', 'grafana.example.com': 'fix-challenge' });
    expect(fixes['*.cdn.example.com']).toBeUndefined(); // managed with dns-01
    expect(fixes['www.example.com']).toBeUndefined(); // certbot validates on its own
    expect(d.needDns01).toBe(2);
  });

  it('cadence: fixed-day schedules are counted and, at 6 days, break', () => {
    const six = report.cadence.find((p) => p.id === 'lifetime-6-days')!;
    expect(six.fixedDays).toBe(3);
    expect(six.problems.map((p) => [p.name, p.verdict])).toEqual([
      ['legacy.example.com', 'storm'],
      ['reports (managed, not found by the inventory)', 'storm'],
      ['blog.example.com', 'fails'],
    ]);
  });

  it('scores are the sum of their parts, and reasons name what cost points', () => {
    for (const d of report.deadlines) {
      const p = d.scoreParts;
      expect(d.score).toBe(Math.round(p.lifetime + p.automation + p.cadence + p.dcvReuse + p.revocation));
      expect(d.score).toBeGreaterThanOrEqual(0);
      expect(d.score).toBeLessThanOrEqual(100);
    }
    expect(deadline('sc081-2029-47-days').reasons.join('\n')).toMatch(/8 of 15 certificates will break/);
  });

  it('managed state and a drill raise the score; shorter deadlines score lower', () => {
    const bare = fixtureReport({ state: false });
    for (const d of report.deadlines) {
      const without = bare.deadlines.find((x) => x.id === d.id)!;
      expect(d.score, d.id).toBeGreaterThanOrEqual(without.score);
    }
    expect(deadline('sc081-2029-47-days').score).toBeLessThan(deadline('sc081-2026-200-days').score);
  });
});

describe('buildReport: actions', () => {
  it('ranks actions that gain points first, by deadline date, then gain, then due date', () => {
    const order = new Map(report.deadlines.map((d, i) => [d.id, i]));
    const keys = report.actions.map((a) => [a.scoreGain === 0 ? 1 : 0, order.get(a.deadline)!, -a.scoreGain, a.dueBy] as const);
    const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3].localeCompare(y[3]));
    expect(keys).toEqual(sorted);
    expect(report.actions.map((a) => a.rank)).toEqual(report.actions.map((_, i) => i + 1));
  });

  it('groups manual certificates by place and names the certificates', () => {
    const shop = report.actions.find((a) => a.title.includes('shop.example.com'))!;
    expect(shop).toMatchObject({ kind: 'automate', deadline: 'sc081-2026-200-days', dueBy: '2027-02-11' });
    expect(shop.certificates).toEqual([{ fingerprintSha256: cert('shop.example.com').fingerprintSha256, name: 'shop.example.com' }]);
    expect(report.actions.find((a) => a.kind === 'find-owner' && a.title.includes('mail.example.com:25'))).toBeDefined();
    expect(report.actions.find((a) => a.kind === 'dns-01')).toMatchObject({ names: ['*.internal.example.com', 'mail.example.com'] });
  });

  it('many manual certificates in one directory become one action', () => {
    const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
    const shop = inventory.certificates.find((c) => c.commonName === 'shop.example.com')!;
    inventory.certificates = Array.from({ length: 12 }, (_, i) => ({ ...shop, fingerprintSha256: `${i}`.padStart(64, '0'), sans: [`s${i}.example.com`], sources: [{ kind: 'file' as const, location: `/srv/tls/s${i}.pem`, format: 'pem' as const }] }));
    const r = buildReport({ inventory }, { asOf: fixtureAsOf, timeline: shippedTimeline() });
    const automate = r.actions.filter((a) => a.kind === 'automate');
    expect(automate).toHaveLength(1);
    expect(automate[0]!.title).toBe('Automate the 12 certificates in /srv/tls');
    expect(automate[0]!.certificates).toHaveLength(12);
  });

  it('asks for a drill when none was recorded', () => {
    const bare = fixtureReport({ state: false });
    expect(bare.revocation.drill).toBeUndefined();
    expect(bare.revocation.reasons[0]).toMatch(/no revocation drill recorded/);
    expect(bare.actions[0]).toMatchObject({ kind: 'drill', title: 'Run a revocation drill' });
  });
});

describe('buildReport is pure', () => {
  it('gives the same report for the same inputs, and does not change its input', () => {
    const inventory = readInventoryFile(`${fixtureDir}inventory.json`);
    const before = JSON.stringify(inventory);
    const a = buildReport({ inventory }, { asOf: fixtureAsOf, timeline: shippedTimeline() });
    const b = buildReport({ inventory }, { asOf: fixtureAsOf, timeline: shippedTimeline() });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(inventory)).toBe(before);
  });

  it('an empty inventory gives deadlines that score 100 and no actions but the drill', () => {
    const inventory = { ...readInventoryFile(`${fixtureDir}inventory.json`), certificates: [], keys: [] };
    const r = buildReport({ inventory }, { asOf: fixtureAsOf, timeline: shippedTimeline() });
    expect(r.deadlines.map((d) => d.score)).toEqual([100, 100, 100]);
    expect(r.actions.every((a) => a.kind === 'drill')).toBe(true);
  });
});
