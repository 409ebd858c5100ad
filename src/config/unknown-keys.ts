/**
 * A typo in a key (`deplyo:`, `domans:`, `tpye:`) reads as one line naming the key and the key it
 * probably meant, `certificates[0] (www).deplyo: unknown key; did you mean "deploy"?`, instead of
 * zod's two or three lines for one mistake (the unknown key, the required key it left missing, the
 * rule about that key that then fails) or a bare "Invalid input" from a union.
 *
 * The known keys at a path come from the schema itself (walked through its wrappers and unions,
 * choosing a discriminated union's branch by the value written), so they never drift from it.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

/** One problem as a path and a message (issueText words it). */
export interface KeyAwareIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * zod's issues, with union failures replaced by the branch that fits the value, every unknown key
 * on its own line with the closest known key, and the issues that only repeat that typo dropped.
 */
export function explainIssues(issues: readonly Issue[], schema: z.core.$ZodType, raw: unknown): KeyAwareIssue[] {
  const flat = issues.flatMap((issue) => flattenUnion(issue, []));
  /** `path` -> unknown key -> the known key it is closest to (undefined: none close). */
  const unknownAt = new Map<string, Map<string, string | undefined>>();
  const out: KeyAwareIssue[] = [];
  const addUnknown = (objectPath: PropertyKey[], key: string, suggestion: string | undefined, known: readonly string[]) => {
    const id = pathId(objectPath);
    const seen = unknownAt.get(id) ?? new Map<string, string | undefined>();
    unknownAt.set(id, seen);
    if (seen.has(key)) return;
    seen.set(key, suggestion);
    const message = suggestion !== undefined ? `unknown key; did you mean "${suggestion}"?` : known.length > 0 ? `unknown key (known here: ${known.join(', ')})` : 'unknown key';
    out.push({ path: [...objectPath, key], message });
  };

  for (const issue of flat) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownKeysAt(schema, raw, issue.path);
    for (const key of issue.keys) addUnknown([...issue.path], key, closestKey(key, known), known);
  }
  for (const issue of flat) {
    if (issue.code === 'unrecognized_keys') continue;
    const parent = issue.path.slice(0, -1);
    const last = issue.path.at(-1);
    const parentValue = valueAt(raw, parent);
    // A required key that is missing because it was misspelt: the typo's line says it all.
    if (typeof last === 'string' && isPlainObject(parentValue) && parentValue[last] === undefined) {
      const typos = unknownAt.get(pathId(parent));
      if (typos && [...typos.values()].includes(last)) continue;
      const known = knownKeysAt(schema, raw, parent);
      const typo = Object.keys(parentValue).find((k) => !known.includes(k) && closestKey(k, [last]) === last);
      if (typo !== undefined) {
        addUnknown([...parent], typo, last, known);
        continue;
      }
    }
    // A rule about the object that holds a typo ("give exactly one of webroot or standalone"): it
    // fails because of the typo, and fixing the typo is the first step anyway.
    if (issue.code === 'custom') {
      const typos = unknownAt.get(pathId(issue.path));
      if (typos && [...typos.values()].some((s) => s !== undefined)) continue;
    }
    out.push({ path: [...issue.path], message: issue.message });
  }
  return out;
}

/**
 * A union's "Invalid input" replaced by what went wrong in the branch that fits the value's
 * shape (the object form of an endpoint, the list form of a path list): the one a person meant.
 */
function flattenUnion(issue: Issue, prefix: Path): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path } as Issue];
  const fitting = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (fitting.length !== 1) return [{ ...issue, path } as Issue];
  return fitting[0]!.flatMap((i) => flattenUnion(i, path));
}

/** Optimal string alignment distance (a transposition counts as one edit, as in "deplyo"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key a typo most likely meant, or undefined when none is close (short keys allow fewer edits). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const typed = key.toLowerCase();
  const allowed = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3;
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance <= allowed && distance < Math.max(typed.length, candidate.length) && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** The keys the schema allows in the object at `path` of `raw` (empty when it is not an object there). */
export function knownKeysAt(schema: z.core.$ZodType, raw: unknown, path: Path): string[] {
  let schemas: z.core.$ZodType[] = [schema];
  let value = raw;
  for (const segment of path) {
    schemas = schemas.flatMap((s) => childSchemas(s, value, segment));
    value = isPlainObject(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[segment as string] : undefined;
  }
  const keys = new Set<string>();
  for (const s of schemas) for (const shape of objectShapes(s, value)) for (const k of Object.keys(shape)) keys.add(k);
  return [...keys];
}

interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  options?: z.core.$ZodType[];
  discriminator?: string;
  values?: unknown[];
  getter?: () => z.core.$ZodType;
}

const def = (s: z.core.$ZodType): Def => s._zod.def as unknown as Def;

/** The schema with its wrappers (optional, default, a transform's input, lazy) taken off. */
function unwrap(s: z.core.$ZodType): z.core.$ZodType {
  for (;;) {
    const d = def(s);
    if (d.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else if (d.type === 'lazy' && d.getter) s = d.getter();
    else return s;
  }
}

/** The object shapes `s` may take for `value`: a discriminated union's branch by the value's discriminator. */
function objectShapes(s: z.core.$ZodType, value: unknown): Array<Record<string, z.core.$ZodType>> {
  const d = def(unwrap(s));
  if (d.type === 'object' && d.shape) return [d.shape];
  if (d.type === 'union' && d.options) return unionOptions(d, value).flatMap((o) => objectShapes(o, value));
  return [];
}

function unionOptions(d: Def, value: unknown): z.core.$ZodType[] {
  const options = d.options ?? [];
  if (d.discriminator === undefined || !isPlainObject(value)) return options;
  const written = value[d.discriminator];
  const matching = options.filter((o) => objectShapes(o, undefined).some((shape) => {
    const literal = shape[d.discriminator!];
    return literal !== undefined && (def(unwrap(literal)).values ?? []).includes(written);
  }));
  return matching.length > 0 ? matching : options;
}

function childSchemas(s: z.core.$ZodType, value: unknown, segment: PropertyKey): z.core.$ZodType[] {
  const inner = unwrap(s);
  const d = def(inner);
  if (d.type === 'array' && d.element && typeof segment === 'number') return [d.element];
  if (d.type === 'union' && d.options) return unionOptions(d, value).flatMap((o) => childSchemas(o, value, segment));
  if (d.type === 'object' && d.shape && typeof segment === 'string') {
    const child = d.shape[segment];
    return child ? [child] : [];
  }
  return [];
}

function valueAt(raw: unknown, path: Path): unknown {
  let value = raw;
  for (const segment of path) {
    if (!isPlainObject(value) && !Array.isArray(value)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment as string];
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathId(path: Path): string {
  return JSON.stringify(path.map((p) => (typeof p === 'symbol' ? String(p) : p)));
}
