/**
 * Does a renewal schedule still work at a given lifetime? One pure function of (schedule,
 * lifetime). The model: renewal becomes due at a point in the lifetime (the ARI window, a
 * fraction, or fixed days); runs come every `runIntervalMinutes`; a schedule is sound when
 * several runs fit between "due" and expiry, so a failed run or two can be retried in time.
 */
import type { ManagedCertificateState } from './inputs.js';
import type { CadenceVerdict, EffectiveSchedule } from './model.js';

/** When nothing says how often renewal runs, a daily cron: the most common setup, and a pessimistic one. */
export const ASSUMED_RUN_INTERVAL_MINUTES = 1440;
/** Runs that must fit between "due" and expiry: the first may fail, and so may the retry. */
export const MIN_RUNS_BEFORE_EXPIRY = 3;
/** certbot, lego and cert-manager renew at half the lifetime for certificates of 10 days or less. */
const SHORT_LIFETIME_HOURS = 240;

/** Where ARI (and the usual fallback) puts renewal: two thirds in, half for very short certificates. */
export function defaultRenewAtFraction(lifetimeHours: number): number {
  return lifetimeHours <= SHORT_LIFETIME_HOURS ? 0.5 : 2 / 3;
}

export function scheduleOfManaged(m: ManagedCertificateState): EffectiveSchedule {
  const s = m.schedule;
  const schedule: EffectiveSchedule = {
    runIntervalMinutes: s.runIntervalMinutes ?? ASSUMED_RUN_INTERVAL_MINUTES,
    usesAri: s.usesAri,
    client: 'certfleet renew',
    assumed: s.runIntervalMinutes === undefined,
  };
  if (s.renewAtFraction !== undefined) schedule.renewAtFraction = s.renewAtFraction;
  if (s.fixedDaysBeforeExpiry !== undefined) schedule.fixedDaysBeforeExpiry = s.fixedDaysBeforeExpiry;
  if (s.fixedDaysAfterIssuance !== undefined) schedule.fixedDaysAfterIssuance = s.fixedDaysAfterIssuance;
  return schedule;
}

export function countsFixedDays(s: EffectiveSchedule): boolean {
  return s.fixedDaysBeforeExpiry !== undefined || s.fixedDaysAfterIssuance !== undefined;
}

export interface CadenceResult {
  verdict: CadenceVerdict;
  reason: string;
  /** Hours after issuance when renewal is due. */
  dueAtHours: number;
  /** Hours between "due" and expiry. */
  marginHours: number;
}

/** When renewal is due, in hours after issuance, for a certificate of `lifetimeHours`. */
export function dueAtHours(s: EffectiveSchedule, lifetimeHours: number): number {
  if (!s.usesAri) {
    if (s.fixedDaysBeforeExpiry !== undefined) return lifetimeHours - s.fixedDaysBeforeExpiry * 24;
    if (s.fixedDaysAfterIssuance !== undefined) return s.fixedDaysAfterIssuance * 24;
  }
  return lifetimeHours * (s.renewAtFraction ?? defaultRenewAtFraction(lifetimeHours));
}

export function evaluateCadence(s: EffectiveSchedule, lifetimeHours: number): CadenceResult {
  const interval = s.runIntervalMinutes / 60;
  const due = dueAtHours(s, lifetimeHours);
  const margin = lifetimeHours - due;
  const life = hours(lifetimeHours);
  const rule = describeSchedule(s);
  const fallback = s.usesAri && countsFixedDays(s) ? ` (and counts fixed days when the CA offers no ARI: ${fixedDaysText(s)})` : '';
  const result = (verdict: CadenceVerdict, why: string): CadenceResult => ({ verdict, reason: `${rule}: ${why}${fallback}`, dueAtHours: due, marginHours: margin });

  if (due <= 0) return result('storm', `"${fixedDaysText(s)}" is not shorter than the ${life} lifetime, so it renews at every run`);
  if (margin <= 0) return result('fails', `"${fixedDaysText(s)}" is past the ${life} lifetime: it expires before renewal is due`);
  if (margin < interval) return result('fails', `renewal is due ${hours(margin)} before expiry but runs come every ${hours(interval)}: it can expire before a run renews it`);
  const runs = Math.floor(margin / interval);
  if (runs < MIN_RUNS_BEFORE_EXPIRY) {
    return result('tight', `only ${runs} run${runs === 1 ? '' : 's'} between renewal (after ${hours(due)}) and expiry: one failed run and there is no time to fix it; run at least every ${hours(margin / MIN_RUNS_BEFORE_EXPIRY)}`);
  }
  if (due < lifetimeHours / 2) {
    return result('wasteful', `renews after ${hours(due)} of ${life}, ${(lifetimeHours / due).toFixed(1)} times the orders it needs (rate limits, load on the CA)`);
  }
  return result('ok', `renews after ${hours(due)} of ${life}, ${runs} runs before expiry`);
}

export function describeSchedule(s: EffectiveSchedule): string {
  const when = s.usesAri
    ? `ARI, else at ${percent(s.renewAtFraction)} of the lifetime`
    : s.fixedDaysBeforeExpiry !== undefined || s.fixedDaysAfterIssuance !== undefined
      ? fixedDaysText(s)
      : `at ${percent(s.renewAtFraction)} of the lifetime`;
  return `${s.client}, ${when}, every ${hours(s.runIntervalMinutes / 60)}${s.assumed ? ' (assumed)' : ''}`;
}

function fixedDaysText(s: EffectiveSchedule): string {
  if (s.fixedDaysBeforeExpiry !== undefined) return `${s.fixedDaysBeforeExpiry} days before expiry`;
  if (s.fixedDaysAfterIssuance !== undefined) return `${s.fixedDaysAfterIssuance} days after issuance`;
  return '';
}

function percent(fraction: number | undefined): string {
  return fraction === undefined ? 'two thirds (half at 10 days or less)' : `${Math.round(fraction * 100)}%`;
}

/** "36 h", "2.5 days", "47 days": hours below two days, days above. */
export function hours(h: number): string {
  if (h < 48) return `${Number(h.toFixed(h < 10 ? 1 : 0))} h`;
  const days = h / 24;
  return `${Number(days.toFixed(days < 10 ? 1 : 0))} days`;
}

/** Share of a verdict in the cadence part of the score. */
export const cadenceCredit: Record<CadenceVerdict, number> = { ok: 1, wasteful: 0.75, tight: 0.5, fails: 0, storm: 0 };
