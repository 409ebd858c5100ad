/**
 * CAs' published rate limits as data, for `acme.rateLimits` (one budget every runner takes from,
 * src/renewal/rate-budget.ts). Only the two limits a fleet runs into when it renews or replaces
 * in bulk: new orders per account, and certificates per registered domain (the Public Suffix
 * List's registrable domain, private section included).
 *
 * Source: Let's Encrypt, "Rate Limits", https://letsencrypt.org/docs/rate-limits/ (read
 * 2026-12): 300 new orders per account per 3 hours; 50 certificates per registered domain per 7
 * days; renewals inside the ARI window the CA suggested are exempt from both. Let's Encrypt
 * changes these (and grants raises on request): set explicit limits in acme.rateLimits rather
 * than editing this file for one account. Its staging directory's limits are far higher, so no
 * preset applies there by default.
 *
 * What the limits mean in an incident: drill and replace plan a set at them (and what is left of
 * the budget now), and `report` compares the time to replace every configured certificate at them
 * with the Baseline Requirements' revocation windows, 24 hours and 5 days (section 4.9.1.1;
 * src/report/rate-budget.ts). At 300 new orders per 3 h, 40,000 certificates take 397 hours.
 */

export interface RateLimit {
  limit: number;
  windowMs: number;
}

export interface RateLimits {
  /** New orders per ACME account. */
  newOrders?: RateLimit;
  /** Certificates per registered domain (each of a certificate's registered domains takes one). */
  perRegisteredDomain?: RateLimit;
}

const HOUR_MS = 3_600_000;

export const rateLimitPresets = {
  letsencrypt: {
    newOrders: { limit: 300, windowMs: 3 * HOUR_MS },
    perRegisteredDomain: { limit: 50, windowMs: 7 * 24 * HOUR_MS },
  },
} as const satisfies Record<string, RateLimits>;

export type RateLimitPreset = keyof typeof rateLimitPresets;

export function isRateLimitPreset(name: string): name is RateLimitPreset {
  return Object.hasOwn(rateLimitPresets, name);
}

/** The preset that applies to an acme.server preset when acme.rateLimits is not set (none: unlimited). */
export const defaultRateLimitPreset: Partial<Record<string, RateLimitPreset>> = {
  letsencrypt: 'letsencrypt',
};
