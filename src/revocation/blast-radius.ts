/**
 * How far an incident reaches: the affected set counted by what it shares. One issuer, one ACME
 * account (CA), one reused key or one host can put many certificates in the same revocation; a
 * wildcard stands for names nobody listed. This is the triage view a CA's incident notice needs.
 */
import type { AffectedCertificate } from './affected.js';

export interface BlastRadius {
  certificates: number;
  /** Names across the affected certificates (deduplicated). */
  names: number;
  wildcards: number;
  /** Affected certificates with nothing issued yet (nothing to revoke; a replacement issues one). */
  notIssued: number;
  /** Affected certificates whose current version in the state directory is damaged. */
  unreadable: number;
  byIssuer: GroupCount[];
  byCa: GroupCount[];
  /** Keys certifying more than one affected certificate (reuseKey): one compromise, several revocations. */
  sharedKeys: GroupCount[];
  byHost: GroupCount[];
}

export interface GroupCount {
  key: string;
  count: number;
}

export function blastRadius(affected: readonly AffectedCertificate[]): BlastRadius {
  const names = new Set(affected.flatMap((a) => a.domains.map((d) => d.toLowerCase())));
  return {
    certificates: affected.length,
    names: names.size,
    wildcards: [...names].filter((n) => n.startsWith('*.')).length,
    notIssued: affected.filter((a) => !a.current && !a.unreadable).length,
    unreadable: affected.filter((a) => a.unreadable).length,
    byIssuer: countBy(affected.flatMap((a) => (a.current ? [a.current.issuer] : []))),
    byCa: countBy(affected.map((a) => a.ca)),
    sharedKeys: countBy(affected.flatMap((a) => (a.current ? [a.current.publicKeyFingerprintSha256] : []))).filter((g) => g.count > 1),
    byHost: countBy(affected.flatMap((a) => a.hosts)),
  };
}

/** Largest group first; ties in name order, so the output is stable. */
function countBy(keys: readonly string[]): GroupCount[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
