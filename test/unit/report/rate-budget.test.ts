/**
 * The CA's rate budget in `report` (src/report/rate-budget.ts, read by rate-budget-read.ts): per
 * CA, the time to replace every configured certificate at its limits, from what is left of the
 * store's budget now, against the BRs' 24-hour and 5-day revocation windows; a finding (warning:
 * misses 24 h, error: misses 5 days too) counted with the report's findings, gated by --fail-on,
 * in every renderer. A fake budget answers what it is told; the clock is a constant.
 */
import { describe, expect, it } from 'vitest';
import { caPresets } from '../../../src/acme/directory.js';
import { rateLimitPresets, type RateLimits } from '../../../src/acme/rate-limit-presets.js';
import { renderReport } from '../../../src/cli/render/report.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { evaluateGate } from '../../../src/report/gate.js';
import type { ReadinessReport } from '../../../src/report/model.js';
import { assessRateBudget, RATE_BUDGET_FINDING, type RateBudgetInput } from '../../../src/report/rate-budget.js';
import { readRateBudget } from '../../../src/report/rate-budget-read.js';
import { readInventoryFile } from '../../../src/report/read-inventory.js';
import type { BudgetKey, BudgetUsage, RateBudget } from '../../../src/store/ports.js';
import { fixtureAsOf, fixtureDir } from './fixture.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const LE = caPresets.letsencrypt;
const timeline = shippedTimeline();
const le = rateLimitPresets.letsencrypt;

/** n certificates of one CA, spread evenly over `domains` registered domains. */
const share = (ca: string, n: number, domains: number, limits: RateLimits = le, used?: RateBudgetInput['used']): RateBudgetInput => ({
  ca,
  limits,
  count: n,
  perRegisteredDomain: new Map(Array.from({ length: domains }, (_, i) => [`d${i}.example`, n / domains])),
  ...(used ? { used } : {}),
});

describe('assessRateBudget', () => {
  it("the issue's example: 40,000 at Let's Encrypt's limits with 120 orders used misses both windows: an error naming the limit, the use and what to do", () => {
    const r = assessRateBudget([share(LE, 40_000, 1000, le, { newOrders: 120, perRegisteredDomain: new Map() })], timeline)!;
    expect(r.cas).toHaveLength(1);
    const ca = r.cas[0]!;
    expect(ca).toMatchObject({
      ca: LE,
      caName: "Let's Encrypt",
      certificates: 40_000,
      hours: 398.2,
      limitedBy: 'new-orders',
      limit: { limit: 300, windowMs: 3 * HOUR },
      used: 120,
      budgetRead: true,
      windows: [
        { id: 'revoke-24h', hours: 24, met: false },
        { id: 'revoke-5d', hours: 120, met: false },
      ],
      finding: { id: RATE_BUDGET_FINDING, severity: 'error' },
    });
    expect(ca.message).toBe(
      "at Let's Encrypt's limits (300 new orders per account per 3 h, 120 used now), replacing 40,000 certificates takes 399 hours: longer than the 24-hour and 5-day revocation windows; ask the CA for a rate-limit exemption or spread across accounts",
    );
  });

  it('misses only the 24-hour window: a warning that says the 5-day one is met', () => {
    // 3,300 at 300 per 3 h: 300 now, 3,000 more in 30 h.
    const ca = assessRateBudget([share(LE, 3300, 100, le, { perRegisteredDomain: new Map() })], timeline)!.cas[0]!;
    expect(ca).toMatchObject({ hours: 30, finding: { severity: 'warning' }, used: 0 });
    expect(ca.message).toBe(
      "at Let's Encrypt's limits (300 new orders per account per 3 h, 0 used now), replacing 3,300 certificates takes 30 hours: longer than the 24-hour revocation window (within the 5-day revocation window); ask the CA for a rate-limit exemption or spread across accounts",
    );
  });

  it('within both windows: no finding, the time said; what fits now says so', () => {
    const slow = assessRateBudget([share(LE, 1500, 100)], timeline)!.cas[0]!;
    expect(slow.finding).toBeUndefined();
    expect(slow.message).toBe("at Let's Encrypt's limits (300 new orders per account per 3 h), replacing 1,500 certificates takes 12 hours (no state store read: as if none of the budget were used): within the 24-hour and 5-day revocation windows");
    const fits = assessRateBudget([share(LE, 1, 1)], timeline)!.cas[0]!;
    expect(fits).toMatchObject({ hours: 0, budgetRead: false });
    expect(fits.finding).toBeUndefined();
    expect(fits.message).toBe("at Let's Encrypt's limits, replacing 1 certificate fits in the rate budget now (no state store read: as if none of the budget were used): within the 24-hour and 5-day revocation windows");
  });

  it("a registered domain's weekly limit sets the time: the advice is not more accounts (that limit counts across them)", () => {
    const used = { newOrders: 0, perRegisteredDomain: new Map([['d0.example', 10]]) };
    // 100 on one registered domain at 50 a week, 10 used: 40 now, 60 more in 201.6 h.
    const ca = assessRateBudget([share(LE, 100, 1, le, used)], timeline)!.cas[0]!;
    expect(ca).toMatchObject({ hours: 201.6, limitedBy: 'registered-domain:d0.example', used: 10, finding: { severity: 'error' } });
    expect(ca.message).toContain('(50 certificates per registered domain per 7 day(s) (d0.example), 10 used now), replacing 100 certificates takes 202 hours');
    expect(ca.message).toContain('ask the CA for a rate-limit exemption, or put more names in fewer certificates (more accounts do not help: the limit counts across accounts)');
    expect(ca.message).not.toContain('spread across accounts');
  });

  it('names a CA as its certificates do, else by its preset, else by its host; one entry per CA, slowest first', () => {
    const r = assessRateBudget([share('https://acme.internal.example:8443/dir', 10, 1, { newOrders: { limit: 1, windowMs: HOUR } }), share(caPresets.zerossl, 10, 1), share(LE, 600, 60)], timeline)!;
    expect(r.cas.map((c) => [c.caName, c.hours])).toEqual([
      ['acme.internal.example:8443', 9],
      ["Let's Encrypt", 3],
      ['zerossl', 0],
    ]);
  });

  it('has nothing to say without a CA with limits', () => {
    expect(assessRateBudget([], timeline)).toBeUndefined();
  });
});

/** Answers what it is told per bucket, and remembers what it was asked. */
class FakeUsage implements Pick<RateBudget, 'usage'> {
  readonly asked: Array<{ keys: readonly BudgetKey[]; now: number }> = [];
  constructor(private readonly used: Record<string, number>) {}
  usage(keys: readonly BudgetKey[], now: number): Promise<BudgetUsage[]> {
    this.asked.push({ keys, now });
    return Promise.resolve(keys.map((k) => ({ used: this.used[`${k.ca} ${k.bucket}`] ?? 0 })));
  }
}

describe('readRateBudget', () => {
  const certificates = [
    { name: 'a', domains: ['www.example.com', 'example.com'], ca: LE, limits: le },
    { name: 'b', domains: ['shop.example.com'], ca: LE, limits: le },
    { name: 'c', domains: ['c.example.org'], ca: 'https://private.example/dir' },
  ];

  it("groups the configured certificates by CA (those without limits left out) and reads each bucket's use as of now, every account of the CA", async () => {
    const budget = new FakeUsage({ [`${LE} new-orders`]: 120, [`${LE} registered-domain:example.com`]: 7 });
    const inputs = await readRateBudget(certificates, budget, NOW);
    expect(inputs).toEqual([{ ca: LE, limits: le, count: 2, perRegisteredDomain: new Map([['example.com', 2]]), used: { newOrders: 120, perRegisteredDomain: new Map([['example.com', 7]]) } }]);
    expect(budget.asked).toEqual([
      {
        now: NOW,
        keys: [
          { ca: LE, account: '', bucket: 'registered-domain:example.com', windowMs: 168 * HOUR },
          { ca: LE, bucket: 'new-orders', windowMs: 3 * HOUR },
        ],
      },
    ]);
  });

  it('without a store reads nothing: the time then assumes an unused budget', async () => {
    expect(await readRateBudget(certificates, undefined, NOW)).toEqual([{ ca: LE, limits: le, count: 2, perRegisteredDomain: new Map([['example.com', 2]]) }]);
    expect(await readRateBudget([], new FakeUsage({}), NOW)).toEqual([]);
  });
});

describe('the rate budget in the report', () => {
  const inventory = () => readInventoryFile(`${fixtureDir}inventory.json`);
  const options = { asOf: fixtureAsOf, timeline };
  const render = (r: ReadinessReport, format: Parameters<typeof renderReport>[1]) => [...renderReport(r, format, { color: false, cwd: '/', toolVersion: '0' })].join('');
  const used = { newOrders: 120, perRegisteredDomain: new Map<string, number>() };
  const slow = share(LE, 40_000, 1000, le, used);
  const tight = share('https://acme.internal.example/dir', 3300, 100, le, { perRegisteredDomain: new Map() });
  const quick = share(caPresets.google, 10, 1, le, { perRegisteredDomain: new Map() });

  it('is absent without CA limits: the report is what it was', () => {
    const before = buildReport({ inventory: inventory() }, options);
    const r = buildReport({ inventory: inventory(), rateBudget: [] }, options);
    expect(r).toEqual(before);
    expect(render(r, 'summary')).not.toContain('CA rate limits');
  });

  it('counts a finding per CA that misses a window with the report findings, by severity', () => {
    const base = buildReport({ inventory: inventory() }, options);
    const r = buildReport({ inventory: inventory(), rateBudget: [quick, tight, slow] }, options);
    expect(r.rateBudget!.cas.map((c) => [c.caName, c.finding?.severity])).toEqual([
      ["Let's Encrypt", 'error'],
      ['acme.internal.example', 'warning'],
      ['google', undefined],
    ]);
    const budgetFindings = r.findings.filter((f) => f.id === RATE_BUDGET_FINDING);
    expect(budgetFindings.map((f) => [f.severity, f.count])).toEqual([
      ['error', 1],
      ['warning', 1],
    ]);
    expect(r.findings.filter((f) => f.id !== RATE_BUDGET_FINDING)).toEqual(base.findings);
    // Worst first, as the inventory's are.
    const ranks = r.findings.map((f) => ({ error: 2, warning: 1, info: 0 })[f.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
  });

  it('fails the gate like any finding: --fail-on warning on a warning, not --fail-on error; never by default', () => {
    const warned = buildReport({ inventory: inventory(), rateBudget: [tight] }, options);
    const inventoryOnly = evaluateGate(buildReport({ inventory: inventory() }, options), { failOn: 'warning', minScores: [] });
    const reasons = evaluateGate(warned, { failOn: 'warning', minScores: [] });
    expect(reasons.join('\n')).toContain(`${RATE_BUDGET_FINDING} (1)`);
    expect(inventoryOnly.join('\n')).not.toContain(RATE_BUDGET_FINDING);
    expect(evaluateGate(warned, { failOn: 'error', minScores: [] }).join('\n')).not.toContain(RATE_BUDGET_FINDING);
    expect(evaluateGate(buildReport({ inventory: inventory(), rateBudget: [slow] }, options), { failOn: 'error', minScores: [] }).join('\n')).toContain(`${RATE_BUDGET_FINDING} (1)`);
    expect(evaluateGate(warned, { failOn: 'never', minScores: [] })).toEqual([]);
  });

  it('is in every renderer that lists findings: summary, JSON, Markdown, HTML, SARIF, Prometheus', () => {
    const r = buildReport({ inventory: inventory(), rateBudget: [slow, quick] }, options);
    const message = r.rateBudget!.cas[0]!.message;
    expect(message).toContain('replacing 40,000 certificates takes 399 hours: longer than the 24-hour and 5-day revocation windows');

    const summary = render(r, 'summary');
    expect(summary).toContain(`\nCA rate limits\n  error: ${message}\n  at google's limits, replacing 10 certificates fits in the rate budget now: within`);
    expect(summary).toMatch(new RegExp(`Findings: .*${RATE_BUDGET_FINDING} 1`));

    const json = JSON.parse(render(r, 'json')) as ReadinessReport;
    expect(json.rateBudget!.cas[0]).toMatchObject({ caName: "Let's Encrypt", hours: 398.2, used: 120, finding: { severity: 'error' }, message });
    expect(json.findings).toContainEqual(expect.objectContaining({ id: RATE_BUDGET_FINDING, severity: 'error', count: 1 }));

    const markdown = render(r, 'markdown');
    expect(markdown).toContain('## CA rate limits');
    expect(markdown).toContain('- **error**: at Let\'s Encrypt\'s limits (300 new orders per account per 3 h, 120 used now), replacing 40,000 certificates takes 399 hours');
    expect(markdown).toContain(`| \`${RATE_BUDGET_FINDING}\``);

    const html = render(r, 'html');
    expect(html).toContain('<h2>CA rate limits</h2>');
    expect(html).toContain('<span class="yes">error</span>: at Let&#39;s Encrypt&#39;s limits (300 new orders per account per 3 h, 120 used now)');

    const sarif = JSON.parse(render(r, 'sarif')) as { runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: unknown[] }> }> };
    const run = sarif.runs[0]!;
    const results = run.results.filter((x) => x.ruleId === RATE_BUDGET_FINDING);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ level: 'error', message: { text: message }, locations: [{ logicalLocations: [{ name: "Let's Encrypt", fullyQualifiedName: LE, kind: 'resource' }] }] });
    expect(run.tool.driver.rules[results[0]!.ruleIndex]!.id).toBe(RATE_BUDGET_FINDING);
    expect(run.tool.driver.rules.filter((x) => x.id === RATE_BUDGET_FINDING)).toHaveLength(1);

    const prometheus = render(r, 'prometheus');
    expect(prometheus).toContain(`certfleet_rate_budget_replacement_seconds{ca="${LE}"} ${398.2 * 3600}\n`);
    expect(prometheus).toContain(`certfleet_rate_budget_certificates{ca="${caPresets.google}"} 10\n`);
    expect(prometheus).toContain(`certfleet_findings{id="${RATE_BUDGET_FINDING}",severity="error"} 1\n`);
  });
});
