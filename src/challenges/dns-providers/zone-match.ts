/**
 * Zone lookup by name for provider APIs: the names to ask for, longest first, and the longest of
 * the zones an API listed that holds a record name. Names here are absolute without the trailing
 * dot, compared case-insensitively (DNS names are).
 */

/** Strips a trailing dot and lower-cases: "Example.COM." -> "example.com". */
export function plainName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * The suffixes of `name` that could be a zone, longest first, down to two labels: a provider
 * account never holds a top-level domain, so asking for "com" would only cost a request.
 */
export function zoneCandidates(name: string): string[] {
  const labels = plainName(name).split('.');
  const candidates: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) candidates.push(labels.slice(i).join('.'));
  return candidates;
}

/** True when `name` is `zone` or below it. */
export function inZone(name: string, zone: string): boolean {
  const n = plainName(name);
  const z = plainName(zone);
  return n === z || n.endsWith(`.${z}`);
}

/** The longest of `zones` that holds `name` (by `nameOf`), or undefined. */
export function longestZone<Z>(name: string, zones: readonly Z[], nameOf: (zone: Z) => string): Z | undefined {
  let best: Z | undefined;
  for (const zone of zones) {
    if (inZone(name, nameOf(zone)) && (best === undefined || plainName(nameOf(zone)).length > plainName(nameOf(best)).length)) best = zone;
  }
  return best;
}

/** `name` relative to `zone` ("_acme-challenge.www" in "example.com"); "@" for the apex. */
export function relativeName(name: string, zone: string): string {
  const n = plainName(name);
  const z = plainName(zone);
  return n === z ? '@' : n.slice(0, n.length - z.length - 1);
}
