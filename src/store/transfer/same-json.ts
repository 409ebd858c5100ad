/**
 * Whether two JSON documents say the same thing. A document read back from PostgreSQL's jsonb has
 * its keys in jsonb's order, not the writer's, so text comparison would call every imported record
 * changed and an import run twice would never be idempotent: keys are compared sorted.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    // JSON.stringify drops undefined members: so does the comparison.
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}

/**
 * The managed-certificates summary compared as `report` reads it: the PostgreSQL store keeps each
 * certificate's line in its row and gives them back ordered by name, so the lines are compared in
 * name order.
 */
export function sameSummary(a: unknown, b: unknown): boolean {
  return sameJson(byName(a), byName(b));
}

function byName(summary: unknown): unknown {
  const lines = (summary as { certificates?: unknown } | undefined)?.certificates;
  if (!Array.isArray(lines)) return summary;
  const name = (l: unknown) => String((l as { name?: unknown } | null)?.name ?? '');
  return { ...(summary as object), certificates: [...lines].sort((x, y) => (name(x) < name(y) ? -1 : name(x) > name(y) ? 1 : 0)) };
}
