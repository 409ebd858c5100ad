/**
 * Work over the authorizations of one order, a bounded number at a time. An order may hold
 * hundreds of names (one held 10,000 and, fetched all at once, ran the process out of file
 * descriptors at 1.4 GB): every request, solver call or poll per authorization goes through here.
 */
import { mapConcurrently } from '../concurrency.js';

/** Requests to the CA in flight for one order: authorizations read, challenges answered, polls. */
export const CA_REQUEST_CONCURRENCY = 8;

/**
 * Solver calls in flight for one order. Higher than the CA's: a dns-01 present() waits for the
 * record to reach every authoritative server, and names in one batch wait for the same transfer,
 * so each batch costs one propagation delay; 32 keeps the descriptors (a DNS socket, or a hook
 * process and its pipes, each) far below the usual limit of 1,024.
 */
export const SOLVER_CONCURRENCY = 32;

/**
 * `work` on every item, at most `limit` at a time, results in the items' order. After the first
 * failure no further item starts, the running ones are awaited (nothing is left running behind
 * the caller), then that first failure is thrown. `onFailure` hears it at once, e.g. to abort the
 * running ones.
 */
export async function eachBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, onFailure?: (err: unknown) => void): Promise<R[]> {
  let failure: { err: unknown } | undefined;
  const results = await mapConcurrently(items, limit, async (item): Promise<R | undefined> => {
    if (failure) return undefined;
    try {
      return await work(item);
    } catch (err) {
      if (!failure) {
        failure = { err };
        onFailure?.(err);
      }
      return undefined;
    }
  });
  if (failure) throw failure.err;
  return results as R[];
}
