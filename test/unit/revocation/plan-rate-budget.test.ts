/**
 * The plan of a drill or replacement says how long the set takes at the CA's rate limits, from
 * what is left of the store's budget now (rate-budget-time.ts budgetTime, rendered by
 * render/revocation.ts).
 */
import { describe, expect, it } from 'vitest';
import { rateLimitPresets, type RateLimits } from '../../../src/acme/rate-limit-presets.js';
import { renderPlan } from '../../../src/cli/render/revocation.js';
import type { RenewSettings } from '../../../src/renewal/managed.js';
import type { AffectedCertificate } from '../../../src/revocation/affected.js';
import { blastRadius } from '../../../src/revocation/blast-radius.js';
import { PLAN_SCHEMA_VERSION, type ReplacementPlan } from '../../../src/revocation/plan.js';
import { budgetTime } from '../../../src/revocation/rate-budget-time.js';
import type { BudgetKey, BudgetUsage, RateBudget } from '../../../src/store/ports.js';
import { managedCertificate } from '../../helpers/managed.js';

const CA = 'https://ca.example.test/directory';
const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const affected = (n: number, domainsPer: number): AffectedCertificate[] =>
  Array.from({ length: n }, (_, i) => ({ name: `c${i}`, domains: [`www.d${Math.floor(i / domainsPer)}.com`, `d${Math.floor(i / domainsPer)}.com`], ca: CA, hosts: [] }));
const settings = (rateLimits: RateLimits | undefined): RenewSettings => {
  const cert = managedCertificate();
  return { certificates: [], defaultCa: { ...cert.ca, directoryUrl: CA, ...(rateLimits ? { rateLimits } : {}) } } as unknown as RenewSettings;
};

/** Answers what it is told per bucket; remembers what it was asked. */
class FakeUsage implements Pick<RateBudget, 'usage'> {
  readonly asked: Array<{ keys: readonly BudgetKey[]; now: number }> = [];
  constructor(private readonly used: Record<string, number>) {}
  usage(keys: readonly BudgetKey[], now: number): Promise<BudgetUsage[]> {
    this.asked.push({ keys, now });
    return Promise.resolve(keys.map((k) => (this.used[k.bucket] ? { used: this.used[k.bucket]!, oldestFreesAt: now + HOUR } : { used: 0 })));
  }
}

describe('the plan at the rate budget', () => {
  it('counts each certificate once against the account and once per registered domain (two names on one domain: one unit)', async () => {
    // 120 certificates, 60 per registered domain at 50 a week: 10 more after a week's refill share.
    expect(await budgetTime(settings(rateLimitPresets.letsencrypt), affected(120, 60))).toMatchObject({ hours: (10 * 168) / 50, limitedBy: 'registered-domain:d0.com', used: 0, certificates: 120 });
  });

  it("reads what is used now: the account's orders of every account of the CA, each registered domain's across accounts", async () => {
    const budget = new FakeUsage({ 'new-orders': 120 });
    const t = await budgetTime(settings(rateLimitPresets.letsencrypt), affected(40_000, 40), { budget, now: NOW });
    expect(t?.hours).toBeCloseTo(398.2, 6);
    expect(t).toMatchObject({ limitedBy: 'new-orders', limit: { limit: 300, windowMs: 3 * HOUR }, used: 120, certificates: 40_000 });
    expect(budget.asked).toHaveLength(1);
    const { keys, now } = budget.asked[0]!;
    expect(now).toBe(NOW);
    expect(keys).toHaveLength(1001);
    expect(keys).toContainEqual({ ca: CA, bucket: 'new-orders', windowMs: 3 * HOUR });
    expect(keys).toContainEqual({ ca: CA, account: '', bucket: 'registered-domain:d0.com', windowMs: 168 * HOUR });
  });

  it("a registered domain's week, mostly used, can set the time instead of the account's orders", async () => {
    const budget = new FakeUsage({ 'registered-domain:d3.com': 45 });
    // 40 certificates on d3.com with 5 left this week: 35 more at 50 per 168 h = 117.6 h.
    const t = await budgetTime(settings(rateLimitPresets.letsencrypt), affected(400, 40), { budget, now: NOW });
    expect(t?.hours).toBeCloseTo(117.6, 6);
    expect(t).toMatchObject({ limitedBy: 'registered-domain:d3.com', used: 45 });
  });

  it('is absent without limits, and then reads nothing', async () => {
    const budget = new FakeUsage({});
    expect(await budgetTime(settings(undefined), affected(10, 1), { budget, now: NOW })).toBeUndefined();
    expect(budget.asked).toEqual([]);
  });

  it('is one line of the dry run, naming the limit and what is used of it', () => {
    const certs = affected(40_000, 40);
    const rateBudget = { hours: 398.2, limitedBy: 'new-orders', limit: { limit: 300, windowMs: 3 * HOUR }, used: 120, certificates: 40_000 };
    const plan: ReplacementPlan = { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: certs, blastRadius: blastRadius(certs), rateBudget };
    expect(renderPlan(plan, 'replace', 'table').join('')).toContain("at your CA's limits (300 new orders per account per 3 h, 120 used now), replacing 40,000 certificate(s) takes 399 hours");
    expect(JSON.parse(renderPlan(plan, 'replace', 'json').join(''))).toMatchObject({ rateBudget: { hours: 398.2, limitedBy: 'new-orders', used: 120, limit: { limit: 300 } } });
    const weekly = { ...rateBudget, hours: 117.6, limitedBy: 'registered-domain:d3.com', limit: { limit: 50, windowMs: 168 * HOUR }, used: 45 };
    expect(renderPlan({ ...plan, rateBudget: weekly }, 'drill', 'table').join('')).toContain("at your CA's limits (50 certificates per registered domain per 7 day(s) (d3.com), 45 used now), drilling 40,000 certificate(s) takes 118 hours");
  });
});
