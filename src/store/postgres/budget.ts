/**
 * A CA's rate limit as one budget for every runner (ports.ts `RateBudget`) in `rate_budget`: a
 * sliding window like the file store's, one row per moment units were taken (window_start is that
 * moment, used how many). Counting and taking happen in one transaction holding an advisory lock
 * on the (CA, account, bucket) key, so two runners never both take the last unit.
 */
import type { BudgetKey, BudgetUsage, RateBudget } from '../ports.js';
import type { Db } from './db.js';
import { epochMs, timestamp } from './db.js';

type Request = Parameters<RateBudget['take']>[0];

export class PostgresRateBudget implements RateBudget {
  constructor(private readonly db: Db) {}

  take(request: Request): Promise<{ granted: true } | { granted: false; retryAt: number }> {
    const key = [request.ca, request.account, request.bucket];
    const since = timestamp(request.now - request.windowMs);
    return this.db.transaction(async (client) => {
      // chr(1) separates the parts (no URL or bucket name holds one); a collision of the 32-bit
      // hash only makes two budgets take turns, never share a count.
      await client.query("SELECT pg_advisory_xact_lock(hashtext('certfleet rate budget' || chr(1) || $1 || chr(1) || $2 || chr(1) || $3))", key);
      // Units out of the window stop counting; their rows are kept no longer.
      await client.query('DELETE FROM rate_budget WHERE ca = $1 AND account = $2 AND bucket = $3 AND window_start <= $4', [...key, since]);
      const { rows } = await client.query<{ used: number; oldest: Date | null }>(
        'SELECT coalesce(sum(used), 0)::int AS used, min(window_start) AS oldest FROM rate_budget WHERE ca = $1 AND account = $2 AND bucket = $3',
        key,
      );
      const used = rows[0]?.used ?? 0;
      if (used >= request.limit) {
        const oldest = rows[0]?.oldest?.getTime() ?? request.now;
        return { granted: false as const, retryAt: oldest + request.windowMs };
      }
      await client.query(
        `INSERT INTO rate_budget (ca, account, bucket, window_start, used) VALUES ($1, $2, $3, $4, 1)
         ON CONFLICT (ca, account, bucket, window_start) DO UPDATE SET used = rate_budget.used + 1`,
        [...key, timestamp(request.now)],
      );
      return { granted: true as const };
    });
  }

  /**
   * One statement for every key, each over its own window; rows older than a window are counted
   * out, not deleted (a read changes nothing; the next take prunes them).
   */
  async usage(keys: readonly BudgetKey[], now: number): Promise<BudgetUsage[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.db.query<{ i: string; used: number; oldest: Date | null }>(
      `SELECT k.i, coalesce(sum(r.used), 0)::int AS used, min(r.window_start) AS oldest
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS k(ca, account, bucket, since, i)
       LEFT JOIN rate_budget r ON r.ca = k.ca AND (k.account IS NULL OR r.account = k.account) AND r.bucket = k.bucket AND r.window_start > k.since
       GROUP BY k.i`,
      [keys.map((k) => k.ca), keys.map((k) => k.account ?? null), keys.map((k) => k.bucket), keys.map((k) => timestamp(now - k.windowMs))],
    );
    const byIndex = new Map(rows.map((r) => [Number(r.i), r]));
    return keys.map((k, i) => {
      const row = byIndex.get(i + 1);
      const oldest = epochMs(row?.oldest ?? null);
      return row && row.used > 0 && oldest !== undefined ? { used: row.used, oldestFreesAt: oldest + k.windowMs } : { used: 0 };
    });
  }
}
