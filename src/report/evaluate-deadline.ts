/**
 * One deadline, evaluated over the assessed fleet: what breaks (and why), how the automated
 * schedules fare at its lifetime, which names lose domain-validation reuse, and the score.
 */
import type { Assessed } from './classify.js';
import { cadenceCredit, countsFixedDays, defaultRenewAtFraction, evaluateCadence, hours, type CadenceResult } from './cadence.js';
import type { DeadlineSpec } from './deadlines.js';
import type { CadenceCheck, CadenceVerdict, DcvExposure, DcvName, DeadlineReport, EffectiveSchedule, ViolatingCertificate } from './model.js';
import { scoreParts, scoreWeights, totalScore, type ScoreInputs } from './score.js';

export interface EvaluatedDeadline {
  spec: DeadlineSpec;
  report: DeadlineReport;
  /** What the score was computed from (actions estimate their gain by changing it). */
  scoreInputs: ScoreInputs;
  /** Cadence verdict of each automated certificate in scope, by fingerprint. */
  verdicts: Map<string, CadenceVerdict>;
}

const verdictOrder: Record<CadenceVerdict, number> = { storm: 0, fails: 1, tight: 2, wasteful: 3, ok: 4 };
const manualReasonText = { 'keystore-only': 'only in PKCS#12/Java keystores', 'endpoint-only': 'only seen on live endpoints', 'not-managed': 'not managed by any ACME client' } as const;

export interface EvaluationContext {
  readiness: number;
  /** The revocation part's reasons, in one line. */
  summary: string;
  /** Distinct names in a scope, computed once per scope (deadlines of one authority share it). */
  uniqueNames: (scopeKey: string, compute: () => number) => number;
}

export function evaluateDeadline(spec: DeadlineSpec, fleet: Assessed[], context: EvaluationContext): EvaluatedDeadline {
  const effectiveMs = Date.parse(`${spec.effective}T00:00:00Z`);
  const lifetimeHours = spec.maxValidityDays * 24;
  const verdicts = new Map<string, CadenceVerdict>();
  const violating: ViolatingCertificate[] = [];
  const cadence: CadenceCheck = { lifetimeHours, counts: { ok: 0, wasteful: 0, tight: 0, fails: 0, storm: 0 }, problems: [], fixedDays: 0 };
  const renewalIntervalHours = lifetimeHours * defaultRenewAtFraction(lifetimeHours);
  const dcvExposed = spec.dcvReuseHours < renewalIntervalHours;
  const dcvNames = new Map<string, DcvName>();
  const limit = spec.ca
    ? `${spec.authority} issues ${spec.maxValidityDays} days (${spec.profile}) from ${spec.effective}`
    : `over the ${spec.maxValidityDays}-day maximum from ${spec.effective}`;
  // Schedules are shared objects (one per ACME client, one per managed entry): evaluate each once.
  const cadenceCache = new Map<EffectiveSchedule, CadenceResult>();
  const reasons = new Map<string, string>();
  let inScope = 0;
  let automated = 0;
  let credit = 0;
  let breaking = 0;

  for (const a of fleet) {
    if (!spec.appliesTo(a)) continue;
    inScope++;
    const c = a.cert;
    let verdict: CadenceVerdict | undefined;
    let cadenceReason = '';
    if (c.schedule) {
      automated++;
      let r = cadenceCache.get(c.schedule);
      if (!r) cadenceCache.set(c.schedule, (r = evaluateCadence(c.schedule, lifetimeHours)));
      verdict = r.verdict;
      cadenceReason = r.reason;
      verdicts.set(c.fingerprintSha256, verdict);
      cadence.counts[verdict]++;
      credit += cadenceCredit[verdict];
      if (countsFixedDays(c.schedule)) cadence.fixedDays++;
      if (verdict !== 'ok') cadence.problems.push({ fingerprintSha256: c.fingerprintSha256, name: c.name, verdict, reason: r.reason });
    }

    const nextIssuance = firstIssuanceFrom(a, effectiveMs);
    const over = c.lifetimeDays > spec.maxValidityDays;
    const refusesStaple = c.mustStaple && spec.mustStapleRejectedFrom !== undefined;
    const entry = (kind: ViolatingCertificate['kind'], blocking: boolean, reason: string) =>
      violating.push({ fingerprintSha256: c.fingerprintSha256, name: c.name, reason, kind, automation: c.automation, blocking, nextIssuance });
    if (verdict === 'fails' || verdict === 'storm') {
      entry('cadence', true, `${cadenceReason}${over ? ` (today ${c.lifetimeDays} days)` : ''}`);
    } else if (refusesStaple) {
      breaking++;
      entry('must-staple', true, `OCSP Must-Staple: ${spec.authority} refuses such orders since ${spec.mustStapleRejectedFrom}, so its next issuance (${nextIssuance}) fails`);
    } else if (over) {
      // Reasons repeat across thousands of certificates: build each distinct one once.
      if (c.automation === 'manual') {
        breaking++;
        const key = `m${c.manualReason}|${c.lifetimeDays}`;
        let reason = reasons.get(key);
        if (!reason) reasons.set(key, (reason = `renewed by hand (${manualReasonText[c.manualReason ?? 'not-managed']}); ${c.lifetimeDays} days, ${limit}`));
        entry('lifetime', true, reason);
      } else {
        const client = c.schedule?.client ?? c.automationDetail;
        const key = `a${client}|${c.lifetimeDays}|${verdict}`;
        let reason = reasons.get(key);
        if (!reason) reasons.set(key, (reason = `${c.lifetimeDays} days, ${limit}; ${client} renews it, schedule ${verdict === 'ok' ? 'copes' : verdict}`));
        entry('lifetime', false, reason);
      }
    }

    // Only where every issuance needs a fresh validation: which names have no automated way to get one.
    if (dcvExposed) {
      let need: ((name: string) => DcvName | null) | undefined;
      for (const name of c.names) {
        if (dcvNames.has(name)) continue;
        need ??= dcvNeeds(a);
        const exposure = need(name);
        if (exposure) dcvNames.set(name, exposure);
      }
    }
  }

  cadence.problems.sort((x, y) => verdictOrder[x.verdict] - verdictOrder[y.verdict] || compare(x.name, y.name));
  violating.sort((x, y) => Number(y.blocking) - Number(x.blocking) || compare(x.nextIssuance, y.nextIssuance) || compare(x.name, y.name));
  const entries = [...dcvNames.values()].sort((x, y) => compare(x.name, y.name));
  const names = context.uniqueNames(spec.ca === undefined ? '*' : `${spec.ca}/${spec.profile}`, () => {
    const all = new Set<string>();
    for (const a of fleet) if (spec.appliesTo(a)) for (const name of a.cert.names) all.add(name);
    return all.size;
  });
  const dcvReuse: DcvExposure = {
    reuseHours: spec.dcvReuseHours,
    renewalIntervalHours: Math.round(renewalIntervalHours),
    exposed: dcvExposed,
    names,
    exposedNames: entries.length,
    needDns01: entries.filter((e) => e.fix === 'dns-01').length,
    entries,
  };

  const scoreInputs: ScoreInputs = {
    inScope, breaking, automated, cadenceCredit: credit, dcvExposed, names: dcvReuse.names, exposedNames: dcvReuse.exposedNames, revocation: context.readiness,
  };
  const parts = scoreParts(scoreInputs);
  const violatingManual = violating.filter((v) => v.automation === 'manual').length;
  const report: DeadlineReport = {
    id: spec.id,
    authority: spec.authority,
    effective: spec.effective,
    inForce: spec.inForce,
    maxValidityDays: spec.maxValidityDays,
    source: spec.source,
    score: totalScore(parts),
    scoreParts: parts,
    reasons: [],
    counts: {
      inScope,
      automated,
      manual: inScope - automated,
      violating: violating.length,
      violatingManual,
      violatingAutomated: violating.length - violatingManual,
      blocking: violating.filter((v) => v.blocking).length,
    },
    violating,
    cadence,
    dcvReuse,
  };
  if (spec.ca) report.ca = spec.ca;
  if (spec.profile) report.profile = spec.profile;
  report.reasons = explain(report, scoreInputs, context.summary);
  return { spec, report, scoreInputs, verdicts };
}

/** The first issuance on or after the deadline, stepping by the certificate's own renewal interval. */
function firstIssuanceFrom(a: Assessed, effectiveMs: number): string {
  let t = a.nextIssuanceMs;
  if (t < effectiveMs) t += Math.ceil((effectiveMs - t) / a.renewalIntervalMs) * a.renewalIntervalMs;
  return isoDay(t);
}

const DAY_MS = 86_400_000;
const dayNames = new Map<number, string>();

/** YYYY-MM-DD of a time; cached per day (a report formats hundreds of thousands of them). */
export function isoDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let text = dayNames.get(day);
  if (text === undefined) {
    text = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size < 100_000) dayNames.set(day, text);
  }
  return text;
}

/** Plain code-unit order: names and ISO days sort the same on every machine, and fast (no locale). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether a certificate's names can be validated afresh at every issuance without a person, and if not, what would do it. */
function dcvNeeds(a: Assessed): (name: string) => DcvName | null {
  const c = a.cert;
  const entry = (name: string, fix: DcvName['fix'], reason: string): DcvName => ({ name, fingerprintSha256: c.fingerprintSha256, fix, reason });
  if (c.automation === 'acme-client') return () => null;
  if (a.managed) {
    const challenge = a.managed.challenge;
    return (name) => {
      if (name.startsWith('*.') && challenge.type !== 'dns-01' && challenge.type !== 'dns-persist-01') return entry(name, 'dns-01', `wildcard validated with ${challenge.type}, which cannot validate wildcards`);
      if (challenge.lastError) return entry(name, 'fix-challenge', `the last ${challenge.type} validation failed: ${challenge.lastError}`);
      return null;
    };
  }
  const endpoints = c.sources.filter((s) => s.kind === 'endpoint');
  const webServed = c.sources.some((s) => s.kind === 'proxy') || endpoints.some((s) => s.port === 443 && !s.starttls);
  const noWeb = endpoints.length > 0 && !webServed ? `validated by hand and served only on ${endpoints.map((s) => s.location).join(', ')}: no web server to answer http-01` : undefined;
  return (name) => {
    if (name.startsWith('*.')) return entry(name, 'dns-01', 'wildcard validated by hand: only dns-01 can validate it automatically');
    if (noWeb) return entry(name, 'dns-01', noWeb);
    return entry(name, 'http-01-or-dns-01', 'validated by hand');
  };
}

function explain(d: DeadlineReport, s: ScoreInputs, revocationSummary: string): string[] {
  if (s.inScope === 0) return ['no certificate in scope'];
  const reasons: string[] = [];
  const lost = (part: keyof typeof scoreWeights) => scoreWeights[part] - d.scoreParts[part];
  const say = (part: keyof typeof scoreWeights, text: string) => {
    if (lost(part) >= 0.05) reasons.push(`${part} −${lost(part).toFixed(1)}: ${text}`);
  };
  const limit = d.ca ? `${d.maxValidityDays}-day ${d.authority} certificates` : `the ${d.maxValidityDays}-day maximum`;
  say('lifetime', `${s.breaking} of ${s.inScope} certificates will break at their next issuance under ${limit} (renewed by hand, or depending on a refused feature)`);
  say('automation', `${s.inScope - s.automated} of ${s.inScope} certificates are renewed by hand`);
  const c = d.cadence.counts;
  say(
    'cadence',
    s.automated === 0
      ? 'no certificate renews on its own'
      : `of ${s.automated} automated schedules at ${hours(d.cadence.lifetimeHours)}: ${c.fails + c.storm} break, ${c.tight} are tight, ${c.wasteful} waste orders`,
  );
  say('dcvReuse', `${s.exposedNames} of ${s.names} names need a fresh domain validation at every issuance (reuse ${hours(d.dcvReuse.reuseHours)}) and have no automated challenge`);
  say('revocation', revocationSummary);
  return reasons;
}

