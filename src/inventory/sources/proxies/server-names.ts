/** Host names as the proxies compare them: case-insensitive, each once, in the order written. */
export function uniqueNames(names: Iterable<string>): string[] {
  const seen = new Set<string>();
  for (const name of names) {
    const lower = name.toLowerCase();
    if (lower !== '') seen.add(lower);
  }
  return [...seen];
}
