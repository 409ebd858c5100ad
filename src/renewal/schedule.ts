/**
 * What lets a run skip a certificate without reading it: renew records, with each `not-due`
 * decision, the moment the decision can next change and a hash of everything in the config it
 * depended on. The next run compares the two with the config and the clock and reads only the
 * certificates whose moment came or whose config changed (ports.ts `Schedule`; the store voids a
 * schedule on any other write to the certificate's state).
 */
import { createHash } from 'node:crypto';
import type { Schedule, ScheduledOutcome } from '../store/ports.js';
import type { RenewalPolicy } from './decision.js';
import type { ManagedCertificate } from './managed.js';
import type { CertificateOutcome } from './renew-certificate.js';
import { deploySpecOf, orderSpecOf } from './spec.js';

/** The config a not-due decision depends on: what is ordered, how it is deployed, the renewal policy. */
export function scheduleHash(cert: ManagedCertificate, policy: RenewalPolicy): string {
  return createHash('sha256')
    .update(JSON.stringify([orderSpecOf(cert), deploySpecOf(cert) ?? null, policy]))
    .digest('base64url');
}

/** The certificate needs no look before `checkAt` while its config hashes to `specHash`. */
export function isSkippable(schedule: Schedule | undefined, specHash: string, now: number): schedule is Schedule {
  return schedule !== undefined && schedule.specHash === specHash && schedule.checkAt > now;
}

export function scheduleOf(outcome: CertificateOutcome, checkAt: number, specHash: string): Schedule {
  const kept: (keyof ScheduledOutcome)[] = ['serialNumber', 'fingerprintSha256', 'notBefore', 'notAfter', 'issuedAt', 'nextRenewalAt', 'reason', 'explanation', 'explanationUrl', 'exceedsPolicy'];
  const scheduled: Record<string, unknown> = {};
  for (const k of kept) if (outcome[k] !== undefined) scheduled[k] = outcome[k];
  return { checkAt, specHash, outcome: scheduled as unknown as ScheduledOutcome };
}

export function outcomeFromSchedule(name: string, schedule: Schedule): CertificateOutcome {
  return { name, action: 'not-due', ...schedule.outcome, durationMs: 0 };
}
