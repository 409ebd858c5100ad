/**
 * A CA's rate limit as a budget shared by every run on this state directory: a sliding window of
 * the times units were taken, per CA, account and bucket, in `<stateDir>/rate-budget.json`, read and
 * written under the state directory's short lock so two runs never both take the last unit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { RateBudget } from './ports.js';

type Windows = Record<string, number[]>;

export class FileRateBudget implements RateBudget {
  constructor(
    private readonly stateDir: string,
    private readonly exclusively: <T>(section: () => Promise<T>) => Promise<T>,
  ) {}

  take(request: { ca: string; account: string; bucket: string; limit: number; windowMs: number; now: number }): Promise<{ granted: true } | { granted: false; retryAt: number }> {
    return this.exclusively(async () => {
      const path = join(this.stateDir, 'rate-budget.json');
      let windows: Windows = {};
      try {
        windows = JSON.parse(readFileSync(path, 'utf8')) as Windows;
      } catch {
        // none yet, or unreadable: start counting again (a CA's own limit still applies)
      }
      const key = JSON.stringify([request.ca, request.account, request.bucket]);
      const taken = (windows[key] ?? []).filter((t) => t > request.now - request.windowMs);
      if (taken.length >= request.limit) return { granted: false as const, retryAt: Math.min(...taken) + request.windowMs };
      windows[key] = [...taken, request.now];
      await writeFileAtomic(path, JSON.stringify(windows) + '\n', { mode: 0o600 });
      return { granted: true as const };
    });
  }
}
