/**
 * The CA's rate limits as one budget every runner takes from (the store's RateBudget, shared
 * through PostgreSQL by every runner of a fleet) before it asks the CA for a new order: one unit
 * of the account's new-orders bucket and one per registered domain among the certificate's names.
 * A refusal is not the certificate's failure: the run waits until a unit frees instead of
 * collecting the CA's own rate-limit errors, and the rest of the fleet keeps its share.
 */
import { getDomain } from 'tldts';
import type { RateLimits } from '../acme/rate-limit-presets.js';
import type { RateBudget } from '../store/ports.js';

export type BudgetAnswer = { granted: true } | { granted: false; retryAt: number; bucket: string; limit: number; windowMs: number };

export interface OrderBudgetRequest {
  /** The CA (its directory URL). */
  ca: string;
  /** The ACME account the order is made with. */
  account: string;
  limits: RateLimits;
  domains: readonly string[];
  now: number;
}

/**
 * Take what one new order costs, the scarcest buckets first (a registered domain's weekly limit)
 * so a refusal rarely comes after units were taken. Units taken before a refusal stay taken: the
 * budget may undercount what is left, never overspend the CA's.
 */
export async function takeOrderBudget(budget: RateBudget, request: OrderBudgetRequest): Promise<BudgetAnswer> {
  const { ca, account, limits, now } = request;
  for (const t of orderBuckets(limits, account, registeredDomains(request.domains))) {
    const answer = await budget.take({ ca, account: t.account, bucket: t.bucket, limit: t.limit, windowMs: t.windowMs, now });
    if (!answer.granted) return { granted: false, retryAt: answer.retryAt, bucket: t.bucket, limit: t.limit, windowMs: t.windowMs };
  }
  return { granted: true };
}

/** The buckets an order takes from, scarcest first: the one place their keys are spelled. */
function orderBuckets<A extends string | undefined>(limits: RateLimits, account: A, domains: readonly string[]): Array<{ account: A | ''; bucket: string; limit: number; windowMs: number }> {
  const buckets: Array<{ account: A | ''; bucket: string; limit: number; windowMs: number }> = [];
  if (limits.perRegisteredDomain) {
    // The CA counts a registered domain's certificates across all accounts: no account in the key.
    for (const domain of domains) buckets.push({ account: '', bucket: `registered-domain:${domain}`, ...limits.perRegisteredDomain });
  }
  if (limits.newOrders) buckets.push({ account, bucket: 'new-orders', ...limits.newOrders });
  return buckets;
}

/** What is taken now of the buckets a set of orders would take from (the shape replacementHours reads). */
export interface UsedBudget {
  newOrders?: number;
  perRegisteredDomain: Map<string, number>;
}

/**
 * Read (never take) what is used now of a CA's buckets: its account's new orders and each of
 * `domains` (registered domains). `account` absent: every account the store has for the CA (a
 * report has none at hand; see BudgetKey).
 */
export async function readUsedBudget(budget: Pick<RateBudget, 'usage'>, request: { ca: string; account?: string; limits: RateLimits; domains: Iterable<string>; now: number }): Promise<UsedBudget> {
  const buckets = orderBuckets(request.limits, request.account, [...request.domains]);
  const usage = await budget.usage(
    buckets.map((b) => ({ ca: request.ca, ...(b.account !== undefined ? { account: b.account } : {}), bucket: b.bucket, windowMs: b.windowMs })),
    request.now,
  );
  const used: UsedBudget = { perRegisteredDomain: new Map() };
  buckets.forEach((b, i) => {
    const n = usage[i]?.used ?? 0;
    if (b.bucket === 'new-orders') used.newOrders = n;
    else used.perRegisteredDomain.set(b.bucket.slice('registered-domain:'.length), n);
  });
  return used;
}

/**
 * The registered domain (eTLD+1 by the Public Suffix List, its private section included as Let's
 * Encrypt counts it: each github.io user is one) of a certificate name; a wildcard counts as its
 * base name. A name with none (a public suffix itself, an IP address) counts as itself.
 */
export function registeredDomain(name: string): string {
  const bare = name.startsWith('*.') ? name.slice(2) : name;
  return getDomain(bare, { allowPrivateDomains: true }) ?? bare;
}

/** Each registered domain among `names` once, in first-seen order. */
export function registeredDomains(names: readonly string[]): string[] {
  return [...new Set(names.map(registeredDomain))];
}

/** "the 300 new orders per 3 h" for messages. */
export function describeLimit(bucket: string, limit: number, windowMs: number): string {
  const per = windowMs % 86_400_000 === 0 ? `${windowMs / 86_400_000} day(s)` : `${Math.round((windowMs / 3_600_000) * 100) / 100} h`;
  return bucket === 'new-orders' ? `${limit} new orders per account per ${per}` : `${limit} certificates per registered domain per ${per} (${bucket.slice('registered-domain:'.length)})`;
}
