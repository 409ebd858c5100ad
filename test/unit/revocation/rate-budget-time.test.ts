/** The time a mass replacement takes at the CA's rate limits (src/revocation/rate-budget-time.ts). */
import { describe, expect, it } from 'vitest';
import { rateLimitPresets } from '../../../src/acme/rate-limit-presets.js';
import { replacementHours } from '../../../src/revocation/rate-budget-time.js';

const HOUR = 3_600_000;
/** n certificates spread evenly over `domains` registered domains. */
const spread = (n: number, domains: number) => new Map(Array.from({ length: domains }, (_, i) => [`d${i}.example`, n / domains]));

describe('replacementHours', () => {
  it("the issue's example: 40,000 certificates at 1,800 new orders per 3 h, this window's used up, take 67 hours", () => {
    const t = replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1000), limits: { newOrders: { limit: 1800, windowMs: 3 * HOUR } }, used: { newOrders: 1800 } });
    expect(Math.round(t.hours)).toBe(67);
    expect(t.limitedBy).toBe('new-orders');
  });

  it("at Let's Encrypt's published limits, 40,000 over 1,000 registered domains: the account's 300 per 3 h (after the first 300) sets it", () => {
    const t = replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1000), limits: rateLimitPresets.letsencrypt });
    expect(t).toEqual({ hours: 397, limitedBy: 'new-orders' });
  });

  it('a registered domain with more certificates than its weekly limit sets the time, what it already used counting', () => {
    const perRegisteredDomain = new Map([['big.example', 200], ['small.example', 10]]);
    // 200 at 50 a week: 50 now, 150 more at 50 per 168 h = 504 h.
    expect(replacementHours({ count: 210, perRegisteredDomain, limits: rateLimitPresets.letsencrypt })).toEqual({ hours: 504, limitedBy: 'registered-domain:big.example' });
    // 20 used this week: 30 now, 170 more = 571.2 h.
    const used = { perRegisteredDomain: new Map([['big.example', 20]]) };
    expect(replacementHours({ count: 210, perRegisteredDomain, limits: rateLimitPresets.letsencrypt, used }).hours).toBeCloseTo(571.2, 6);
  });

  it('what fits in the budget now takes no time; no limits, none', () => {
    expect(replacementHours({ count: 40, perRegisteredDomain: spread(40, 4), limits: rateLimitPresets.letsencrypt })).toEqual({ hours: 0 });
    expect(replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1), limits: {} })).toEqual({ hours: 0 });
  });
});
