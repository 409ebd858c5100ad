/** Words the human report renderers (summary, Markdown, HTML) share, so they say the same things. */
import { relative } from 'node:path';
import type { Automation, DeadlineReport, ReadinessReport } from '../../report/model.js';

export const automationLabel: Record<Automation, string> = { managed: 'certfleet', 'acme-client': 'ACME client', manual: 'by hand' };

/** "CA/Browser Forum: 100 days from 2027-03-15" or "Let's Encrypt (classic): 64 days from 2027-02-10". */
export function deadlineTitle(d: DeadlineReport): string {
  const who = d.profile ? `${d.authority} (${d.profile})` : d.authority;
  return `${who}: ${d.maxValidityDays} days ${d.inForce ? 'since' : 'from'} ${d.effective}`;
}

export function dcvText(d: DeadlineReport): string {
  const reuse = d.dcvReuse.reuseHours % 24 === 0 ? `${d.dcvReuse.reuseHours / 24} days` : `${d.dcvReuse.reuseHours} hours`;
  return d.dcvReuse.exposed
    ? `validation reuse ${reuse}: every issuance needs a fresh validation; ${d.dcvReuse.exposedNames} of ${d.dcvReuse.names} names have no automated challenge (${d.dcvReuse.needDns01} need dns-01)`
    : `validation reuse ${reuse}: a validation still covers the next issuance`;
}

export function fleetLine(r: ReadinessReport): string {
  const f = r.fleet;
  const manual = f.manual.keystoreOnly + f.manual.endpointOnly + f.manual.notManaged;
  return (
    `${f.inScope} certificates in scope (of ${f.certificates} found): ${f.automated.managed + f.automated.acmeClient} automated ` +
    `(${f.automated.managed} by certfleet, ${f.automated.acmeClient} by other ACME clients), ${manual} renewed by hand ` +
    `(${f.manual.notManaged} not managed, ${f.manual.keystoreOnly} only in keystores, ${f.manual.endpointOnly} only seen on endpoints)`
  );
}

export function revocationLine(r: ReadinessReport): string {
  return r.revocation.reasons.join('; ') || 'ready';
}

/** Where a certificate lives, by fingerprint (the violating lists carry fingerprints, the certificates the place). */
export function placeLookup(r: ReadinessReport): (fingerprint: string) => string {
  let index: Map<string, string> | undefined;
  return (fingerprint) => {
    index ??= new Map(r.certificates.map((c) => [c.fingerprintSha256, c.place]));
    return index.get(fingerprint) ?? '';
  };
}

/** Paths relative to the working directory when inside it (shorter, and what a repository shows). */
export function displayPath(path: string, cwd: string): string {
  if (!path.startsWith('/')) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('..') ? path : rel || '.';
}

/** Certificates expiring per calendar month from asOf, split by who renews them; the months before asOf are one "expired" bucket. */
export interface ExpiryBucket {
  label: string;
  automated: number;
  manual: number;
}

export function expiryBuckets(r: ReadinessReport, months = 12): ExpiryBucket[] {
  const asOf = new Date(r.asOf);
  const start = Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth(), 1);
  const buckets: ExpiryBucket[] = [{ label: 'expired', automated: 0, manual: 0 }];
  const monthStarts: number[] = [];
  for (let i = 0; i <= months; i++) {
    const m = new Date(start);
    m.setUTCMonth(m.getUTCMonth() + i);
    monthStarts.push(m.getTime());
    if (i < months) buckets.push({ label: m.toISOString().slice(0, 7), automated: 0, manual: 0 });
  }
  buckets.push({ label: 'later', automated: 0, manual: 0 });
  const asOfMs = asOf.getTime();
  for (const c of r.certificates) {
    if (!c.inScope) continue;
    const t = Date.parse(c.notAfter);
    let index: number;
    if (t < asOfMs) index = 0;
    else if (t >= monthStarts[months]!) index = buckets.length - 1;
    else index = 1 + Math.max(0, monthStarts.findIndex((s, i) => t >= s && t < monthStarts[i + 1]!));
    const bucket = buckets[index]!;
    if (c.automation === 'manual') bucket.manual++;
    else bucket.automated++;
  }
  return buckets;
}
