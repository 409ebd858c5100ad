/**
 * `renew` as a library call: ask the store which certificates need a look (a nothing-due run reads
 * one schedule, not every certificate), take each one's lease, renew it when due, report each one.
 * A certificate's failure never stops the others; one another runner holds is left to that runner.
 */
import { mapConcurrently, oneAtATime } from '../concurrency.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FileStateStore } from '../store/file-state-store.js';
import { fenced, hostKeyRecords, LeaseLostError, type Lease, type StateStore } from '../store/ports.js';
import type { SpecSource } from '../config/certificate-files.js';
import { applyIfChanged, type ApplyResult } from './apply-specs.js';
import { workFromStore } from './store-work.js';
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
  /** The config's specs applied to the shared store before the run (it changed since the last apply). */
  applied?: ApplyResult;
  summary: {
    renewed: number;
    deployed: number;
    /** With the shared store, the not-due certificates not looked at (their schedule has not come) are counted here and in `notListed`, not listed one by one. */
    notDue: number;
    notListed?: number;
    wouldRenew: number;
    failed: number;
    durationMs: number;
  };
}

export async function runRenew(settings: RenewSettings, options: RenewRunOptions, hooks: RenewRunHooks): Promise<RenewRunResult> {
  const started = hooks.now();
  const t0 = Date.now();
  const store: StateStore = hooks.store ?? new FileStateStore(settings.stateDir, { lockWaitMs: options.lockWaitMs, pid: hooks.pid, now: () => hooks.now().getTime() });
  // The real CA only when no fake was given (tests): building it opens nothing, closing it frees its connections.
  const acme = hooks.ports?.issuers ? undefined : new AcmeIssuers(store.accounts, hooks.logger, hooks.now, hooks.commandEnv, store.challenges);
  const ports = { deployer: fileDeployer, verifier: handshakeVerifier, runCommand: processRunner, ...hooks.ports, issuers: hooks.ports?.issuers ?? acme! };
  const hashes = new Map<string, string>();
  const specHash = (cert: ManagedCertificate) => hashes.get(cert.name) ?? hashes.set(cert.name, scheduleHash(cert, settings.policy)).get(cert.name)!;
  const owner = runnerId(hooks.pid);
  const ttlMs = settings.leaseTtlMs ?? LEASE_TTL_MS;
  const problems: string[] = [];
  const problem = (what: string) => (err: unknown) => {
    problems.push(`${what}: ${describeError(err)}`);
    hooks.logger.error(problems.at(-1)!);
  };
  const deps = { ...hooks, ...ports, store: store.certificates, specHash, policy: settings.policy, exclusive: oneAtATime(), budget: store.budget };
  const look = (configured: ManagedCertificate, lease?: Lease) => {
    const cert = forThisRunner(configured);
    if (options.deployOnly && configured.hosts?.length) return Promise.resolve(agentsDeploy(configured));
    return options.plan ? renewCertificate(cert, options, deps) : underLease(cert, store, lease ?? owner, ttlMs, options, deps);
  };
  let outcomes: CertificateOutcome[];
  let applied: ApplyResult | undefined;
  let scheduled = 0;
  try {
    if (store.specs && settings.specs) {
      // The shared store: the specs are the store's (applied from this config first when it changed), the work is claimed.
      if (!options.plan) applied = await applyIfChanged(settings, store.specs, owner);
      // Hosts registered (or added to a spec) since their certificates' current versions were stored get their wrapped keys.
      if (!options.plan) await wrapForNewHosts(store, hooks.logger).catch(problem('the keys of newly registered hosts were not wrapped'));
      const work = await workFromStore({
        specs: store.specs,
        settings: settings as RenewSettings & { specs: SpecSource },
        names: options.names,
        all: options.plan || options.force,
        concurrency: options.concurrency,
        owner,
        ttlMs,
        look,
        release: (lease) => store.leases.release(lease).catch((err: unknown) => hooks.logger.warn(`${lease.name}: the lease could not be released (it expires by itself): ${describeError(err)}`)),
        onOutcome: (o, done, total) => hooks.onCertificate?.(o, done, total),
      });
      outcomes = work.outcomes;
      if (options.names.length === 0 && !options.plan && !options.force) scheduled = Math.max(0, (await store.specs.count()) - outcomes.length);
      if (!options.plan) await recordRun(store, { ...settings, certificates: work.looked }, outcomes, started, hooks.now(), problem, work.looked.map((c) => c.name));
    } else {
      outcomes = await fromConfig(settings, options, hooks, store, look, specHash);
      if (!options.plan) await recordRun(store, settings, outcomes, started, hooks.now(), problem);
    }
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
    ...(applied ? { applied } : {}),
    summary: {
      renewed: count('renewed'),
      deployed: count('deployed'),
      notDue: count('not-due') + scheduled,
      ...(store.specs && settings.specs ? { notListed: scheduled } : {}),
      wouldRenew: count('would-renew'),
      failed: count('failed'),
      durationMs: Date.now() - t0,
    },
  };
}

async function wrapForNewHosts(store: StateStore, logger: RenewRunHooks['logger']): Promise<void> {
  const wrapped = (await hostKeyRecords(store)?.wrapMissing()) ?? 0;
  if (wrapped > 0) logger.info(`wrapped ${wrapped} current private key(s) to hosts registered since they were stored`);
}

/**
 * A certificate served by named hosts is ordered here and deployed by their agents (`certfleet
 * agent`): the runner orders, stores the version and makes it current, and deploys and verifies
 * nothing itself.
 */
function forThisRunner(cert: ManagedCertificate): ManagedCertificate {
  if (!cert.hosts?.length) return cert;
  const { deploy: _deploy, ...ordered } = cert;
  return { ...ordered, verify: [] };
}

/** `certfleet deploy` of a certificate the agents deploy: said, not done here. */
function agentsDeploy(cert: ManagedCertificate): CertificateOutcome {
  const explanation = `deployed by the agents of ${cert.hosts!.join(', ')} (certfleet agent --host H), not by this runner`;
  return { name: cert.name, action: 'not-due', reason: 'agents-deploy', explanation, durationMs: 0 };
}

/**
 * The file store: the specs are the config's, every one listed; those whose recorded schedule has
 * not come (with the same config) are reported from it without reading their state.
 */
async function fromConfig(
  settings: RenewSettings,
  options: RenewRunOptions,
  hooks: RenewRunHooks,
  store: StateStore,
  look: (cert: ManagedCertificate) => Promise<CertificateOutcome>,
  specHash: (cert: ManagedCertificate) => string,
): Promise<CertificateOutcome[]> {
  const selected = selectCertificates(settings, options.names);
  const schedules = options.plan || options.force ? new Map() : await store.certificates.schedules();
  const now = hooks.now().getTime();
  const skipped = new Map<string, CertificateOutcome>();
  for (const cert of selected) {
    const schedule = schedules.get(cert.name);
    if (isSkippable(schedule, specHash(cert), now)) skipped.set(cert.name, outcomeFromSchedule(cert.name, schedule));
  }
  const looked = await mapConcurrently(
    selected.filter((cert) => !skipped.has(cert.name)),
    options.concurrency,
    (cert) => look(cert),
    (o, done) => hooks.onCertificate?.(o, done, selected.length),
  );
  const byName = new Map(looked.map((o) => [o.name, o]));
  let done = looked.length;
  for (const o of skipped.values()) hooks.onCertificate?.(o, ++done, selected.length);
  return selected.map((cert) => byName.get(cert.name) ?? skipped.get(cert.name)!);
}

/**
 * One certificate under its lease (taken here by `owner`, or already claimed): another runner holding it is left to finish; the lease is renewed
 * while the work goes on (a dns-01 propagation can take minutes) and every write carries its token.
 */
async function underLease(cert: ManagedCertificate, store: StateStore, claimed: Lease | string, ttlMs: number, request: RenewRequest, deps: RenewDeps): Promise<CertificateOutcome> {
  let lease: Lease | undefined;
  try {
    lease = typeof claimed === 'string' ? await store.leases.acquire(cert.name, claimed, ttlMs) : claimed;
  } catch (err) {
    return { name: cert.name, action: 'failed', reason: 'error', error: describeError(err), explanation: `its lease could not be taken: ${describeError(err)}`, durationMs: 0 };
  }
  if (!lease) {
    return { name: cert.name, action: 'not-due', reason: 'leased', explanation: 'another certfleet run is working on this certificate now; it reports the result', durationMs: 0 };
  }
  let held: Lease = lease;
  // A lease found taken over stops the work before the order is finalized: the new owner orders,
  // and a second certificate would only cost the CA's rate limit (its write would be refused anyway).
  const lost = new AbortController();
  const timer = setInterval(() => {
    store.leases.renew(held, ttlMs).then(
      (renewed) => (held = renewed),
      (err: unknown) => {
        if (err instanceof LeaseLostError) lost.abort(err);
        deps.logger.warn(`${cert.name}: the lease could not be renewed: ${describeError(err)}`);
      },
    );
  }, ttlMs / 3);
  timer.unref();
  try {
    const signal = deps.signal ? AbortSignal.any([deps.signal, lost.signal]) : lost.signal;
    return await renewCertificate(cert, request, { ...deps, signal, store: fenced(store.certificates, lease) });
  } finally {
    clearInterval(timer);
    await store.leases.release(held).catch((err: unknown) => deps.logger.warn(`${cert.name}: the lease could not be released (it expires by itself): ${describeError(err)}`));
  }
}

/** The summary `report` reads and the history line per certificate; a failure is a run problem (exit 3), never a lost renewal. */
async function recordRun(
  store: StateStore,
  settings: RenewSettings,
  outcomes: CertificateOutcome[],
  started: Date,
  now: Date,
  problem: (what: string) => (err: unknown) => void,
  only?: readonly string[],
): Promise<void> {
  await store.runs.updateSummary((previous) => managedSummary(settings, outcomes, now, previous), only ? { only } : {}).catch(problem('the run summary for `report` was not written'));
  await store.runs.appendHistory(historyEntries(outcomes, started)).catch(problem('the run history was not written'));
}
