/** The time a mass replacement takes at the CA's rate limits (src/revocation/rate-budget-time.ts). */
import { describe, expect, it } from 'vitest';
import { rateLimitPresets } from '../../../src/acme/rate-limit-presets.js';
import { replacementHours, sharesByCa } from '../../../src/revocation/rate-budget-time.js';

const HOUR = 3_600_000;
/** n certificates spread evenly over `domains` registered domains. */
const spread = (n: number, domains: number) => new Map(Array.from({ length: domains }, (_, i) => [`d${i}.example`, n / domains]));
const newOrders = { limit: 300, windowMs: 3 * HOUR };

describe('replacementHours', () => {
  it("the issue's example: 40,000 certificates at 1,800 new orders per 3 h, this window's used up, take 67 hours", () => {
    const t = replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1000), limits: { newOrders: { limit: 1800, windowMs: 3 * HOUR } }, used: { newOrders: 1800 } });
    expect(Math.round(t.hours)).toBe(67);
    expect(t).toMatchObject({ limitedBy: 'new-orders', limit: { limit: 1800, windowMs: 3 * HOUR }, used: 1800 });
  });

  it("at Let's Encrypt's published limits, 40,000 over 1,000 registered domains: the account's 300 per 3 h (after the first 300) sets it", () => {
    const t = replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1000), limits: rateLimitPresets.letsencrypt });
    expect(t).toEqual({ hours: 397, limitedBy: 'new-orders', limit: newOrders, used: 0 });
  });

  it('what is used of the window now is not there to take: 120 of 300 used, 180 now and 39,820 at 100 an hour', () => {
    const t = replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1000), limits: rateLimitPresets.letsencrypt, used: { newOrders: 120 } });
    expect(t.hours).toBeCloseTo(398.2, 6);
    expect(t).toMatchObject({ limitedBy: 'new-orders', limit: newOrders, used: 120 });
    // More used than the limit (a limit lowered since): nothing now, the rest at the refill rate.
    expect(replacementHours({ count: 600, perRegisteredDomain: spread(600, 60), limits: rateLimitPresets.letsencrypt, used: { newOrders: 450 } }).hours).toBe(6);
  });

  it('a registered domain with more certificates than its weekly limit sets the time, what it already used counting', () => {
    const perRegisteredDomain = new Map([['big.example', 200], ['small.example', 10]]);
    // 200 at 50 a week: 50 now, 150 more at 50 per 168 h = 504 h.
    expect(replacementHours({ count: 210, perRegisteredDomain, limits: rateLimitPresets.letsencrypt })).toMatchObject({ hours: 504, limitedBy: 'registered-domain:big.example', used: 0 });
    // 20 used this week: 30 now, 170 more = 571.2 h.
    const used = { perRegisteredDomain: new Map([['big.example', 20]]) };
    const t = replacementHours({ count: 210, perRegisteredDomain, limits: rateLimitPresets.letsencrypt, used });
    expect(t.hours).toBeCloseTo(571.2, 6);
    expect(t).toMatchObject({ limitedBy: 'registered-domain:big.example', limit: { limit: 50, windowMs: 168 * HOUR }, used: 20 });
  });

  it('what fits in the budget now takes no time; no limits, none', () => {
    expect(replacementHours({ count: 40, perRegisteredDomain: spread(40, 4), limits: rateLimitPresets.letsencrypt })).toEqual({ hours: 0 });
    expect(replacementHours({ count: 40, perRegisteredDomain: spread(40, 4), limits: rateLimitPresets.letsencrypt, used: { newOrders: 260 } })).toEqual({ hours: 0 });
    expect(replacementHours({ count: 40_000, perRegisteredDomain: spread(40_000, 1), limits: {} })).toEqual({ hours: 0 });
  });
});

describe('sharesByCa', () => {
  it('counts each certificate once per CA and once per registered domain among its names; certificates without limits are left out', () => {
    const le = rateLimitPresets.letsencrypt;
    const shares = sharesByCa([
      { ca: 'https://a.test/dir', domains: ['www.example.co.uk', 'example.co.uk', 'shop.example.com'], limits: le },
      { ca: 'https://a.test/dir', domains: ['*.example.co.uk'], limits: le },
      { ca: 'https://b.test/dir', domains: ['b.example.org'], limits: { newOrders } },
      { ca: 'https://c.test/dir', domains: ['c.example.org'], limits: undefined },
    ]);
    expect(shares).toEqual([
      { ca: 'https://a.test/dir', limits: le, count: 2, perRegisteredDomain: new Map([['example.co.uk', 2], ['example.com', 1]]) },
      { ca: 'https://b.test/dir', limits: { newOrders }, count: 1, perRegisteredDomain: new Map([['example.org', 1]]) },
    ]);
  });
});
