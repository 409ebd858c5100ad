/**
 * A mass replacement, rehearsed (`drill`) or for real (`replace`, when a CA announces it will
 * revoke certificates of ours: it is the same work, and the same measurement). A rehearsal (BR 5.7.1.2 asks CAs to test theirs; subscribers who had
 * rehearsed were the ones who got through 2020 and 2024). It does what an incident would make us
 * do, minus the revocation: find the affected set, replace every certificate in it (order, deploy,
 * confirm the new serial is served) and measure, from the drill's start, when each one was done.
 * The measurement goes to the state store's drill records (<stateDir>/drills/ on the file store),
 * where `report` reads it.
 *
 * A certificate whose spec names `hosts` (store.postgres) is replaced when every one of those hosts'
 * agents confirmed the new version deployed (src/fleet/await-deployed.ts): its time is the slowest
 * host's, and the record keeps each host's.
 *
 * Nothing is revoked, so a drill is safe on production (it is an early renewal); a drill in a test
 * environment is the same command with that environment's config.
 */
import type { FleetConfirmation, HostConfirmation } from '../fleet/await-deployed.js';
import { pendingHosts } from '../fleet/await-deployed.js';
import { startConfirmations, type FleetWaitSettings } from '../fleet/confirm-replacements.js';
import { shippedTimeline } from '../policy/timeline.js';
import type { RenewSettings } from '../renewal/managed.js';
import type { CertificateOutcome } from '../renewal/renew-certificate.js';
import { runRenew, type RenewRunHooks } from '../renewal/run.js';
import { selectAffected, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { fleetView, type FleetView } from './fleet-view.js';
import type { ReplacementPlan } from './plan.js';
import { budgetTime } from './rate-budget-time.js';
import { recordId } from './record.js';
import { agentHeartbeats, type StateStore } from '../store/ports.js';

export const DRILL_SCHEMA_VERSION = 1;

export interface DrillOptions {
  /** `drill`: a rehearsal, recorded in drills/ (latest.json is what report reads); `incident`: a real replacement, recorded in replacements/. */
  purpose: 'drill' | 'incident';
  criteria: AffectedCriteria;
  concurrency: number;
  lockWaitMs: number;
}

export type DrillHooks = Omit<RenewRunHooks, 'onCertificate' | 'store'> & {
  onCertificate?: (result: DrillCertificate, done: number, total: number) => void;
  /** The configured store (the caller opens and closes it): the replacements and the record go there. */
  store: StateStore;
  /** Waiting for the hosts of certificates whose spec names them (defaults: 30 min, real timers, no progress). */
  fleet?: FleetWaitSettings;
  /** The per-host view of the affected set, once selected and before anything is ordered (shared store only). */
  onFleetView?: (view: FleetView) => void;
};

export interface DrillCertificate {
  name: string;
  /** Every certificate a drill can replace is managed, so replaced by automation. */
  automated: true;
  /** The certificate that was replaced (absent: none had been issued). */
  fingerprintSha256?: string;
  serialNumber?: string;
  replacedBy?: { serialNumber: string; fingerprintSha256?: string; notAfter?: string };
  /** Seconds from the drill's start until the replacement was deployed and confirmed; null: not replaced. */
  secondsToReplace: number | null;
  /** Whether "confirmed" included a handshake showing the new serial (the certificate has verify endpoints). */
  verifiedServed: boolean;
  error?: string;
  /** A failure the operator fixes in the config (terms of service not accepted): exit 2 with its hint. */
  errorExitCode?: number;
  errorHint?: string;
  /** A certificate its spec's hosts serve: each host's part (seconds from the start to deployed, per host). */
  hosts?: HostConfirmation[];
}

export interface DeadlineShare {
  id: string;
  hours: number;
  /** Share (0-1) of the affected set replaced within the deadline. */
  share: number;
}

export interface DrillResult {
  schemaVersion: typeof DRILL_SCHEMA_VERSION;
  purpose: DrillOptions['purpose'];
  id: string;
  startedAt: string;
  finishedAt: string;
  /** How long finding the affected set took. */
  identifySeconds: number;
  shareAutomated: number;
  certificates: DrillCertificate[];
  summary: {
    affected: number;
    replaced: number;
    failed: number;
    withinDeadlines: DeadlineShare[];
    secondsToReplace: { median: number; p95: number; max: number } | null;
  };
  blastRadius: BlastRadius;
  /** Where the measurement was written. */
  recordPath: string;
  /** How long the set takes at the CA's rate limits, from what was left when it began (rate-budget-time.ts budgetTime); absent: no limits configured. */
  rateBudget?: ReplacementPlan['rateBudget'];
  /** The per-host view of the affected set as it was before ordering (fleet-view.ts); absent on the file store. */
  fleet?: FleetView;
}

export async function runDrill(settings: RenewSettings, options: DrillOptions, hooks: DrillHooks): Promise<DrillResult> {
  const started = hooks.now();
  const t0 = performance.now();
  const affected = await selectAffected(settings, hooks.store.certificates, options.criteria, options.purpose === 'drill' ? 'drill' : 'replace');
  const identifySeconds = (performance.now() - t0) / 1000;
  // What was left of the budget when the drill began: its own orders are taken from it next.
  const rateBudget = await budgetTime(settings, affected, { budget: hooks.store.budget, now: started.getTime() });
  const view = await fleetView(settings, affected, hooks.store.deployments, agentHeartbeats(hooks.store));
  if (view) hooks.onFleetView?.(view);
  const byName = new Map(affected.map((a) => [a.name, a]));
  const verifying = new Set(settings.certificates.filter((c) => c.verify.length > 0).map((c) => c.name));
  const hostsOf = new Map(settings.certificates.flatMap((c) => (c.hosts?.length ? [[c.name, c.hosts] as const] : [])));
  const startedMs = started.getTime();
  let done = 0;

  const results = new Map<string, DrillCertificate>();
  const report = (result: DrillCertificate) => {
    results.set(result.name, result);
    hooks.onCertificate?.(result, ++done, affected.length);
  };
  const toResult = (o: CertificateOutcome, seconds: number): DrillCertificate => {
    const before = byName.get(o.name)?.current;
    const replaced = o.action === 'renewed' && o.serialNumber !== undefined;
    return {
      name: o.name,
      automated: true,
      ...(before ? { fingerprintSha256: before.fingerprintSha256, serialNumber: before.serialNumber } : {}),
      ...(replaced ? { replacedBy: { serialNumber: o.serialNumber!, ...(o.fingerprintSha256 ? { fingerprintSha256: o.fingerprintSha256 } : {}), ...(o.notAfter ? { notAfter: o.notAfter } : {}) } } : {}),
      secondsToReplace: replaced ? round(seconds) : null,
      verifiedServed: replaced && verifying.has(o.name),
      // Held back by the CA's rate budget: not an error, but why it is not replaced yet.
      ...(o.error ? { error: o.error } : o.reason === 'rate-budget' ? { error: o.explanation } : {}),
      ...(o.errorExitCode !== undefined ? { errorExitCode: o.errorExitCode } : {}),
      ...(o.errorHint ? { errorHint: o.errorHint } : {}),
    };
  };
  // Listening from the start: a certificate its hosts confirm while later ones are still being ordered is replaced (and said) then.
  const confirmations = await startConfirmations(hooks.store, startedMs, affected.some((a) => hostsOf.has(a.name)), {
    now: () => hooks.now().getTime(),
    logger: hooks.logger,
    ...(hooks.fleet ? { fleet: hooks.fleet } : {}),
    onConfirmed: (c) => report(onHosts(results.get(c.name)!, c)),
  });
  try {
    await runRenew(
      settings,
      { names: affected.map((a) => a.name), force: true, plan: false, concurrency: options.concurrency, lockWaitMs: options.lockWaitMs },
      {
        ...hooks,
        onCertificate: (outcome) => {
          const result = toResult(outcome, (performance.now() - t0) / 1000);
          const hosts = hostsOf.get(result.name);
          // Ordered is not replaced for a certificate its hosts deploy: said once they confirmed it.
          if (hosts && result.replacedBy) {
            results.set(result.name, result);
            confirmations.add({ name: result.name, hosts });
          } else report(result);
        },
      },
    );
    const confirmed = await confirmations.finish();
    // The ones not confirmed on every host by the deadline (the confirmed ones were reported as they were).
    for (const r of [...results.values()]) if (hostsOf.has(r.name) && r.replacedBy && !confirmed.get(r.name)?.complete) report(onHosts(r, confirmed.get(r.name)));
  } finally {
    await confirmations.close();
  }
  const finished = hooks.now();
  // In the order the operator configured them, not the order they finished.
  const certificates = affected.flatMap((a) => results.get(a.name) ?? []);

  const id = recordId(started);
  const runs = hooks.store.runs;
  const kind = options.purpose === 'drill' ? 'drill' : 'replacement';
  const recordPath = runs.recordLocation(kind, id);
  const result: DrillResult = {
    schemaVersion: DRILL_SCHEMA_VERSION,
    purpose: options.purpose,
    id,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    identifySeconds: round(identifySeconds),
    shareAutomated: 1,
    certificates,
    summary: summarise(certificates),
    blastRadius: blastRadius(affected),
    recordPath,
  };
  if (rateBudget) result.rateBudget = rateBudget;
  if (view) result.fleet = view;
  // Only a rehearsal becomes the report's "last drill": an incident's replacement is recorded on its own.
  await runs.writeRecord(kind, id, result, { latest: options.purpose === 'drill' });
  return result;
}

/** An ordered certificate its hosts deploy, with their part: replaced when every host confirmed, at the slowest one's time. */
function onHosts(r: DrillCertificate, c: FleetConfirmation | undefined): DrillCertificate {
  const slowest = c?.complete ? Math.max(...c.hosts.map((h) => h.seconds ?? 0)) : undefined;
  return {
    ...r,
    secondsToReplace: slowest === undefined ? null : round(Math.max(slowest, r.secondsToReplace ?? 0)),
    verifiedServed: slowest !== undefined && r.verifiedServed,
    ...(c ? { hosts: c.hosts } : {}),
    ...(slowest === undefined ? { error: `ordered, but not confirmed deployed on every host: ${c ? pendingHosts(c) : 'the version its hosts must deploy could not be read'}` } : {}),
  };
}

function summarise(results: readonly DrillCertificate[]): DrillResult['summary'] {
  const times = results.flatMap((r) => (r.secondsToReplace === null ? [] : [r.secondsToReplace])).sort((a, b) => a - b);
  const share = (n: number) => (results.length === 0 ? 0 : round(n / results.length));
  return {
    affected: results.length,
    replaced: times.length,
    failed: results.length - times.length,
    withinDeadlines: shippedTimeline()
      .revocationDeadlines.slice()
      .sort((a, b) => a.hours - b.hours)
      .map((d) => ({ id: d.id, hours: d.hours, share: share(times.filter((t) => t <= d.hours * 3600).length) })),
    secondsToReplace: times.length ? { median: percentile(times, 0.5), p95: percentile(times, 0.95), max: times[times.length - 1]! } : null,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
