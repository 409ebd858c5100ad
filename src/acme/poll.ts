/**
 * Polling an ACME resource until it settles. acme-client's waitForValidStatus sleeps 5 s the
 * first time it sees "pending", which turns a ~50 ms local issuance into seconds; this starts at
 * a few tens of milliseconds and grows to a second, honours the CA's Retry-After, and gives up
 * at a deadline (or when the caller aborts) with the last status it saw.
 */
import { AcmeError, AcmeTimeoutError } from './errors.js';

export interface PollTiming {
  /** First wait; each next wait is `factor` times longer, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
  timeoutMs: number;
}

export const defaultPollTiming: PollTiming = { initialDelayMs: 10, maxDelayMs: 1000, factor: 2, timeoutMs: 90_000 };

export interface PollStep<T> {
  value: T;
  status: string;
  done: boolean;
  /** The CA's Retry-After for this resource, when it sent one. */
  retryAfterSeconds?: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Call `check` until it reports done. `first` is an already-known state (e.g. the answer to the
 * request that started the work), so no request is spent learning what we know.
 */
export async function pollUntil<T>(
  what: string,
  url: string,
  check: () => Promise<PollStep<T>>,
  options: { timing?: Partial<PollTiming>; signal?: AbortSignal; first?: PollStep<T> } = {},
): Promise<T> {
  const timing = { ...defaultPollTiming, ...options.timing };
  const deadline = Date.now() + timing.timeoutMs;
  let delay = timing.initialDelayMs;
  let step = options.first ?? (await check());
  for (;;) {
    if (step.done) return step.value;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new AcmeTimeoutError(what, url, timing.timeoutMs, step.status);
    const wanted = step.retryAfterSeconds !== undefined ? Math.max(step.retryAfterSeconds * 1000, delay) : delay;
    try {
      await sleep(Math.min(wanted, remaining), options.signal);
    } catch (reason) {
      throw new AcmeError(`stopped waiting for ${what} ${url}: ${reason instanceof Error ? reason.message : 'aborted'}`, { code: 'acme-aborted', cause: reason });
    }
    delay = Math.min(delay * timing.factor, timing.maxDelayMs);
    step = await check();
  }
}
