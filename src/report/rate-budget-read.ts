/**
 * The report's rate-budget input: the configured certificates by CA (config/certificate-rate-limits.ts)
 * and what the store's budget holds now for each of their buckets, read and never taken. Without a
 * store (a report from an inventory alone) nothing is read: the time then assumes an unused budget.
 */
import type { CertificateRateLimits } from '../config/certificate-rate-limits.js';
import { readUsedBudget } from '../renewal/rate-budget.js';
import { sharesByCa } from '../revocation/rate-budget-time.js';
import type { RateBudget } from '../store/ports.js';
import type { RateBudgetInput } from './rate-budget.js';

/**
 * `now`: the clock's, not the report's --as-of: the budget is what it is now. Every account the
 * store has for a CA counts (no account at hand; see BudgetKey): what is left is never overstated.
 */
export async function readRateBudget(certificates: readonly CertificateRateLimits[], budget: Pick<RateBudget, 'usage'> | undefined, now: number): Promise<RateBudgetInput[]> {
  const shares = sharesByCa(certificates);
  return Promise.all(
    shares.map(async (s) => (budget ? { ...s, used: await readUsedBudget(budget, { ca: s.ca, limits: s.limits, domains: s.perRegisteredDomain.keys(), now }) } : s)),
  );
}
