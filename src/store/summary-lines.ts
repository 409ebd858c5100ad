/**
 * The managed-certificates summary as a run on the shared store updates it: only the lines of the
 * certificates the run looked at (RunRecords.updateSummary's `only`). The summary's shape is
 * report's (src/report/inputs.ts ManagedStateFile): run-wide fields and a `certificates` list of
 * lines with a `name`.
 */
interface Lines {
  certificates?: unknown;
  [key: string]: unknown;
}

export interface SummaryLine {
  name: string;
  [key: string]: unknown;
}

/** A stored summary's lines ([] when it has none or is not a summary). */
export function summaryLines(summary: unknown): SummaryLine[] {
  const list = (summary as Lines | undefined)?.certificates;
  return Array.isArray(list) ? list.filter((l): l is SummaryLine => typeof l === 'object' && l !== null && typeof (l as SummaryLine).name === 'string') : [];
}

/**
 * `update` applied to the lines of `only`: its run-wide fields replace the previous ones, its
 * lines replace theirs in place (new ones at the end), every other line is kept as it was.
 */
export function updateLines(previous: unknown, only: readonly string[], update: (previous: unknown) => object): object {
  const scope = new Set(only);
  const lines = summaryLines(previous);
  const scoped = previous === undefined ? undefined : { ...(previous as object), certificates: lines.filter((l) => scope.has(l.name)) };
  const next = update(scoped) as Lines;
  const fresh = new Map(summaryLines(next).map((l) => [l.name, l]));
  const kept = lines.filter((l) => !scope.has(l.name) || fresh.has(l.name)).map((l) => fresh.get(l.name) ?? l);
  const known = new Set(kept.map((l) => l.name));
  return { ...next, certificates: [...kept, ...[...fresh.values()].filter((l) => !known.has(l.name))] };
}
