/**
 * When to renew: one pure function of (certificate, ARI state, policy, failure history, now).
 * No clock, no randomness, no I/O: the random point inside an ARI window is chosen once by the
 * caller, stored, and passed in, so the same inputs always give the same answer (and tests can
 * walk through time).
 *
 * Order of precedence, as certbot, lego and cert-manager settled on:
 *  1. ACME Renewal Information (RFC 9773): the CA's suggested window wins; a window already in
 *     the past (a revoked certificate) means now.
 *  2. Otherwise when a third of the lifetime is left (a half for certificates of 10 days or less).
 *  3. The lifetime used is the policy's maximum when the CA issued longer: timing follows policy.
 *  4. Guards: never a second successful order inside the minimum renewal interval (storm guard,
 *     except against an ARI window already closed: the CA wants the certificate replaced now),
 *     and failures back off exponentially; `force` skips both.
 */
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export interface CertificateTimes {
  serialNumber: string;
  notBefore: number;
  notAfter: number;
}

export interface AriState {
  /** Serial of the certificate this answer is about; an answer for another serial is stale and ignored. */
  serialNumber: string;
  windowStart: number;
  windowEnd: number;
  /** The moment chosen uniformly at random inside the window when the answer arrived (kept across runs). */
  chosenAt: number;
  explanationUrl?: string;
}

export interface RenewalPolicy {
  /** Longest lifetime we plan around; a longer certificate is treated as this long. */
  maxLifetimeDays: number;
  /** Storm guard: no new successful order while the current certificate is younger than this. */
  minRenewalIntervalMs: number;
  /** First backoff after a failure; doubles with each consecutive failure. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const defaultRenewalPolicy: RenewalPolicy = {
  maxLifetimeDays: 45,
  minRenewalIntervalMs: HOUR_MS,
  // 5 min, 10, 20, 40, 80, ... capped at 4 h: stays inside Let's Encrypt's 5 failed validations an hour.
  backoffBaseMs: 5 * MINUTE_MS,
  backoffMaxMs: 4 * HOUR_MS,
};

export interface FailureHistory {
  consecutiveFailures: number;
  lastFailureAt: number;
  lastError?: string;
  /** The CA's Retry-After as a time: a floor for the next try. */
  retryNotBefore?: number;
}

export type RenewalReason =
  | 'no-certificate'
  | 'forced'
  | 'spec-changed'
  | 'ari-window'
  | 'ari-window-passed'
  | 'lifetime-fraction'
  | 'storm-guard'
  | 'backoff';

export interface RenewalDecision {
  due: boolean;
  /** When renewal is (or was) due; for a due decision, possibly in the past. */
  renewAt: number;
  reason: RenewalReason;
  /** One line a person understands: why this time. */
  explanation: string;
  /** True when the certificate outlives the policy maximum (reported by `status`). */
  exceedsPolicy: boolean;
  /** The CA's page about this certificate's renewal window (ARI explanationURL), when it gave one. */
  explanationUrl?: string;
}

export interface DecisionInput {
  certificate?: CertificateTimes;
  ari?: AriState;
  policy: RenewalPolicy;
  failures?: FailureHistory;
  now: number;
  force?: boolean;
  /** What the config now asks for that the certificate was not ordered with (orderSpecChange). */
  specChange?: string;
}

export function decideRenewal(input: DecisionInput): RenewalDecision {
  const { certificate, policy, now } = input;
  if (input.force) return decision(now, now, 'forced', 'forced by --force', false);
  if (!certificate) return afterFailures(input, now, 'no-certificate', 'no certificate issued yet', false);
  if (input.specChange) return afterFailures(input, now, 'spec-changed', `the config changed since it was issued (${input.specChange}): a new certificate now`, false);

  const lifetime = certificate.notAfter - certificate.notBefore;
  const policyLifetime = policy.maxLifetimeDays * DAY_MS;
  const exceedsPolicy = lifetime > policyLifetime;
  const plannedLifetime = Math.min(lifetime, policyLifetime);
  const plannedEnd = certificate.notBefore + plannedLifetime;

  // 1-3: the ideal moment.
  let renewAt: number;
  let reason: RenewalReason;
  let explanation: string;
  const ari = input.ari && input.ari.serialNumber === certificate.serialNumber ? input.ari : undefined;
  if (ari) {
    // An ARI time may not push renewal past the planned end of life (a CA bug must not let us expire).
    renewAt = Math.min(ari.chosenAt, plannedEnd - plannedLifetime / 10);
    reason = ari.windowEnd <= now ? 'ari-window-passed' : 'ari-window';
    explanation =
      (reason === 'ari-window-passed'
        ? `the CA's renewal window ended ${iso(ari.windowEnd)} (revoked or replaced early: renew now)`
        : `at ${iso(renewAt)}, inside the CA's renewal window ${iso(ari.windowStart)} .. ${iso(ari.windowEnd)}`) +
      (ari.explanationUrl ? `; the CA explains: ${ari.explanationUrl}` : '');
  } else {
    const leftFraction = plannedLifetime <= 10 * DAY_MS ? 1 / 2 : 1 / 3;
    renewAt = plannedEnd - plannedLifetime * leftFraction;
    reason = 'lifetime-fraction';
    explanation =
      `at ${iso(renewAt)}, with ${leftFraction === 1 / 2 ? 'half' : 'a third'} of its ` +
      `${Math.round(plannedLifetime / DAY_MS)}-day ${exceedsPolicy ? 'policy ' : ''}lifetime left`;
  }

  // 4: guards push the moment later, never earlier. The storm guard speaks only while it holds
  // (once the certificate is older than the interval, the reason is the real one), and never
  // against a window the CA has closed already: that says revoked, replace at once (RFC 9773).
  const stormUntil = certificate.notBefore + policy.minRenewalIntervalMs;
  const url = ari?.explanationUrl ? { explanationUrl: ari.explanationUrl } : {};
  if (renewAt < stormUntil && now < stormUntil && reason !== 'ari-window-passed') {
    return { ...decision(now, stormUntil, 'storm-guard', `not before ${iso(stormUntil)}: the certificate is younger than the minimum renewal interval (${explanation})`, exceedsPolicy), ...url };
  }
  return { ...afterFailures(input, renewAt, reason, explanation, exceedsPolicy), ...url };
}

/**
 * The backoff guard, for certificates never issued too (a broken new certificate must not hit the
 * CA on every cron run). A failure recorded in the future was recorded by a clock that was ahead:
 * it says nothing about when to try again (trusting it held a due renewal back until that wrong
 * date). The CA's Retry-After is a floor, whatever the backoff says.
 */
function afterFailures(input: DecisionInput, renewAt: number, reason: RenewalReason, explanation: string, exceedsPolicy: boolean): RenewalDecision {
  const { failures, now, policy, certificate } = input;
  if (failures && failures.consecutiveFailures > 0 && failures.lastFailureAt <= now) {
    const untilExpiry = certificate ? certificate.notAfter - failures.lastFailureAt : Infinity;
    const retryAt = Math.max(failures.lastFailureAt + backoffWait(policy, failures.consecutiveFailures, untilExpiry), failures.retryNotBefore ?? 0);
    if (retryAt > Math.max(renewAt, now)) {
      const last = failures.lastError ? `: ${failures.lastError}` : '';
      const floor = failures.retryNotBefore !== undefined && retryAt === failures.retryNotBefore ? ' (the CA asked to wait until then)' : '';
      return decision(now, retryAt, 'backoff', `retry at ${iso(retryAt)}${floor} after ${failures.consecutiveFailures} failed attempt(s)${last}`, exceedsPolicy);
    }
  }
  return decision(now, renewAt, reason, explanation, exceedsPolicy);
}

/**
 * How long to wait after the n-th failure in a row: doubling from the base up to the maximum, but
 * never so long that the certificate expires before the next try: with little time left, at most
 * half of it (and at least a minute, so a run every minute does not hammer the CA).
 */
export function backoffWait(policy: RenewalPolicy, consecutiveFailures: number, msUntilExpiry: number): number {
  const wait = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (consecutiveFailures - 1));
  return msUntilExpiry > 0 && msUntilExpiry !== Infinity ? Math.min(wait, Math.max(MINUTE_MS, msUntilExpiry / 2)) : wait;
}

/** Pick the stored random moment for an ARI window (RFC 9773 4.2): `random` in [0, 1). */
export function chooseInWindow(windowStart: number, windowEnd: number, random: number): number {
  return windowStart + Math.floor((windowEnd - windowStart) * random);
}

function decision(now: number, renewAt: number, reason: RenewalReason, explanation: string, exceedsPolicy: boolean): RenewalDecision {
  return { due: renewAt <= now, renewAt, reason, explanation, exceedsPolicy };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
