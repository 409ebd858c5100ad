/**
 * How long a mass replacement takes at the CA's rate limits: a pure function of the number of
 * certificates, how many fall on each registered domain, the limits, and what of them is already
 * used. A bucket gives what is left of its limit at once, then refills at limit per window (Let's
 * Encrypt's buckets refill continuously: 300 per 3 h is one order every 36 s); the set takes as
 * long as its slowest bucket. It leaves out the time the orders themselves take, and ARI renewals
 * the CA exempts: it is what the budget allows, the floor under any real replacement.
 */
import type { RateLimit, RateLimits } from '../acme/rate-limit-presets.js';

export interface BudgetTimeInput {
  /** Certificates to order (each one new order). */
  count: number;
  /** Certificates per registered domain (a certificate on two registered domains counts on each). */
  perRegisteredDomain: ReadonlyMap<string, number>;
  limits: RateLimits;
  /** Units already taken in the current windows. */
  used?: { newOrders?: number; perRegisteredDomain?: ReadonlyMap<string, number> };
}

export interface BudgetTime {
  hours: number;
  /** The bucket that sets the time: `new-orders`, `registered-domain:<domain>`, or none when everything fits now. */
  limitedBy?: string;
}

export function replacementHours(input: BudgetTimeInput): BudgetTime {
  let worst: BudgetTime = { hours: 0 };
  const consider = (bucket: string, limit: RateLimit, wanted: number, used: number) => {
    const hours = bucketHours(limit, wanted, used);
    if (hours > worst.hours) worst = { hours, limitedBy: bucket };
  };
  if (input.limits.newOrders) consider('new-orders', input.limits.newOrders, input.count, input.used?.newOrders ?? 0);
  if (input.limits.perRegisteredDomain) {
    for (const [domain, wanted] of input.perRegisteredDomain) consider(`registered-domain:${domain}`, input.limits.perRegisteredDomain, wanted, input.used?.perRegisteredDomain?.get(domain) ?? 0);
  }
  return worst;
}

/** Hours until `wanted` units are taken from a bucket with `used` of its limit taken. */
function bucketHours({ limit, windowMs }: RateLimit, wanted: number, used: number): number {
  const now = Math.max(0, limit - used);
  return (Math.max(0, wanted - now) * windowMs) / limit / 3_600_000;
}
