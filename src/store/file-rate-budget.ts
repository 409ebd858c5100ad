/**
 * A CA's rate limit as a budget shared by every run on this state directory: a sliding window of
 * the times units were taken, per CA, account and bucket, in `<stateDir>/rate-budget.json`, read and
 * written under the state directory's short lock so two runs never both take the last unit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { BudgetKey, BudgetUsage, RateBudget } from './ports.js';

type Windows = Record<string, number[]>;

export class FileRateBudget implements RateBudget {
  constructor(
    private readonly stateDir: string,
    private readonly exclusively: <T>(section: () => Promise<T>) => Promise<T>,
  ) {}

  take(request: { ca: string; account: string; bucket: string; limit: number; windowMs: number; now: number }): Promise<{ granted: true } | { granted: false; retryAt: number }> {
    return this.exclusively(async () => {
      const path = join(this.stateDir, 'rate-budget.json');
      const windows = this.read();
      const key = JSON.stringify([request.ca, request.account, request.bucket]);
      const taken = (windows[key] ?? []).filter((t) => t > request.now - request.windowMs);
      if (taken.length >= request.limit) return { granted: false as const, retryAt: Math.min(...taken) + request.windowMs };
      windows[key] = [...taken, request.now];
      await writeFileAtomic(path, JSON.stringify(windows) + '\n', { mode: 0o600 });
      return { granted: true as const };
    });
  }

  /**
   * Without the lock: the file is only ever replaced whole (write-to-temp, rename), so a read sees
   * one complete version, and a report needs only read access to the state directory.
   */
  usage(keys: readonly BudgetKey[], now: number): Promise<BudgetUsage[]> {
    const windows = this.read();
    const entries = Object.entries(windows).flatMap(([key, times]) => {
      try {
        const [ca, account, bucket] = JSON.parse(key) as unknown[];
        return Array.isArray(times) ? [{ ca, account, bucket, times }] : [];
      } catch {
        return [];
      }
    });
    return Promise.resolve(
      keys.map((k) => {
        const matching = entries.filter((e) => e.ca === k.ca && e.bucket === k.bucket && (k.account === undefined || e.account === k.account));
        const taken = matching.flatMap((e) => e.times).filter((t): t is number => typeof t === 'number' && t > now - k.windowMs);
        // reduce, not Math.min(...): a bucket may hold more units than a call takes arguments.
        return taken.length === 0 ? { used: 0 } : { used: taken.length, oldestFreesAt: taken.reduce((a, b) => Math.min(a, b)) + k.windowMs };
      }),
    );
  }

  private read(): Windows {
    try {
      const windows: unknown = JSON.parse(readFileSync(join(this.stateDir, 'rate-budget.json'), 'utf8'));
      return typeof windows === 'object' && windows !== null && !Array.isArray(windows) ? (windows as Windows) : {};
    } catch {
      // none yet, or unreadable: start counting again (a CA's own limit still applies)
      return {};
    }
  }
}
