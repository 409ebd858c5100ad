/**
 * When a long-running agent tries a failed deployment again: 1 min after the first failure,
 * doubling to 1 h, back to the start after a success. Kept in memory: a restarted agent does a
 * pass at start anyway, which tries every failed certificate once.
 */
import type { AgentCertificateOutcome } from './agent.js';

export const RETRY_FIRST_MS = 60_000;
export const RETRY_MAX_MS = 3_600_000;

/** The wait after the `failures`-th failure in a row (1-based). */
export function retryDelayMs(failures: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.max(0, failures - 1), RETRY_MAX_MS);
}

export class RetrySchedule {
  private readonly failures = new Map<string, number>();
  private readonly due = new Map<string, number>();

  /** What one pass did, at `now`: failures counted and scheduled, successes forgotten, names no longer assigned dropped. */
  record(outcomes: readonly AgentCertificateOutcome[], now: number): void {
    const seen = new Set<string>();
    for (const o of outcomes) {
      seen.add(o.name);
      if (o.status === 'failed') {
        this.record1(o.name, now);
      } else if (o.status === 'busy') {
        // Another certfleet on this host is deploying it: look again soon, without counting a failure.
        this.due.set(o.name, now + RETRY_FIRST_MS);
      } else {
        this.failures.delete(o.name);
        this.due.delete(o.name);
      }
    }
    for (const name of [...this.due.keys()]) if (name !== PASS && !seen.has(name)) this.forget(name);
  }

  /** A pass that could not run at all (the store unreachable) counts as a failure of its own. */
  recordPassFailure(now: number): number {
    return this.record1(PASS, now);
  }

  recordPassSuccess(): void {
    this.forget(PASS);
  }

  /** The earliest retry time, or undefined when nothing waits for one. */
  next(): number | undefined {
    let min: number | undefined;
    for (const t of this.due.values()) if (min === undefined || t < min) min = t;
    return min;
  }

  private record1(name: string, now: number): number {
    const n = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, n);
    const at = now + retryDelayMs(n);
    this.due.set(name, at);
    return at;
  }

  private forget(name: string): void {
    this.failures.delete(name);
    this.due.delete(name);
  }
}

/** Not a certificate name (a name is a spec's, never empty). */
const PASS = '';
