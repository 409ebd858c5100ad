/**
 * buildReport: inventory (+ managed state, + last drill) -> readiness report. Pure: no I/O, no
 * clock (asOf is given), the same inputs always give the same report.
 */
import { findingKinds } from '../policy/findings.js';
import type { PolicyTimeline } from '../policy/timeline.js';
import { severityRank, type Severity } from '../inventory/model.js';
import { rankActions } from './actions.js';
import { assessCertificate, indexManaged, type Assessed } from './classify.js';
import { countsFixedDays, evaluateCadence, scheduleOfManaged, type CadenceResult } from './cadence.js';
import { deadlinesAt } from './deadlines.js';
import { compare, evaluateDeadline, type EvaluationContext } from './evaluate-deadline.js';
import type { ManagedCertificateState, ReportInput } from './inputs.js';
import { REPORT_SCHEMA_VERSION, type CadenceProbe, type EffectiveSchedule, type FindingCount, type FleetSummary, type ReadinessReport } from './model.js';
import { agentsOf, assessFleetHosts } from './fleet-hosts.js';
import { assessRateBudget, RATE_BUDGET_FINDING, type RateBudgetReadiness } from './rate-budget.js';
import { assessRevocation } from './revocation.js';

export interface BuildOptions {
  asOf: Date;
  timeline: PolicyTimeline;
}

export function buildReport(input: ReportInput, options: BuildOptions): ReadinessReport {
  const { asOf, timeline } = options;
  const asOfMs = asOf.getTime();
  const asOfDay = asOf.toISOString().slice(0, 10);
  const managed = indexManaged(input.managed ?? []);
  const fleet = input.inventory.certificates.map((record) => assessCertificate(record, managed.find(record), timeline, asOfMs));
  const unmatched = managed.unmatched();

  const revocation = assessRevocation(fleet, input.drill, timeline, asOf);
  const namesByScope = new Map<string, number>();
  const context: EvaluationContext = {
    readiness: revocation.readiness,
    summary: revocation.reasons.join('; '),
    uniqueNames: (key, compute) => namesByScope.get(key) ?? namesByScope.set(key, compute()).get(key)!,
  };
  const evaluated = deadlinesAt(timeline, asOf, fleet).map((spec) => evaluateDeadline(spec, fleet, context));
  const cadence = cadenceProbes(timeline, fleet, unmatched, evaluated.map((d) => d.report.maxValidityDays));
  const actions = rankActions(fleet, evaluated, revocation, cadence, asOfDay);
  const rateBudget = input.rateBudget?.length ? assessRateBudget(input.rateBudget, timeline) : undefined;

  const report: ReadinessReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    asOf: asOf.toISOString(),
    timelineUpdated: timeline.updated,
    fleet: fleetSummary(input, fleet, unmatched),
    deadlines: evaluated.map((d) => d.report),
    cadence,
    revocation,
    actions,
    findings: findingCounts(input, rateBudget),
    keys: input.inventory.keys.filter((k) => k.findings.length > 0).map((k) => ({ path: k.path, findings: k.findings })),
    certificates: fleet.map((a) => a.cert),
  };
  // Only from a store that records per-host deployments: the file store's report stays as it was.
  const agents = input.agentSigns ? agentsOf(input.agentSigns.hosts, input.agentSigns.readAt ?? asOfMs) : input.hostsWithoutAgent ? { without: input.hostsWithoutAgent, silent: undefined } : undefined;
  const fleetHosts = agents ? assessFleetHosts(input.drill, agents.without, revocation.deadlines, agents.silent) : undefined;
  if (fleetHosts) report.fleetHosts = fleetHosts;
  if (rateBudget) report.rateBudget = rateBudget;
  return report;
}

/**
 * Every automated schedule (inventoried, and managed ones the inventory did not find) at the
 * lifetimes the timeline names (47, 45, 6 days); without that list, at the deadlines' lifetimes.
 */
function cadenceProbes(timeline: PolicyTimeline, fleet: Assessed[], unmatched: ManagedCertificateState[], deadlineDays: number[]): CadenceProbe[] {
  const probes =
    timeline.cadenceLifetimes ??
    [...new Set(deadlineDays)].sort((a, b) => b - a).map((days) => ({ id: `lifetime-${days}-days`, hours: days * 24, label: `${days} days`, source: 'deadlines in this report' }));
  const subjects: Array<{ fingerprintSha256?: string; name: string; schedule: EffectiveSchedule }> = [
    ...fleet.flatMap((a) => (a.cert.inScope && a.cert.schedule ? [{ fingerprintSha256: a.cert.fingerprintSha256, name: a.cert.name, schedule: a.cert.schedule }] : [])),
    ...unmatched.map((m) => ({ name: `${m.name} (managed, not found by the inventory)`, schedule: scheduleOfManaged(m), ...(m.fingerprintSha256 ? { fingerprintSha256: m.fingerprintSha256 } : {}) })),
  ];
  const order = { storm: 0, fails: 1, tight: 2, wasteful: 3, ok: 4 } as const;
  return probes.map((p) => {
    const probe: CadenceProbe = { id: p.id, label: p.label, lifetimeHours: p.hours, counts: { ok: 0, wasteful: 0, tight: 0, fails: 0, storm: 0 }, problems: [], fixedDays: 0 };
    const cache = new Map<EffectiveSchedule, CadenceResult>();
    for (const s of subjects) {
      let r = cache.get(s.schedule);
      if (!r) cache.set(s.schedule, (r = evaluateCadence(s.schedule, p.hours)));
      probe.counts[r.verdict]++;
      if (countsFixedDays(s.schedule)) probe.fixedDays++;
      if (r.verdict !== 'ok') probe.problems.push({ ...(s.fingerprintSha256 ? { fingerprintSha256: s.fingerprintSha256 } : {}), name: s.name, verdict: r.verdict, reason: r.reason });
    }
    probe.problems.sort((a, b) => order[a.verdict] - order[b.verdict] || compare(a.name, b.name));
    return probe;
  });
}

function fleetSummary(input: ReportInput, fleet: Assessed[], unmatched: ManagedCertificateState[]): FleetSummary {
  const summary: FleetSummary = {
    certificates: fleet.length,
    inScope: 0,
    automated: { managed: 0, acmeClient: 0 },
    manual: { keystoreOnly: 0, endpointOnly: 0, notManaged: 0 },
    managedNotInInventory: unmatched.map((m) => m.name),
    inventoryGeneratedAt: input.inventory.generatedAt,
    inventoryErrors: input.inventory.errors.map((e) => ({ source: e.source, message: e.message })),
  };
  for (const { cert: c } of fleet) {
    if (!c.inScope) continue;
    summary.inScope++;
    if (c.automation === 'managed') summary.automated.managed++;
    else if (c.automation === 'acme-client') summary.automated.acmeClient++;
    else if (c.manualReason === 'keystore-only') summary.manual.keystoreOnly++;
    else if (c.manualReason === 'endpoint-only') summary.manual.endpointOnly++;
    else summary.manual.notManaged++;
  }
  return summary;
}

/**
 * Findings of certificates and keys, and of the CAs' rate budgets (one per CA that misses a
 * revocation window), by id: worst severity first, then most frequent. Counted together, so
 * --fail-on and every renderer's findings treat a rate-budget finding as any other.
 */
function findingCounts(input: ReportInput, rateBudget: RateBudgetReadiness | undefined): FindingCount[] {
  const titles = new Map<string, string>(Object.values(findingKinds).map((k) => [k.id, k.title]));
  const counts = new Map<string, FindingCount>();
  for (const record of [...input.inventory.certificates, ...input.inventory.keys]) {
    for (const f of record.findings) {
      const key = `${f.id}\u0000${f.severity}`;
      const entry = counts.get(key) ?? { id: f.id, severity: f.severity as Severity, title: titles.get(f.id) ?? f.id, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
  }
  for (const ca of rateBudget?.cas ?? []) {
    if (!ca.finding) continue;
    const key = `${RATE_BUDGET_FINDING}\u0000${ca.finding.severity}`;
    const entry = counts.get(key) ?? { id: RATE_BUDGET_FINDING, severity: ca.finding.severity, title: "Replacing the CA's certificates at its rate limits takes longer than a revocation window", count: 0 };
    entry.count++;
    counts.set(key, entry);
  }
  return [...counts.values()].sort((a, b) => severityRank[b.severity] - severityRank[a.severity] || b.count - a.count || compare(a.id, b.id));
}
