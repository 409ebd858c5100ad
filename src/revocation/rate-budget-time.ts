/**
 * How long a mass replacement takes at the CA's rate limits: replacementHours is a pure function of
 * the number of certificates, how many fall on each registered domain, the limits, and what of them
 * is used now; budgetTime feeds it a drill's or replacement's set and what the store's budget holds
 * (read, never taken, by readUsedBudget in src/renewal/rate-budget.ts). A bucket gives what
 * is left of its limit at once, then refills at limit per window (Let's Encrypt's buckets refill
 * continuously: 300 per 3 h is one order every 36 s); the set takes as long as its slowest bucket.
 * It leaves out the time the orders themselves take, and ARI renewals the CA exempts: it is what
 * the budget allows, the floor under any real replacement.
 */
import type { RateLimit, RateLimits } from '../acme/rate-limit-presets.js';
import type { RenewSettings } from '../renewal/managed.js';
import { readUsedBudget, registeredDomains } from '../renewal/rate-budget.js';
import type { RateBudget } from '../store/ports.js';
import type { AffectedCertificate } from './affected.js';

export interface BudgetTimeInput {
  /** Certificates to order (each one new order). */
  count: number;
  /** Certificates per registered domain (a certificate on two registered domains counts on each). */
  perRegisteredDomain: ReadonlyMap<string, number>;
  limits: RateLimits;
  /** Units already taken in the current windows (absent: an unused budget). */
  used?: { newOrders?: number; perRegisteredDomain?: ReadonlyMap<string, number> };
}

export interface BudgetTime {
  hours: number;
  /** The bucket that sets the time: `new-orders`, `registered-domain:<domain>`, or none when everything fits now. */
  limitedBy?: string;
  /** That bucket's limit, and how much of it was used when the budget was read. */
  limit?: RateLimit;
  used?: number;
}

export function replacementHours(input: BudgetTimeInput): BudgetTime {
  let worst: BudgetTime = { hours: 0 };
  const consider = (bucket: string, limit: RateLimit, wanted: number, used: number) => {
    const hours = bucketHours(limit, wanted, used);
    if (hours > worst.hours) worst = { hours, limitedBy: bucket, limit: { limit: limit.limit, windowMs: limit.windowMs }, used };
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

/** One CA's share of a set: what replacementHours needs of it, before the budget is read. */
export interface CaShare {
  ca: string;
  limits: RateLimits;
  count: number;
  perRegisteredDomain: Map<string, number>;
}

/**
 * A set of certificates by CA (each CA its own budget): each certificate once against its CA's
 * new orders and once per registered domain among its names. Certificates without limits are
 * left out; when certificates of one CA name different limits, the first one's count (the budget
 * is keyed by CA, not by certificate).
 */
export function sharesByCa(certificates: Iterable<{ ca: string; domains: readonly string[]; limits?: RateLimits | undefined }>): CaShare[] {
  const byCa = new Map<string, CaShare>();
  for (const c of certificates) {
    if (!c.limits) continue;
    let share = byCa.get(c.ca);
    if (!share) byCa.set(c.ca, (share = { ca: c.ca, limits: c.limits, count: 0, perRegisteredDomain: new Map() }));
    share.count++;
    for (const d of registeredDomains(c.domains)) share.perRegisteredDomain.set(d, (share.perRegisteredDomain.get(d) ?? 0) + 1);
  }
  return [...byCa.values()];
}

/** The store's budget, read (never taken) as of `now`, for what is left of it. */
export interface BudgetRead {
  budget: Pick<RateBudget, 'usage'>;
  now: number;
}

/**
 * A drill's or replacement's set at its CAs' limits (each CA its own budget; the slowest sets
 * it), from what is left of the store's budget now; without `read`, as if none of it were used.
 * A certificate's limits are its own CA's, else the top-level acme section's for the same CA.
 */
export async function budgetTime(settings: RenewSettings, affected: readonly AffectedCertificate[], read?: BudgetRead): Promise<(BudgetTime & { certificates: number }) | undefined> {
  // By name, the first certificate of a name as find() would give it: 40,000 finds over 40,000 certificates took 3 s.
  const configured = new Map<string, RenewSettings['certificates'][number]>();
  for (const c of settings.certificates) if (!configured.has(c.name)) configured.set(c.name, c);
  const limitsOf = (a: AffectedCertificate): RateLimits | undefined =>
    configured.get(a.name)?.ca.rateLimits ?? (a.ca === settings.defaultCa?.directoryUrl ? settings.defaultCa.rateLimits : undefined);
  const shares = sharesByCa(affected.map((a) => ({ ca: a.ca, domains: a.domains, limits: limitsOf(a) })));
  if (shares.length === 0) return undefined;
  const times = await Promise.all(
    shares.map(async (s) => replacementHours({ ...s, ...(read ? { used: await readUsedBudget(read.budget, { ca: s.ca, limits: s.limits, domains: s.perRegisteredDomain.keys(), now: read.now }) } : {}) })),
  );
  const slowest = times.reduce((a, b) => (b.hours > a.hours ? b : a));
  return { ...slowest, certificates: shares.reduce((n, s) => n + s.count, 0) };
}
