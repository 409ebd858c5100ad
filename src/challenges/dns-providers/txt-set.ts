/**
 * For APIs that hold all TXT values at a name as one set (Route 53, Google Cloud DNS, Azure DNS):
 * adding ours is read, add, write back; removing ours is read, remove, write back (or delete the set
 * when ours was the last). Two challenges at one name (example.com and *.example.com) are presented
 * together, so the read-modify-write of one name is serialised within a client: otherwise both read
 * an empty set and the second write drops the first value.
 */

/** Runs `task`s for the same key one after another (tasks for other keys run freely). */
export function keyedQueue(): <T>(key: string, task: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const before = tails.get(key) ?? Promise.resolve();
    const run = before.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await run;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/** A TXT value in zone-file form, as these APIs take it: one quoted string (ACME values are base64url, so nothing to escape). */
export function quoteTxt(value: string): string {
  return `"${value.replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * The text of a TXT rdata in zone-file form: quoted strings concatenated (a long value may be
 * split into several), escapes undone; an unquoted rdata is taken as it is.
 */
export function unquoteTxt(rdata: string): string {
  const strings = rdata.match(/"((?:[^"\\]|\\.)*)"/g);
  if (!strings) return rdata;
  return strings.map((s) => s.slice(1, -1).replace(/\\(.)/g, '$1')).join('');
}
