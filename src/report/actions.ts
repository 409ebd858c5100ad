/**
 * What to fix first: candidate actions (automate a group of certificates, change a schedule, move
 * names to dns-01, drop Must-Staple, run a drill), each tied to the earliest deadline it helps
 * with and to the points that deadline's score would gain. Ranked by that deadline's date, then
 * by the gain, then by how many certificates it covers.
 */
import type { Assessed } from './classify.js';
import { countsFixedDays, describeSchedule, hours } from './cadence.js';
import { compare, type EvaluatedDeadline } from './evaluate-deadline.js';
import type { CadenceProbe, ReportAction, RevocationReadiness } from './model.js';
import { score, type ScoreInputs } from './score.js';

type Candidate = Omit<ReportAction, 'rank'>;

export function rankActions(fleet: Assessed[], deadlines: EvaluatedDeadline[], revocation: RevocationReadiness, probes: CadenceProbe[], asOfDay: string): ReportAction[] {
  if (deadlines.length === 0) return [];
  const candidates: Candidate[] = [
    ...automateActions(fleet, deadlines, asOfDay),
    ...scheduleActions(fleet, deadlines, probes, asOfDay),
    ...dcvActions(deadlines, asOfDay),
    ...revocationActions(fleet, deadlines, revocation, asOfDay),
  ];
  const order = new Map(deadlines.map((d, i) => [d.report.id, i]));
  return candidates
    .sort((a, b) => Number(a.scoreGain === 0) - Number(b.scoreGain === 0) || (order.get(a.deadline) ?? 0) - (order.get(b.deadline) ?? 0) || b.scoreGain - a.scoreGain || compare(a.dueBy, b.dueBy) || b.certificates.length - a.certificates.length || compare(a.title, b.title))
    .map((c, i) => ({ rank: i + 1, ...c }));
}

const ref = (a: Assessed) => ({ fingerprintSha256: a.cert.fingerprintSha256, name: a.cert.name });
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

/** A deadline already in force is due today, not on its (past) date. */
const notBefore = (day: string, asOfDay: string) => (day < asOfDay ? asOfDay : day);

function gain(before: ScoreInputs, change: (s: ScoreInputs) => void): number {
  const after = { ...before };
  change(after);
  return Math.max(0, score(after) - score(before));
}

/** Manual certificates, grouped by why they are manual and where they live. */
function automateActions(fleet: Assessed[], deadlines: EvaluatedDeadline[], asOfDay: string): Candidate[] {
  const groups = new Map<string, Assessed[]>();
  for (const a of fleet) {
    if (!a.cert.inScope || a.cert.automation !== 'manual') continue;
    const key = `${a.cert.manualReason}\u0000${a.cert.place}`;
    push(groups, key, a);
  }
  // Indexes by fingerprint, so each group looks up its own certificates (100,000 certificates, thousands of groups).
  const blockingIndex = deadlines.map((d) => new Map(d.report.violating.filter((v) => v.blocking).map((v) => [v.fingerprintSha256, v])));
  const exposedIndex = deadlines.map((d) => countBy(d.report.dcvReuse.entries.map((e) => e.fingerprintSha256)));
  const out: Candidate[] = [];
  for (const members of groups.values()) {
    const blockingAt = (i: number) => members.flatMap((m) => blockingIndex[i]!.get(m.cert.fingerprintSha256) ?? []);
    let index = deadlines.findIndex((_, i) => members.some((m) => blockingIndex[i]!.has(m.cert.fingerprintSha256)));
    if (index < 0) index = deadlines.findIndex((d) => members.some((m) => d.spec.appliesTo(m)));
    if (index < 0) continue;
    const target = deadlines[index]!;
    const blocking = blockingAt(index);
    const inScope = members.filter((m) => target.spec.appliesTo(m)).length;
    const exposed = members.reduce((sum, m) => sum + (exposedIndex[index]!.get(m.cert.fingerprintSha256) ?? 0), 0);
    const first = members[0]!.cert;
    const n = members.length;
    const where = first.place;
    const one = n === 1 ? first.name : undefined;
    const [kind, title, how]: [Candidate['kind'], string, string] =
      first.manualReason === 'endpoint-only'
        ? ['find-owner', one ? `Find where the certificate served on ${first.sources.find((x) => x.kind === 'endpoint')?.location ?? one} is kept, then automate it` : `Find where the ${n} certificates served by ${where.replace(/^host /, '')} are kept, then automate them`, 'Seen only on live endpoints: an appliance, a load balancer or a host that was not scanned.']
        : first.manualReason === 'keystore-only'
          ? ['automate', one ? `Automate the keystore certificate for ${one} in ${where}` : `Automate the ${n} keystore certificates in ${where}`, `Renew ${n === 1 ? 'it' : 'them'} with ACME and rebuild the PKCS#12/JKS keystore in a deploy command.`]
          : ['automate', `Automate ${one ? `the certificate for ${one}` : `the ${n} certificates`} ${where.startsWith('host ') ? 'on' : 'in'} ${where}`, `Manage ${n === 1 ? 'it' : 'them'} with certfleet renew (or another ACME client) so renewal needs no person.`];
    const dueBy = blocking.map((v) => v.nextIssuance).sort()[0] ?? notBefore(target.spec.effective, asOfDay);
    const breaks = blocking.length === 0 ? '' : n === 1 ? `It breaks under ${target.report.id} (from ${target.report.effective}) at its next issuance, due ${dueBy}.` : `${blocking.length} of them break under ${target.report.id} (from ${target.report.effective}); the first is due ${dueBy}.`;
    out.push({
      kind,
      title,
      detail: `${how} ${breaks || `Renewed by hand (${target.report.id}).`}`,
      deadline: target.report.id,
      dueBy,
      scoreGain: gain(target.scoreInputs, (s) => {
        s.breaking -= blocking.length;
        s.automated += inScope;
        s.cadenceCredit += inScope;
        s.exposedNames -= exposed;
      }),
      certificates: members.map(ref),
    });
  }
  return out;
}

/** Automated certificates whose schedule breaks, runs too close, wastes orders or counts fixed days; grouped by schedule. */
function scheduleActions(fleet: Assessed[], deadlines: EvaluatedDeadline[], probes: CadenceProbe[], asOfDay: string): Candidate[] {
  const probeTrouble = new Map<string, string>();
  for (const p of probes) for (const problem of p.problems) {
    if (problem.fingerprintSha256 && (problem.verdict === 'fails' || problem.verdict === 'storm') && !probeTrouble.has(problem.fingerprintSha256)) probeTrouble.set(problem.fingerprintSha256, p.label);
  }
  const groups = new Map<string, Assessed[]>();
  for (const a of fleet) {
    const s = a.cert.schedule;
    if (!a.cert.inScope || !s) continue;
    const troubled = deadlines.some((d) => (d.verdicts.get(a.cert.fingerprintSha256) ?? 'ok') !== 'ok') || countsFixedDays(s) || probeTrouble.has(a.cert.fingerprintSha256);
    if (!troubled) continue;
    push(groups, describeSchedule(s), a);
  }
  const out: Candidate[] = [];
  for (const [schedule, members] of groups) {
    const prints = new Set(members.map((m) => m.cert.fingerprintSha256));
    const badAt = (d: EvaluatedDeadline) => members.filter((m) => (d.verdicts.get(m.cert.fingerprintSha256) ?? 'ok') !== 'ok');
    const target = deadlines.find((d) => badAt(d).length > 0) ?? deadlines.find((d) => members.some((m) => d.spec.appliesTo(m)));
    if (!target) continue;
    const bad = badAt(target);
    const verdicts = [...new Set(bad.map((m) => target.verdicts.get(m.cert.fingerprintSha256)))].join('/');
    const problems = target.report.cadence.problems.filter((p) => p.fingerprintSha256 !== undefined && prints.has(p.fingerprintSha256));
    const shortProbe = members.map((m) => probeTrouble.get(m.cert.fingerprintSha256)).find(Boolean);
    const fixed = countsFixedDays(members[0]!.cert.schedule!);
    out.push({
      kind: 'fix-schedule',
      title: `Change the renewal schedule${members.length === 1 ? ` of ${members[0]!.cert.name}` : ` of ${members.length} certificates`} (${schedule})`,
      detail: [
        bad.length ? `At ${target.report.maxValidityDays} days (${target.report.id}) it is ${verdicts}: ${problems[0]?.reason ?? ''}.` : '',
        fixed ? 'It counts fixed days, which stops working as lifetimes shrink: use ARI, else renew at two thirds of the lifetime.' : '',
        shortProbe ? `It breaks at ${shortProbe}.` : '',
        'Run renewal at least hourly.',
      ].filter(Boolean).join(' '),
      deadline: target.report.id,
      dueBy: notBefore(target.spec.effective, asOfDay),
      scoreGain: gain(target.scoreInputs, (s) => {
        s.cadenceCredit += problems.reduce((sum, p) => sum + (1 - ({ ok: 1, wasteful: 0.75, tight: 0.5, fails: 0, storm: 0 } as const)[p.verdict]), 0);
      }),
      certificates: members.map(ref),
    });
  }
  return out;
}

/** Names that lose validation reuse and need dns-01 (wildcards, mail and other non-web services) or a working challenge. */
function dcvActions(deadlines: EvaluatedDeadline[], asOfDay: string): Candidate[] {
  const out: Candidate[] = [];
  for (const fix of ['dns-01', 'fix-challenge'] as const) {
    const target = deadlines.find((d) => d.report.dcvReuse.exposed && d.report.dcvReuse.entries.some((e) => e.fix === fix));
    if (!target) continue;
    const entries = target.report.dcvReuse.entries.filter((e) => e.fix === fix);
    const certificates = [...new Map(entries.map((e) => [e.fingerprintSha256, { fingerprintSha256: e.fingerprintSha256, name: e.name }])).values()];
    out.push({
      kind: fix,
      title: fix === 'dns-01' ? `Move ${entries.length === 1 ? entries[0]!.name : `${entries.length} names`} to dns-01` : `Fix the failing challenge for ${entries.length === 1 ? entries[0]!.name : `${entries.length} names`}`,
      detail:
        fix === 'dns-01'
          ? `From ${target.report.effective} (${target.report.id}) a domain validation is reused for ${hours(target.report.dcvReuse.reuseHours)} at most, so every issuance needs a fresh one; these names cannot use http-01 (wildcards, or no web server answers for them).`
          : `Every issuance needs a fresh validation from ${target.report.effective} (${target.report.id}); the last validation of these names failed.`,
      deadline: target.report.id,
      dueBy: notBefore(target.report.effective, asOfDay),
      scoreGain: gain(target.scoreInputs, (s) => {
        s.exposedNames -= entries.length;
      }),
      certificates,
      names: entries.map((e) => e.name),
    });
  }
  return out;
}

function revocationActions(fleet: Assessed[], deadlines: EvaluatedDeadline[], revocation: RevocationReadiness, asOfDay: string): Candidate[] {
  const out: Candidate[] = [];
  const first = deadlines[0]!;
  const n = first.scoreInputs.inScope || 1;
  const within = revocation.ocspDependencies.length < n ? revocation.readiness / (1 - revocation.ocspDependencies.length / n) : 0;
  const byPrint = new Map(fleet.map((a) => [a.cert.fingerprintSha256, a]));
  const withRevocation = (target: EvaluatedDeadline, readiness: number, breaking = 0) =>
    gain(target.scoreInputs, (s) => {
      s.revocation = readiness;
      s.breaking -= breaking;
    });

  for (const kind of ['must-staple', 'ocsp-ended'] as const) {
    const deps = revocation.ocspDependencies.filter((d) => d.kind === kind);
    if (deps.length === 0) continue;
    const prints = new Set(deps.map((d) => d.fingerprintSha256));
    const blockingAt = (d: EvaluatedDeadline) => d.report.violating.filter((v) => v.blocking && v.kind === 'must-staple' && prints.has(v.fingerprintSha256)).length;
    const target = deadlines.find((d) => blockingAt(d) > 0) ?? first;
    out.push({
      kind: kind === 'must-staple' ? 'must-staple' : 'ocsp',
      title: kind === 'must-staple' ? `Reissue ${deps.length === 1 ? deps[0]!.name : `${deps.length} certificates`} without OCSP Must-Staple` : `Stop relying on OCSP for ${deps.length === 1 ? deps[0]!.name : `${deps.length} certificates`}`,
      detail:
        kind === 'must-staple'
          ? 'Must-Staple makes clients refuse the certificate without a fresh OCSP response; CAs are turning OCSP off (Let\'s Encrypt refuses such orders).'
          : 'Their CA no longer answers OCSP: turn off OCSP stapling and OCSP checks for them; revocation status is in CRLs.',
      deadline: target.report.id,
      dueBy: notBefore(target.report.effective, asOfDay),
      scoreGain: withRevocation(target, within * (1 - (revocation.ocspDependencies.length - deps.length) / n), blockingAt(target)),
      certificates: deps.map((d) => (byPrint.has(d.fingerprintSha256) ? ref(byPrint.get(d.fingerprintSha256)!) : { fingerprintSha256: d.fingerprintSha256, name: d.name })),
    });
  }

  const fleetHours = revocation.projectedHours.fleet;
  const shortest = revocation.deadlines[0];
  if (!revocation.drill || fleetHours === null || (shortest && fleetHours > shortest.hours)) {
    out.push({
      kind: 'drill',
      title: revocation.drill ? 'Make mass replacement faster, then drill again' : 'Run a revocation drill',
      detail: revocation.drill
        ? `${revocation.reasons[0] ?? ''}. The Baseline Requirements give a CA ${revocation.deadlines.map((d) => hours(d.hours)).join(' or ')} to revoke; automate the slow part and drill again.`
        : 'Rehearse replacing every certificate as if the CA had to revoke them (24 hours for key compromise or bad validation, 5 days otherwise), and measure it: `certfleet drill` does this for the managed certificates.',
      deadline: first.report.id,
      dueBy: asOfDay,
      scoreGain: withRevocation(first, 1 - revocation.ocspDependencies.length / n),
      certificates: [],
    });
  }
  return out;
}
