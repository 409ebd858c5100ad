/** The two ways the core runs work side by side: a bounded pool, and sections that must take turns. */

/**
 * `work` on every item, at most `limit` at a time, results in the items' order. `onEach` sees each
 * result as it comes (with how many are done): progress for the caller.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, onEach?: (result: R, done: number, total: number) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
      onEach?.(results[index], ++done, items.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** A mutex as a function: sections passed to it run one after another, in call order. */
export function oneAtATime(): <T>(section: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(section: () => Promise<T>): Promise<T> => {
    const run = tail.then(section);
    tail = run.catch(() => undefined);
    return run;
  };
}
