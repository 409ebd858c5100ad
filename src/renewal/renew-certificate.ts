/**
 * One managed certificate, one run: finish a deployment a killed run left behind, refresh ARI
 * when it is time, decide, and when due: order, store the new version, deploy, verify, or put
 * the previous files back and say why. Never deletes the last working pair.
 */
import { certificateIdentifier, createCsr } from '../acme/index.js';
import { AcmeProblemError } from '../acme/errors.js';
import { CertfleetError, describeError, ExitCode, failureFacts, type FailureFacts } from '../errors.js';
import type { Logger } from '../logger.js';
import { versionId, type CertificateState, type IssuedVersion, type VersionFiles } from '../store/certificate-store.js';
import type { CertificateRecords, RateBudget } from '../store/ports.js';
import { parseCertificate } from '../x509/certificate.js';
import { generateKey } from '../x509/generate-key.js';
import { certificatePemTypes, findPemBlocks } from '../x509/pem.js';
import { certfleetEnv } from './commands.js';
import { backoffWait, decideRenewal, type RenewalDecision, type RenewalPolicy } from './decision.js';
import type { ManagedCertificate } from './managed.js';
import type { CommandRunner, Deployer, Issuers, Verifier } from './ports.js';
import { mayReplace, NO_ARI_POLL_MS, refreshRenewalInfo, renewalInfoDue, type CurrentCertificate } from './renewal-info.js';
import { describeLimit, takeOrderBudget } from './rate-budget.js';
import { scheduleOf } from './schedule.js';
import { deploySpecOf, orderSpecChange, orderSpecOf } from './spec.js';

export interface RenewDeps {
  store: CertificateRecords;
  /** The config hash a recorded schedule is valid for (schedule.ts); no schedule is recorded without it. */
  specHash?: (cert: ManagedCertificate) => string;
  /** The CAs (ports.ts): real ACME servers, or a fake in tests. */
  issuers: Issuers;
  deployer: Deployer;
  verifier: Verifier;
  runCommand: CommandRunner;
  policy: RenewalPolicy;
  now: () => Date;
  random: () => number;
  logger: Logger;
  /** The environment operator commands and exec hooks start from (the CLI passes its own). */
  commandEnv: Readonly<Record<string, string | undefined>>;
  /**
   * Runs switch-files-and-reload sections one at a time across the run's certificates. Without it
   * one certificate's reload can read another's pair in the middle of its switch (certificate file
   * of one version, key of the next: seen as nginx's "key values mismatch"), because a server reads
   * the two files one after the other, however atomic the switch itself is.
   */
  exclusive: <T>(section: () => Promise<T>) => Promise<T>;
  signal?: AbortSignal;
  /** The CA's rate limits as one budget for every runner (rate-budget.ts); absent: none taken. */
  budget?: RateBudget;
}

export interface RenewRequest {
  force: boolean;
  /** Decide and report only (`renew --plan`): no CA, no change. */
  plan: boolean;
  /** A fresh key even where the config says reuseKey: the old key is compromised. */
  newKey?: boolean;
  /** `certfleet deploy`: put the certificate held in place again, order nothing. */
  deployOnly?: boolean;
}

export type RenewAction = 'renewed' | 'deployed' | 'not-due' | 'would-renew' | 'would-deploy' | 'failed';

export interface CertificateOutcome extends FailureFacts {
  name: string;
  action: RenewAction;
  serialNumber?: string;
  fingerprintSha256?: string;
  notBefore?: string;
  notAfter?: string;
  /** When the current certificate was issued (its domains were last validated then). */
  issuedAt?: string;
  nextRenewalAt?: string;
  reason: string;
  explanation: string;
  exceedsPolicy?: boolean;
  /** The CA's page about the renewal window (ARI explanationURL), when it gave one. */
  explanationUrl?: string;
  error?: string;
  /** What failed: ordering the certificate, or deploying one already issued (fix a permission, not a challenge). */
  failedStage?: 'order' | 'deploy';
  durationMs: number;
}


/**
 * Never throws: one certificate's failure, even a full disk under its state, is its own outcome and
 * never stops the others.
 */
export async function renewCertificate(cert: ManagedCertificate, request: RenewRequest, deps: RenewDeps): Promise<CertificateOutcome> {
  const started = Date.now();
  const log = prefixed(deps.logger, cert.name);
  try {
    return await renewOne(cert, request, deps, log, started);
  } catch (err) {
    const message = describeError(err);
    log.error(`renewal failed: ${message}`);
    return { name: cert.name, action: 'failed', error: message, ...failureFacts(err), reason: 'error', explanation: message, durationMs: Date.now() - started };
  }
}

async function renewOne(cert: ManagedCertificate, request: RenewRequest, deps: RenewDeps, log: Logger, started: number): Promise<CertificateOutcome> {
  const { store } = deps;
  let state = await store.loadState(cert.name, (m) => log.warn(m));
  let served = await readCurrent(store, cert.name, log);

  // A run killed between switching files and verifying them left a journal: finish that first.
  if (state.deploying && cert.deploy && !request.plan) {
    const pending = state.deploying;
    log.warn(`a previous run stopped while deploying version ${pending.version}; deploying it again`);
    try {
      const staged = await store.readVersion(cert.name, pending.version);
      await deployAndVerify(cert, staged.version, staged.files, pending.previous, deps, log);
      await store.setCurrent(cert.name, pending.version);
      served = staged;
      state = deployedState(state, cert, pending.version, deps.now());
    } catch (err) {
      log.error(`could not finish that deployment: ${describeError(err)}`);
    }
    state = { ...state, deploying: undefined };
    await store.saveState(cert.name, state);
  }

  // The newest certificate held: one issued but not deployed (its deployment failed) counts, so a
  // failed deployment is tried again without ordering again.
  const undeployed = state.pendingDeploy && cert.deploy ? await readUndeployed(store, cert.name, state.pendingDeploy.version, log) : undefined;
  const current = undeployed ?? served;

  if (request.deployOnly) {
    if (!cert.deploy) return { name: cert.name, action: 'not-due', reason: 'no-deploy', explanation: 'no deploy section in the config: nothing to deploy', durationMs: Date.now() - started };
    if (!current) throw new CertfleetError('no-certificate', `${cert.name} has no certificate yet: \`certfleet renew ${cert.name}\` orders one`, { exitCode: ExitCode.findings });
    return redeploy(cert, current, state, 'deployed on request', request, deps, log, started);
  }

  const now = deps.now().getTime();
  const loaded = state;
  if (current && !request.plan && renewalInfoDue(current.version, state, now)) {
    state = await refreshRenewalInfo(current, state, { client: () => deps.issuers.get(cert.ca), now: deps.now, random: deps.random, logger: log });
  }

  const specChange = current ? orderSpecChange(cert, current.version) : undefined;
  const decision = decideRenewal({
    ...(current ? { certificate: timesOf(current.version) } : {}),
    ...(state.ari ? { ari: state.ari } : {}),
    policy: deps.policy,
    ...(state.failures ? { failures: state.failures } : {}),
    now,
    force: request.force,
    ...(specChange ? { specChange } : {}),
  });
  const base = { name: cert.name, ...(current ? versionFacts(current.version) : {}) };
  if (!decision.due && !request.plan && current && cert.deploy) {
    const need = await deployNeed(cert, state, served, undeployed, deps.deployer);
    if (need === 'record') {
      state = deployedState(state, cert, current.version.id, deps.now());
    } else if (need !== undefined) {
      const wait = deployBackoff(state, deps.policy, now);
      if (wait === undefined) return redeploy(cert, current, state, need, request, deps, log, started);
      await store.saveState(cert.name, state);
      const outcome: CertificateOutcome = { ...base, action: 'not-due', reason: 'backoff', explanation: `${need}; the next deployment attempt at ${new Date(wait).toISOString()} (${state.failures?.lastError ?? 'failed'})`, nextRenewalAt: new Date(wait).toISOString(), durationMs: Date.now() - started };
      await recordSchedule(cert, outcome, Math.min(wait, decision.renewAt), deps);
      return outcome;
    }
  }
  if (!decision.due || request.plan) {
    // Written only when it changed (a new ARI answer): rewriting and fsyncing every state file of
    // a large fleet each minute just to note that nothing was due took 0.75 s for 1,000.
    if (!request.plan && state !== loaded) await store.saveState(cert.name, { ...state, lastRunAt: new Date(now).toISOString() });
    const outcome: CertificateOutcome = { ...base, ...describeDecision(decision), action: decision.due ? 'would-renew' : 'not-due', durationMs: Date.now() - started };
    if (!request.plan && !decision.due) await recordSchedule(cert, outcome, nextLook(decision, state, current, now), deps);
    return outcome;
  }

  // Before any hook runs: a certificate the budget holds back waits for a unit, not counted as a
  // failure. A renewal inside the CA's ARI window is exempt (Let's Encrypt exempts those).
  if (deps.budget && cert.ca.rateLimits && decision.reason !== 'ari-window') {
    const ca = await deps.issuers.get(cert.ca);
    const taken = await takeOrderBudget(deps.budget, { ca: cert.ca.directoryUrl, account: ca.accountUrl ?? '', limits: cert.ca.rateLimits, domains: cert.domains, now });
    if (!taken.granted) {
      if (state !== loaded) await store.saveState(cert.name, { ...state, lastRunAt: new Date(now).toISOString() });
      const at = new Date(taken.retryAt).toISOString();
      const explanation = `due (${decision.explanation}), but the CA's rate budget is used up (${describeLimit(taken.bucket, taken.limit, taken.windowMs)}): ordering at ${at}, when a unit frees`;
      log.info(explanation);
      const outcome: CertificateOutcome = { ...base, action: 'not-due', reason: 'rate-budget', explanation, nextRenewalAt: at, durationMs: Date.now() - started };
      await recordSchedule(cert, outcome, taken.retryAt, deps);
      return outcome;
    }
  }

  log.info(`renewing: ${decision.explanation}`);
  let issuedVersion: string | undefined;
  try {
    await runCommands(cert.pre, cert, current?.version, deps, log);
    const issued = await issue(cert, current, request.newKey === true, deps, log);
    await store.addVersion(cert.name, issued.version, issued.files);
    issuedVersion = issued.version.id;
    if (cert.deploy) {
      const previous = await deps.deployer.live(cert.name, cert.deploy.targets);
      const at = deps.now().toISOString();
      state = { ...state, pendingDeploy: { version: issued.version.id, since: at }, deploying: { version: issued.version.id, ...(previous ? { previous } : {}), startedAt: at } };
      await store.saveState(cert.name, state);
      await deployAndVerify(cert, issued.version, issued.files, previous, deps, log);
    } else if (cert.verify.length > 0) {
      await deps.verifier.confirmServed(cert, issued.version.serialNumber);
    }
    await store.setCurrent(cert.name, issued.version.id);
    // Ask for ARI on the next run if the CA has it; a CA without it is not asked again for a day.
    const hasAri = await (await deps.issuers.get(cert.ca)).offersRenewalInfo();
    const nextPollAt = deps.now().getTime() + (hasAri ? 0 : NO_ARI_POLL_MS);
    state = { schemaVersion: 1, lastRunAt: new Date().toISOString(), lastSuccessAt: deps.now().toISOString(), ariPoll: { serialNumber: issued.version.serialNumber, nextPollAt } };
    if (cert.deploy) state = deployedState(state, cert, issued.version.id, deps.now());
    await store.saveState(cert.name, state);
    const next = decideRenewal({ certificate: timesOf(issued.version), policy: deps.policy, now: deps.now().getTime() });
    log.info(`renewed: serial ${issued.version.serialNumber}, valid until ${issued.version.notAfter}`);
    return {
      name: cert.name,
      action: 'renewed',
      ...versionFacts(issued.version),
      ...describeDecision(next),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    // Issued but not deployed: the certificate is kept and the next run deploys it without ordering.
    const stage = issuedVersion ? 'deploy' : 'order';
    // A config problem (terms not accepted, a bad profile) asked the CA for nothing: no backoff, so the
    // run after the operator fixed it goes ahead at once.
    const configProblem = err instanceof CertfleetError && err.exitCode === ExitCode.usage;
    state = configProblem ? { ...state, deploying: undefined } : recordFailure({ ...state, deploying: undefined }, err, stage, deps.now().getTime());
    // A state directory that cannot be written (full disk) must not hide the failure being recorded.
    await store.saveState(cert.name, state).catch((e: unknown) => log.error(`the failure could not be recorded: ${describeError(e)}`));
    const message = describeError(err);
    const failures = state.failures;
    const next =
      stage === 'deploy'
        ? { renewAt: deployBackoff(state, deps.policy, deps.now().getTime()) ?? deps.now().getTime(), reason: 'backoff', explanation: `the certificate was issued but not deployed; the next run deploys it again without ordering` }
        : decideRenewal({ ...(current ? { certificate: timesOf(current.version) } : {}), policy: deps.policy, ...(failures ? { failures } : {}), now: deps.now().getTime() });
    log.error(`${stage === 'deploy' ? 'deployment' : 'renewal'} failed: ${message}`);
    return { ...base, action: 'failed', error: message, ...failureFacts(err), failedStage: stage, nextRenewalAt: new Date(next.renewAt).toISOString(), reason: next.reason, explanation: next.explanation, durationMs: Date.now() - started };
  } finally {
    await runCommands(cert.post, cert, current?.version, deps, log).catch((err) => log.error(`post command failed: ${describeError(err)}`));
  }
}

/**
 * Why the certificate held must be deployed again without ordering: one issued but never deployed
 * (its deployment failed), a changed deploy section, or paths it was never deployed to. `record`:
 * state from before deployments were recorded, whose live version is the current one.
 */
async function deployNeed(cert: ManagedCertificate, state: CertificateState, served: Current | undefined, undeployed: Current | undefined, deployer: Deployer): Promise<string | 'record' | undefined> {
  if (undeployed) return `the certificate issued ${undeployed.version.issuedAt} (serial ${undeployed.version.serialNumber}) is not deployed yet`;
  if (!served) return undefined;
  const spec = deploySpecOf(cert)!;
  if (state.deployed) {
    if (state.deployed.spec !== spec) return 'the deploy section changed since the last deployment';
    return state.deployed.version === served.version.id ? undefined : `serial ${served.version.serialNumber} is not the one deployed`;
  }
  return (await deployer.live(cert.name, cert.deploy!.targets)) === served.version.id ? 'record' : 'not deployed at the configured paths yet';
}

/**
 * When this not-due decision can next change: the renewal time it computed, or the next renewalInfo
 * poll for the certificate held (a window can move), whichever comes first.
 */
function nextLook(decision: RenewalDecision, state: CertificateState, current: Current | undefined, now: number): number {
  if (!current || !(Date.parse(current.version.notAfter) > now)) return decision.renewAt;
  const poll = state.ariPoll?.serialNumber === current.version.serialNumber ? state.ariPoll.nextPollAt : now;
  return Math.min(decision.renewAt, poll);
}

/** A schedule that cannot be written costs the next run a full look at the certificate, nothing more. */
async function recordSchedule(cert: ManagedCertificate, outcome: CertificateOutcome, checkAt: number, deps: RenewDeps): Promise<void> {
  if (!deps.specHash) return;
  await deps.store.setSchedule(cert.name, scheduleOf(outcome, checkAt, deps.specHash(cert)));
}

/** When a failed deployment may be tried again (undefined: now). Deploying asks nothing of the CA, but a broken one must not churn every minute. */
function deployBackoff(state: CertificateState, policy: RenewalPolicy, now: number): number | undefined {
  const f = state.failures;
  if (!f || f.stage !== 'deploy' || f.lastFailureAt > now) return undefined;
  const at = f.lastFailureAt + backoffWait(policy, f.consecutiveFailures, Infinity);
  return at > now ? at : undefined;
}

/** Deploy the certificate held (no order), record it, and say why. */
async function redeploy(cert: ManagedCertificate, current: Current, state: CertificateState, why: string, request: RenewRequest, deps: RenewDeps, log: Logger, started: number): Promise<CertificateOutcome> {
  const { store } = deps;
  const base = { name: cert.name, ...versionFacts(current.version) };
  if (request.plan) return { ...base, action: 'would-deploy', reason: 'redeploy', explanation: why, durationMs: Date.now() - started };
  log.info(`deploying serial ${current.version.serialNumber} without a new order: ${why}`);
  const previous = await deps.deployer.live(cert.name, cert.deploy!.targets);
  state = { ...state, deploying: { version: current.version.id, ...(previous ? { previous } : {}), startedAt: deps.now().toISOString() } };
  await store.saveState(cert.name, state);
  try {
    await deployAndVerify(cert, current.version, current.files, previous, deps, log);
    await store.setCurrent(cert.name, current.version.id);
    state = { ...deployedState(state, cert, current.version.id, deps.now()), deploying: undefined, failures: undefined };
    await store.saveState(cert.name, state);
    const next = decideRenewal({ certificate: timesOf(current.version), ...(state.ari ? { ari: state.ari } : {}), policy: deps.policy, now: deps.now().getTime() });
    return { ...base, action: 'deployed', ...describeDecision(next), explanation: `deployed (${why}); ${next.explanation}`, durationMs: Date.now() - started };
  } catch (err) {
    state = recordFailure({ ...state, deploying: undefined }, err, 'deploy', deps.now().getTime());
    await store.saveState(cert.name, state).catch((e: unknown) => log.error(`the failure could not be recorded: ${describeError(e)}`));
    const retry = deployBackoff(state, deps.policy, deps.now().getTime()) ?? deps.now().getTime();
    log.error(`deployment failed: ${describeError(err)}`);
    return { ...base, action: 'failed', failedStage: 'deploy', error: describeError(err), reason: 'backoff', explanation: `the next deployment attempt at ${new Date(retry).toISOString()}`, nextRenewalAt: new Date(retry).toISOString(), durationMs: Date.now() - started };
  }
}

/** The state after `version` was deployed with the current deploy section: nothing pending. */
function deployedState(state: CertificateState, cert: ManagedCertificate, version: string, now: Date): CertificateState {
  const { targets } = cert.deploy!;
  const paths = Object.fromEntries((['cert', 'chain', 'fullchain', 'key', 'combined'] as const).flatMap((k) => (targets[k] ? [[k, targets[k]]] : [])));
  return { ...state, pendingDeploy: undefined, deployed: { version, spec: deploySpecOf(cert)!, at: now.toISOString(), paths } };
}

/** One more failure in a row; the CA's Retry-After (rate limits) is kept as a floor for the next try. */
function recordFailure(state: CertificateState, err: unknown, stage: 'order' | 'deploy', now: number): CertificateState {
  const retryAfterSeconds = err instanceof AcmeProblemError ? err.retryAfterSeconds : undefined;
  const retryNotBefore = retryAfterSeconds !== undefined ? now + Math.min(retryAfterSeconds, MAX_RETRY_AFTER_S) * 1000 : undefined;
  return {
    ...state,
    failures: {
      consecutiveFailures: (state.failures?.consecutiveFailures ?? 0) + 1,
      lastFailureAt: now,
      lastError: describeError(err),
      stage,
      ...(retryNotBefore !== undefined ? { retryNotBefore } : {}),
    },
  };
}

/** A Retry-After of a year is a CA's mistake, not a plan: at most a week. */
const MAX_RETRY_AFTER_S = 7 * 86_400;

async function readUndeployed(store: CertificateRecords, name: string, id: string, log: Logger): Promise<Current | undefined> {
  try {
    return await store.readVersion(name, id);
  } catch (err) {
    log.warn(`the issued certificate ${id} waiting to be deployed cannot be read (${describeError(err)}); a new one will be ordered when due`);
    return undefined;
  }
}

async function issue(cert: ManagedCertificate, current: Current | undefined, newKey: boolean, deps: RenewDeps, log: Logger): Promise<{ version: IssuedVersion; files: VersionFiles }> {
  const generated = cert.reuseKey && current && !newKey ? undefined : await generateKey(cert.keyType);
  const keyPem = generated?.pem ?? current!.files.keyPem;
  const csrDer = await createCsr(cert.domains, generated?.key ?? keyPem);
  const ca = await deps.issuers.get(cert.ca);
  const replaces = current && mayReplace(current.version, { domains: cert.domains, accountUrl: ca.accountUrl }, log) ? safeIdentifier(current.files.certPem) : undefined;
  const pem = await ca.order({ cert, csrDer, ...(replaces ? { replaces } : {}) }, { logger: log, ...(deps.signal ? { signal: deps.signal } : {}) });
  const blocks = findPemBlocks(pem).filter((b) => certificatePemTypes.has(b.type));
  if (blocks.length === 0) throw new Error('the CA returned no certificate');
  const [leaf, ...chain] = blocks;
  const info = parseCertificate(leaf!.der).info;
  const issuedAt = deps.now();
  const version: IssuedVersion = {
    id: versionId(issuedAt, info.serialNumber),
    serialNumber: info.serialNumber,
    fingerprintSha256: info.fingerprintSha256,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    domains: cert.domains,
    issuedAt: issuedAt.toISOString(),
    spec: orderSpecOf(cert),
    ...(ca.accountUrl ? { accountUrl: ca.accountUrl } : {}),
  };
  const certPem = leaf!.text + '\n';
  const chainPem = chain.map((b) => b.text + '\n').join('');
  return { version, files: { certPem, chainPem, fullchainPem: certPem + chainPem, keyPem } };
}

/**
 * Switch the deployed files to `version`, run the deploy commands, check what is served. On any
 * failure, switch back to `previous`, run the commands again, and rethrow.
 */
async function deployAndVerify(
  cert: ManagedCertificate,
  version: IssuedVersion,
  files: VersionFiles,
  previous: string | undefined,
  deps: RenewDeps,
  log: Logger,
): Promise<void> {
  const deploy = cert.deploy!;
  const warn = (m: string) => log.warn(m);
  await deps.deployer.stage(cert.name, version.id, deploy.targets, files, warn);
  await deps.deployer.link(cert.name, deploy.targets, warn, deps.now());
  try {
    await deps.exclusive(async () => {
      await deps.deployer.activate(cert.name, version.id, deploy.targets, warn, deps.now());
      await runCommands(deploy.commands, cert, version, deps, log, deploy.commandTimeoutMs);
    });
    if (cert.verify.length > 0) await deps.verifier.confirmServed(cert, version.serialNumber);
  } catch (err) {
    await rollBack(cert, previous, err, deps, log);
  }
  await deps.deployer.prune(cert.name, deploy.targets, [version.id, ...(previous ? [previous] : [])]);
}

/**
 * Put back what was served before a failed deployment and rethrow: the previous version of ours,
 * or on a first deployment the files found at the paths, exactly as they were. Where nothing was
 * there before, the new files stay (nothing served is better than nothing at all) and the message says so.
 */
async function rollBack(cert: ManagedCertificate, previous: string | undefined, err: unknown, deps: RenewDeps, log: Logger): Promise<never> {
  const deploy = cert.deploy!;
  const what = previous ? 'the previous certificate' : 'the files that were there before certfleet';
  if (!previous && !(await deps.deployer.hasFound(cert.name, deploy.targets))) {
    throw new Error(`deployment failed: ${describeError(err)}; nothing was at the deploy paths before, so the new files stay in place`, { cause: err });
  }
  log.error(`deployment failed (${describeError(err)}); putting back ${what}`);
  await deps.exclusive(async () => {
    if (previous) await deps.deployer.activate(cert.name, previous, deploy.targets, (m) => log.warn(m), deps.now());
    else await deps.deployer.restoreFound(cert.name, deploy.targets);
    await runCommands(deploy.commands, cert, undefined, deps, log, deploy.commandTimeoutMs).catch((e) => log.error(`deploy command failed again after putting back ${what}: ${describeError(e)}`));
  });
  throw new Error(`deployment failed and ${what} ${previous ? `was put back (version ${previous})` : 'were put back'}: ${describeError(err)}`, { cause: err });
}

async function runCommands(
  commands: readonly string[][],
  cert: ManagedCertificate,
  version: IssuedVersion | undefined,
  deps: RenewDeps,
  log: Logger,
  timeoutMs = 60_000,
): Promise<void> {
  // Most certificates have no pre/post commands: copying the environment for each of them was a measurable share of a large run.
  if (commands.length === 0) return;
  const env = {
    ...deps.commandEnv,
    ...certfleetEnv({
      name: cert.name,
      domains: cert.domains,
      serialNumber: version?.serialNumber ?? '',
      notAfter: version?.notAfter ?? '',
      paths: { ...(cert.deploy?.targets ?? {}) } as Record<string, string | undefined>,
    }),
  };
  for (const argv of commands) await deps.runCommand({ argv, env, timeoutMs, logger: log });
}

type Current = CurrentCertificate;

async function readCurrent(store: CertificateRecords, name: string, log: Logger): Promise<Current | undefined> {
  try {
    return await store.current(name);
  } catch (err) {
    log.warn(`the current version of ${name} cannot be read (${describeError(err)}); treating it as missing`);
    return undefined;
  }
}

function versionFacts(v: IssuedVersion): Pick<CertificateOutcome, 'serialNumber' | 'fingerprintSha256' | 'notBefore' | 'notAfter' | 'issuedAt'> {
  return { serialNumber: v.serialNumber, ...(v.fingerprintSha256 ? { fingerprintSha256: v.fingerprintSha256 } : {}), notBefore: v.notBefore, notAfter: v.notAfter, issuedAt: v.issuedAt };
}

function timesOf(v: IssuedVersion) {
  return { serialNumber: v.serialNumber, notBefore: Date.parse(v.notBefore), notAfter: Date.parse(v.notAfter) };
}

function describeDecision(d: RenewalDecision): Pick<CertificateOutcome, 'nextRenewalAt' | 'reason' | 'explanation' | 'exceedsPolicy' | 'explanationUrl'> {
  return { nextRenewalAt: new Date(d.renewAt).toISOString(), reason: d.reason, explanation: d.explanation, exceedsPolicy: d.exceedsPolicy, ...(d.explanationUrl ? { explanationUrl: d.explanationUrl } : {}) };
}

function safeIdentifier(certPem: string): string | undefined {
  const block = findPemBlocks(certPem).find((b) => certificatePemTypes.has(b.type));
  try {
    return block ? certificateIdentifier(block.der) : undefined;
  } catch {
    return undefined; // no AKI: the CA cannot have ARI for it either
  }
}

function prefixed(logger: Logger, name: string): Logger {
  return {
    debug: (m, f) => logger.debug(`${name}: ${m}`, f),
    info: (m, f) => logger.info(`${name}: ${m}`, f),
    warn: (m, f) => logger.warn(`${name}: ${m}`, f),
    error: (m, f) => logger.error(`${name}: ${m}`, f),
  };
}
