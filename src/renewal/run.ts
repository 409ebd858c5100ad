/**
 * `renew` as a library call: ask the store which certificates need a look (a nothing-due run reads
 * one schedule, not every certificate), take each one's lease, renew it when due, report each one.
 * A certificate's failure never stops the others; one another runner holds is left to that runner.
 */
import { mapConcurrently, oneAtATime } from '../concurrency.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FileStateStore } from '../store/file-state-store.js';
import { fenced, type Lease, type StateStore } from '../store/ports.js';
import { runnerId } from '../store/with-lease.js';
import { AcmeIssuers, fileDeployer, handshakeVerifier, processRunner } from './real-ports.js';
import { selectCertificates, type ManagedCertificate, type RenewSettings } from './managed.js';
import { historyEntries } from './history.js';
import { managedSummary } from './managed-summary.js';
import { renewCertificate, type CertificateOutcome, type RenewDeps, type RenewRequest } from './renew-certificate.js';
import { isSkippable, outcomeFromSchedule, scheduleHash } from './schedule.js';

export const RENEW_SCHEMA_VERSION = 1;

export interface RenewRunOptions extends RenewRequest {
  /** Only these certificates (names); empty = all. */
  names: string[];
  concurrency: number;
  /** How long to wait for another run's short sections (the state directory's lock). */
  lockWaitMs: number;
}

export interface RenewRunHooks {
  now: () => Date;
  random: () => number;
  logger: Logger;
  commandEnv: Readonly<Record<string, string | undefined>>;
  pid: number;
  onCertificate?: (outcome: CertificateOutcome, done: number, total: number) => void;
  signal?: AbortSignal;
  /** Fakes for the CA, the deploy paths, verification or commands (tests); the real parts otherwise. */
  ports?: Partial<Pick<RenewDeps, 'issuers' | 'deployer' | 'verifier' | 'runCommand'>>;
  /** The state store; the settings' state directory (FileStateStore) when not given. Closed by the run only when it opened it. */
  store?: StateStore;
}

/** How long a certificate's lease lasts without renewal (store.leaseTtl sets another); a working runner renews it every third. */
export const LEASE_TTL_MS = 5 * 60_000;

export interface RenewRunResult {
  schemaVersion: typeof RENEW_SCHEMA_VERSION;
  startedAt: string;
  /** run: the real thing; plan: decided only, no CA asked (`--plan`); dry-run: a full run against the staging CA with throwaway state (`--dry-run`). */
  mode: 'run' | 'plan' | 'dry-run';
  /** Nothing in the real state or at the deploy paths changed (plan and dry-run). */
  dryRun: boolean;
  certificates: CertificateOutcome[];
  /** What went wrong for the run as a whole (the summary for `report` or the history could not be written): exit 3. */
  problems: string[];
  summary: { renewed: number; deployed: number; notDue: number; wouldRenew: number; failed: number; durationMs: number };
}

export async function runRenew(settings: RenewSettings, options: RenewRunOptions, hooks: RenewRunHooks): Promise<RenewRunResult> {
  const started = hooks.now();
  const t0 = Date.now();
  const selected = selectCertificates(settings, options.names);
  const store = hooks.store ?? new FileStateStore(settings.stateDir, { lockWaitMs: options.lockWaitMs, pid: hooks.pid, now: () => hooks.now().getTime() });
  // The real CA only when no fake was given (tests): building it opens nothing, closing it frees its connections.
  const acme = hooks.ports?.issuers ? undefined : new AcmeIssuers(store.accounts, hooks.logger, hooks.now, hooks.commandEnv);
  const ports = { deployer: fileDeployer, verifier: handshakeVerifier, runCommand: processRunner, ...hooks.ports, issuers: hooks.ports?.issuers ?? acme! };
  const hashes = new Map(selected.map((cert) => [cert.name, scheduleHash(cert, settings.policy)]));
  const specHash = (cert: ManagedCertificate) => hashes.get(cert.name)!;
  const owner = runnerId(hooks.pid);
  const problems: string[] = [];
  const problem = (what: string) => (err: unknown) => {
    problems.push(`${what}: ${describeError(err)}`);
    hooks.logger.error(problems.at(-1)!);
  };
  let outcomes: CertificateOutcome[];
  try {
    // What the last runs decided: certificates whose next look has not come, with the same config, are not read at all.
    const schedules = options.plan || options.force ? new Map() : await store.certificates.schedules();
    const now = hooks.now().getTime();
    const skipped = new Map<string, CertificateOutcome>();
    for (const cert of selected) {
      const schedule = schedules.get(cert.name);
      if (isSkippable(schedule, specHash(cert), now)) skipped.set(cert.name, outcomeFromSchedule(cert.name, schedule));
    }
    const look = selected.filter((cert) => !skipped.has(cert.name));
    const deps = { ...hooks, ...ports, store: store.certificates, specHash, policy: settings.policy, exclusive: oneAtATime() };
    const looked = await mapConcurrently(look, options.concurrency, (cert) => (options.plan ? renewCertificate(cert, options, deps) : underLease(cert, store, owner, settings.leaseTtlMs ?? LEASE_TTL_MS, options, deps)), (o, done) => hooks.onCertificate?.(o, done, selected.length));
    const byName = new Map(looked.map((o) => [o.name, o]));
    let done = looked.length;
    for (const o of skipped.values()) hooks.onCertificate?.(o, ++done, selected.length);
    outcomes = selected.map((cert) => byName.get(cert.name) ?? skipped.get(cert.name)!);
    if (!options.plan) await recordRun(store, settings, outcomes, started, hooks.now(), problem);
  } finally {
    acme?.close();
    if (!hooks.store) await store.close().catch(problem('the renewal schedule was not written'));
  }
  const count = (a: CertificateOutcome['action']) => outcomes.filter((o) => o.action === a).length;
  return {
    schemaVersion: RENEW_SCHEMA_VERSION,
    startedAt: started.toISOString(),
    mode: options.plan ? 'plan' : 'run',
    dryRun: options.plan,
    certificates: outcomes,
    problems,
    summary: { renewed: count('renewed'), deployed: count('deployed'), notDue: count('not-due'), wouldRenew: count('would-renew'), failed: count('failed'), durationMs: Date.now() - t0 },
  };
}

/**
 * One certificate under its lease: another runner holding it is left to finish; the lease is renewed
 * while the work goes on (a dns-01 propagation can take minutes) and every write carries its token.
 */
async function underLease(cert: ManagedCertificate, store: StateStore, owner: string, ttlMs: number, request: RenewRequest, deps: RenewDeps): Promise<CertificateOutcome> {
  let lease: Lease | undefined;
  try {
    lease = await store.leases.acquire(cert.name, owner, ttlMs);
  } catch (err) {
    return { name: cert.name, action: 'failed', reason: 'error', error: describeError(err), explanation: `its lease could not be taken: ${describeError(err)}`, durationMs: 0 };
  }
  if (!lease) {
    return { name: cert.name, action: 'not-due', reason: 'leased', explanation: 'another certfleet run is working on this certificate now; it reports the result', durationMs: 0 };
  }
  let held: Lease = lease;
  const timer = setInterval(() => {
    store.leases.renew(held, ttlMs).then(
      (renewed) => (held = renewed),
      (err: unknown) => deps.logger.warn(`${cert.name}: the lease could not be renewed: ${describeError(err)}`),
    );
  }, ttlMs / 3);
  timer.unref();
  try {
    return await renewCertificate(cert, request, { ...deps, store: fenced(store.certificates, lease) });
  } finally {
    clearInterval(timer);
    await store.leases.release(held).catch((err: unknown) => deps.logger.warn(`${cert.name}: the lease could not be released (it expires by itself): ${describeError(err)}`));
  }
}

/** The summary `report` reads and the history line per certificate; a failure is a run problem (exit 3), never a lost renewal. */
async function recordRun(store: StateStore, settings: RenewSettings, outcomes: CertificateOutcome[], started: Date, now: Date, problem: (what: string) => (err: unknown) => void): Promise<void> {
  await store.runs.updateSummary((previous) => managedSummary(settings, outcomes, now, previous)).catch(problem('the run summary for `report` was not written'));
  await store.runs.appendHistory(historyEntries(outcomes, started)).catch(problem('the run history was not written'));
}
