/**
 * After each run, `<stateDir>/managed.json`: what `report` needs to judge the automation (the
 * contract is ManagedStateFile in src/report/inputs.ts). The run cadence is measured, not assumed:
 * the time since the previous run's summary.
 */
import type { ManagedCertificateState, ManagedStateFile, RenewalSchedule } from '../report/inputs.js';
import type { RenewSettings } from './managed.js';
import type { CertificateOutcome } from './renew-certificate.js';

/** A gap longer than this is a pause (a laptop, a stopped timer), not the cadence. */
const MAX_PLAUSIBLE_INTERVAL_MIN = 7 * 24 * 60;

/**
 * The schedule as this run's decision computed it, not as constants: when the next renewal is and
 * why, and whether it follows the CA's ARI window. No `renewAtFraction` is written: without one the
 * report applies the lifetime rule (two thirds, half at 10 days or less), which is the decision's own
 * (src/renewal/decision.ts); a constant 2/3 misstated it for short certificates.
 */
interface RecordedSchedule extends RenewalSchedule {
  nextRenewalAt?: string;
  reason?: string;
}

interface StoredCertificate extends ManagedCertificateState {
  schedule: RecordedSchedule;
}

interface StoredSummary extends ManagedStateFile {
  generatedAt?: string;
  runIntervalMinutes?: number;
  certificates: StoredCertificate[];
}

/** Reasons that say the decision followed an ARI window; the others (storm guard, backoff, ...) do not say either way. */
const ARI_REASONS: ReadonlySet<string> = new Set(['ari-window', 'ari-window-passed']);
const NON_ARI_REASONS: ReadonlySet<string> = new Set(['lifetime-fraction']);

/** The summary after this run, from the one before it (what the store held; anything unreadable is ignored). */
export function managedSummary(settings: RenewSettings, outcomes: readonly CertificateOutcome[], now: Date, stored: unknown): object {
  const previous = asSummary(stored);
  const keptByName = new Map((previous?.certificates ?? []).map((c) => [c.name, c]));
  let runIntervalMinutes = previous?.runIntervalMinutes;
  if (previous?.generatedAt) {
    const minutes = Math.round((now.getTime() - Date.parse(previous.generatedAt)) / 60_000);
    if (minutes >= 1 && minutes <= MAX_PLAUSIBLE_INTERVAL_MIN) runIntervalMinutes = minutes;
  }
  const byName = new Map(outcomes.map((o) => [o.name, o]));
  const certificates: StoredCertificate[] = settings.certificates.map((cert) => {
    const o = byName.get(cert.name);
    const kept = keptByName.get(cert.name);
    return {
      name: cert.name,
      domains: cert.domains,
      ...pick(o ?? kept, ['serialNumber', 'fingerprintSha256', 'notBefore', 'notAfter']),
      schedule: recordedSchedule(o, kept, runIntervalMinutes),
      challenge: {
        type: cert.challenge.type,
        ...(o?.issuedAt ?? kept?.challenge.lastValidatedAt ? { lastValidatedAt: o?.issuedAt ?? kept!.challenge.lastValidatedAt! } : {}),
        ...(o?.error ? { lastError: o.error } : {}),
      },
      ca: cert.ca.directoryUrl,
      ...(cert.ca.profile ? { profile: cert.ca.profile } : {}),
    };
  });
  const summary: StoredSummary = { schemaVersion: 1, generatedAt: now.toISOString(), ...(runIntervalMinutes ? { runIntervalMinutes } : {}), certificates };
  return summary;
}

function recordedSchedule(o: CertificateOutcome | undefined, kept: StoredCertificate | undefined, runIntervalMinutes: number | undefined): RecordedSchedule {
  const interval = runIntervalMinutes ? { runIntervalMinutes } : {};
  if (!o) return { ...interval, usesAri: kept?.schedule.usesAri ?? false, ...pick(kept?.schedule, ['nextRenewalAt', 'reason']) };
  // Whether renewal follows the CA's window: this decision says so, or says it does not; when it
  // says neither (a guard held it), what an earlier run learnt about this same certificate, else no.
  // (A record without `reason` was written with the old constant `usesAri: true`: it says nothing.)
  const sameCertificate = kept !== undefined && kept.serialNumber === o.serialNumber && kept.schedule.reason !== undefined;
  const usesAri = ARI_REASONS.has(o.reason) ? true : NON_ARI_REASONS.has(o.reason) ? false : sameCertificate ? kept.schedule.usesAri : false;
  return { ...interval, usesAri, ...(o.nextRenewalAt ? { nextRenewalAt: o.nextRenewalAt } : {}), reason: o.reason };
}

function asSummary(stored: unknown): StoredSummary | undefined {
  // First run, or an unreadable summary that this run replaces.
  return typeof stored === 'object' && stored !== null && Array.isArray((stored as StoredSummary).certificates) ? (stored as StoredSummary) : undefined;
}

function pick<T extends object, K extends keyof T>(from: T | undefined, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  if (!from) return out;
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}
