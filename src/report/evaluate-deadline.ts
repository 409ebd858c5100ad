/**
 * One deadline, evaluated over the assessed fleet: what breaks (and why), how the automated
 * schedules fare at its lifetime, which names lose domain-validation reuse, and the score.
 */
import type { Assessed } from './classify.js';
import { cadenceCredit, countsFixedDays, defaultRenewAtFraction, evaluateCadence, hours } from './cadence.js';
import type { DeadlineSpec } from './deadlines.js';
import type { CadenceCheck, CadenceVerdict, DcvExposure, DcvName, DeadlineReport, ViolatingCertificate } from './model.js';
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

export function evaluateDeadline(spec: DeadlineSpec, fleet: Assessed[], revocation: { readiness: number; summary: string }): EvaluatedDeadline {
  const effectiveMs = Date.parse(`${spec.effective}T00:00:00Z`);
  const lifetimeHours = spec.maxValidityDays * 24;
  const verdicts = new Map<string, CadenceVerdict>();
  const violating: ViolatingCertificate[] = [];
  const cadence: CadenceCheck = { lifetimeHours, counts: { ok: 0, wasteful: 0, tight: 0, fails: 0, storm: 0 }, problems: [], fixedDays: 0 };
  const renewalIntervalHours = lifetimeHours * defaultRenewAtFraction(lifetimeHours);
  const dcvExposed = spec.dcvReuseHours < renewalIntervalHours;
  const dcvNames = new Map<string, DcvName | null>();
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
      const r = evaluateCadence(c.schedule, lifetimeHours);
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
      violating.push({ fingerprintSha256: c.fingerprintSha256, name: c.name, reason, kind, automation: c.automation, blocking, nextIssuance, place: c.place });
    if (verdict === 'fails' || verdict === 'storm') {
      entry('cadence', true, `${cadenceReason}${over ? ` (today ${c.lifetimeDays} days)` : ''}`);
    } else if (refusesStaple) {
      breaking++;
      entry('must-staple', true, `OCSP Must-Staple: ${spec.authority} refuses such orders since ${spec.mustStapleRejectedFrom}, so its next issuance (${nextIssuance}) fails`);
    } else if (over) {
      const limit = spec.ca
        ? `${spec.authority} issues ${spec.maxValidityDays}-day certificates (profile ${spec.profile}) from ${spec.effective}`
        : `the maximum is ${spec.maxValidityDays} days for certificates issued from ${spec.effective}`;
      if (c.automation === 'manual') {
        breaking++;
        entry('lifetime', true, `renewed by hand (${manualReasonText[c.manualReason ?? 'not-managed']}) with a ${c.lifetimeDays}-day lifetime; ${limit}; next issuance about ${nextIssuance}`);
      } else {
        entry('lifetime', false, `${c.lifetimeDays}-day lifetime; ${limit}; ${c.automationDetail} renews it and its schedule ${verdict === 'ok' ? 'copes' : `is ${verdict}`} at ${spec.maxValidityDays} days`);
      }
    }

    for (const name of c.names) {
      const exposure = dcvExposed ? dcvNeed(a, name) : null;
      if (!dcvNames.has(name) || (exposure && !dcvNames.get(name))) dcvNames.set(name, exposure);
    }
  }

  cadence.problems.sort((x, y) => verdictOrder[x.verdict] - verdictOrder[y.verdict] || x.name.localeCompare(y.name));
  violating.sort((x, y) => Number(y.blocking) - Number(x.blocking) || x.nextIssuance.localeCompare(y.nextIssuance) || x.name.localeCompare(y.name));
  const entries = [...dcvNames.values()].filter((e): e is DcvName => e !== null).sort((x, y) => x.name.localeCompare(y.name));
  const dcvReuse: DcvExposure = {
    reuseHours: spec.dcvReuseHours,
    renewalIntervalHours: Math.round(renewalIntervalHours),
    exposed: dcvExposed,
    names: dcvNames.size,
    exposedNames: entries.length,
    needDns01: entries.filter((e) => e.fix === 'dns-01').length,
    entries,
  };

  const scoreInputs: ScoreInputs = {
    inScope, breaking, automated, cadenceCredit: credit, dcvExposed, names: dcvReuse.names, exposedNames: dcvReuse.exposedNames, revocation: revocation.readiness,
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
  report.reasons = explain(report, scoreInputs, revocation.summary);
  return { spec, report, scoreInputs, verdicts };
}

/** The first issuance on or after the deadline, stepping by the certificate's own renewal interval. */
function firstIssuanceFrom(a: Assessed, effectiveMs: number): string {
  let t = a.nextIssuanceMs;
  if (t < effectiveMs) t += Math.ceil((effectiveMs - t) / a.renewalIntervalMs) * a.renewalIntervalMs;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whether a name can be validated afresh at every issuance without a person, and if not, what would do it. */
function dcvNeed(a: Assessed, name: string): DcvName | null {
  const c = a.cert;
  const wildcard = name.startsWith('*.');
  const base = { name, fingerprintSha256: c.fingerprintSha256 };
  if (c.automation === 'acme-client') return null;
  if (a.managed) {
    const challenge = a.managed.challenge;
    if (wildcard && challenge.type !== 'dns-01') return { ...base, fix: 'dns-01', reason: `wildcard validated with ${challenge.type}, which cannot validate wildcards` };
    if (challenge.lastError) return { ...base, fix: 'fix-challenge', reason: `the last ${challenge.type} validation failed: ${challenge.lastError}` };
    return null;
  }
  if (wildcard) return { ...base, fix: 'dns-01', reason: 'wildcard validated by hand: only dns-01 can validate it automatically' };
  const endpoints = c.sources.filter((s) => s.kind === 'endpoint');
  const webServed = c.sources.some((s) => s.kind === 'proxy') || endpoints.some((s) => s.port === 443 && !s.starttls);
  if (endpoints.length > 0 && !webServed) {
    return { ...base, fix: 'dns-01', reason: `validated by hand and served only on ${endpoints.map((s) => s.location).join(', ')}: no web server to answer http-01` };
  }
  return { ...base, fix: 'http-01-or-dns-01', reason: 'validated by hand' };
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

