/**
 * The plan of a drill or replacement says how long the set takes at the CA's rate limits
 * (plan.ts budgetTime over rate-budget-time.ts, rendered by render/revocation.ts).
 */
import { describe, expect, it } from 'vitest';
import { rateLimitPresets, type RateLimits } from '../../../src/acme/rate-limit-presets.js';
import { renderPlan } from '../../../src/cli/render/revocation.js';
import type { RenewSettings } from '../../../src/renewal/managed.js';
import type { AffectedCertificate } from '../../../src/revocation/affected.js';
import { blastRadius } from '../../../src/revocation/blast-radius.js';
import { budgetTime, PLAN_SCHEMA_VERSION, type ReplacementPlan } from '../../../src/revocation/plan.js';
import { managedCertificate } from '../../helpers/managed.js';

const CA = 'https://ca.example.test/directory';
const affected = (n: number, domainsPer: number): AffectedCertificate[] =>
  Array.from({ length: n }, (_, i) => ({ name: `c${i}`, domains: [`www.d${Math.floor(i / domainsPer)}.com`, `d${Math.floor(i / domainsPer)}.com`], ca: CA, hosts: [] }));
const settings = (rateLimits: RateLimits | undefined): RenewSettings => {
  const cert = managedCertificate();
  return { certificates: [], defaultCa: { ...cert.ca, directoryUrl: CA, ...(rateLimits ? { rateLimits } : {}) } } as unknown as RenewSettings;
};

describe('the plan at the rate budget', () => {
  it('counts each certificate once against the account and once per registered domain (two names on one domain: one unit)', () => {
    // 120 certificates, 60 per registered domain at 50 a week: 10 more after a week's refill share.
    expect(budgetTime(settings(rateLimitPresets.letsencrypt), affected(120, 60))).toEqual({ hours: (10 * 168) / 50, limitedBy: 'registered-domain:d0.com', certificates: 120 });
  });

  it('is absent without limits', () => {
    expect(budgetTime(settings(undefined), affected(10, 1))).toBeUndefined();
  });

  it('is one line of the dry run', () => {
    const certs = affected(40_000, 40);
    const plan: ReplacementPlan = { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: certs, blastRadius: blastRadius(certs), rateBudget: { hours: 66.67, limitedBy: 'new-orders', certificates: 40_000 } };
    expect(renderPlan(plan, 'replace', 'table').join('')).toContain("at your CA's limits, replacing 40,000 certificate(s) takes 67 hours (limited by new orders per account)");
    expect(JSON.parse(renderPlan(plan, 'replace', 'json').join(''))).toMatchObject({ rateBudget: { hours: 66.67, limitedBy: 'new-orders' } });
  });
});
