/**
 * `certfleet agent --once` as a library call: one host's part of "order once, deploy everywhere".
 * A runner orders a certificate whose spec names `hosts` and makes a version current in the shared
 * store; here, on each of those hosts, the current version is copied into the host's own state
 * directory and deployed by today's deployment, unchanged (renewCertificate with deployOnly: deploy
 * files, commands, served-serial verify, rollback, journal), and the result is reported to the
 * shared store's `deployments`. Nothing here orders: the agent asks no CA.
 */
import { mapConcurrently, oneAtATime } from '../concurrency.js';
import { checkedEntry, type SpecSource } from '../config/certificate-files.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ManagedCertificate } from '../renewal/managed.js';
import type { Issuers } from '../renewal/ports.js';
import { fileDeployer, handshakeVerifier, processRunner } from '../renewal/real-ports.js';
import { renewCertificate, type RenewDeps } from '../renewal/renew-certificate.js';
import type { RenewalPolicy } from '../renewal/decision.js';
import { hostKeyRecords, type DeploymentRecords, type HostAssignment, type StateStore } from '../store/ports.js';
import type { AgentKey } from './agent-key.js';
import { confinedUnderRoot } from './deploy-root.js';
import { stageLocally } from './stage-local.js';
import { filesForHost } from './version-key.js';

export const AGENT_SCHEMA_VERSION = 1;

export type AgentStatus = 'deployed' | 'already-deployed' | 'waiting' | 'busy' | 'failed';

export interface AgentCertificateOutcome {
  name: string;
  status: AgentStatus;
  /** The store's current version (absent while waiting for the first issuance). */
  version?: string;
  serialNumber?: string;
  error?: string;
}

export interface AgentResult {
  schemaVersion: typeof AGENT_SCHEMA_VERSION;
  host: string;
  root?: string;
  /** Where the agent's own deploy state is (its state directory). */
  localState: string;
  certificates: AgentCertificateOutcome[];
  summary: { assigned: number; deployed: number; alreadyDeployed: number; waiting: number; busy: number; failed: number; durationMs: number };
}

export interface AgentOnceInput {
  host: string;
  /** Prefix of every deploy path (deploy-root.ts). */
  root?: string;
  /** Resolves a stored spec on this host (its deploy programs and paths: this host's), without the CA or the challenge (role 'agent' in renew-options.ts). */
  specs: Pick<SpecSource, 'resolve'>;
  policy: RenewalPolicy;
  /** The shared store: the specs, the current versions, where the agent reports. */
  shared: StateStore & { deployments: DeploymentRecords };
  /** The agent's own state directory (a FileStateStore): the per-host deploy journal. */
  local: StateStore;
  /** This agent's key pair (agent-key.ts): keys wrapped to it need no data key. Absent: the data key only. */
  hostKey?: AgentKey;
  /** Certificates deployed at once (default 4, as renew's); switching files and running the deploy commands still take turns. */
  concurrency?: number;
}

export const DEFAULT_AGENT_CONCURRENCY = 4;

export interface AgentIo {
  now: () => Date;
  random: () => number;
  logger: Logger;
  /** The environment deploy commands start from (the CLI passes its own); CERTFLEET_HOST and CERTFLEET_ROOT are added. */
  commandEnv: Readonly<Record<string, string | undefined>>;
  /** Who holds the local lease while deploying (with-lease.ts runnerId). */
  owner: string;
  onCertificate?: (outcome: AgentCertificateOutcome, done: number, total: number) => void;
  /** Aborted: finish the deployment under way and attempt no other (the long-running agent's stop); the result lists those attempted. */
  stop?: AbortSignal;
  /** Fakes for the deploy paths, verification or commands (tests); the real parts otherwise. */
  ports?: Partial<Pick<RenewDeps, 'deployer' | 'verifier' | 'runCommand'>>;
}

/** Long enough for a deployment's commands (60 s each by default) and its verification. */
const LOCAL_LEASE_MS = 10 * 60_000;

/** The agent orders nothing: a path that reached for a CA would be a bug, said plainly. */
const noIssuers: Issuers = {
  get: () => Promise.reject(new Error('the agent deploys what the runner ordered; it asks no CA')),
};

/**
 * Every certificate assigned to the host, a few at a time (staging, key unwrapping and verification
 * overlap; activating and the deploy commands take turns through `exclusive`, as in renew); one's
 * failure never stops the others.
 */
export async function runAgentOnce(input: AgentOnceInput, io: AgentIo): Promise<AgentResult> {
  const t0 = Date.now();
  const assigned = await input.shared.deployments.assignedTo(input.host);
  const deps: RenewDeps = {
    store: input.local.certificates,
    issuers: noIssuers,
    deployer: io.ports?.deployer ?? fileDeployer,
    verifier: io.ports?.verifier ?? handshakeVerifier,
    runCommand: io.ports?.runCommand ?? processRunner,
    policy: input.policy,
    now: io.now,
    random: io.random,
    logger: io.logger,
    commandEnv: { ...io.commandEnv, CERTFLEET_HOST: input.host, ...(input.root !== undefined ? { CERTFLEET_ROOT: input.root } : {}) },
    exclusive: oneAtATime(),
  };
  let attempted = 0;
  // A stop lets the deployments under way finish and starts no other: the result lists those
  // attempted, in the order they were assigned.
  const outcomes = await mapConcurrently(assigned, input.concurrency ?? DEFAULT_AGENT_CONCURRENCY, async (assignment) => {
    if (io.stop?.aborted) return undefined;
    const outcome = await deployOne(assignment, input, deps, io);
    io.onCertificate?.(outcome, ++attempted, assigned.length);
    return outcome;
  });
  const certificates = outcomes.filter((o): o is AgentCertificateOutcome => o !== undefined);
  const count = (s: AgentStatus) => certificates.filter((c) => c.status === s).length;
  return {
    schemaVersion: AGENT_SCHEMA_VERSION,
    host: input.host,
    ...(input.root !== undefined ? { root: input.root } : {}),
    localState: input.local.location,
    certificates,
    summary: {
      assigned: assigned.length,
      deployed: count('deployed'),
      alreadyDeployed: count('already-deployed'),
      waiting: count('waiting'),
      busy: count('busy'),
      failed: count('failed'),
      durationMs: Date.now() - t0,
    },
  };
}

/** What needs doing for one assignment, done, and reported to the shared store. Never throws. */
async function deployOne(a: HostAssignment, input: AgentOnceInput, deps: RenewDeps, io: AgentIo): Promise<AgentCertificateOutcome> {
  const { name, currentVersion } = a;
  if (currentVersion === undefined) return { name, status: 'waiting' };
  // A failed attempt is tried again on every pass: the deploy journal's backoff lives in the runner's
  // decision, and an agent run by a timer is already paced by it.
  if (a.deployed?.status === 'deployed' && a.deployed.version === currentVersion) return { name, status: 'already-deployed', version: currentVersion };
  const lease = await input.local.leases.acquire(name, io.owner, LOCAL_LEASE_MS).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
  if (lease instanceof Error) return failed(name, currentVersion, undefined, `its local lease could not be taken: ${describeError(lease)}`, input, io);
  if (!lease) return { name, status: 'busy', version: currentVersion };
  let serialNumber: string | undefined;
  try {
    const cert: ManagedCertificate = await confinedUnderRoot(await input.specs.resolve(checkedEntry(a.spec)), input.root);
    const stored = await input.shared.certificates.readVersion(name, currentVersion);
    serialNumber = stored.version.serialNumber;
    const { files, via, requested } = await filesForHost(name, stored, { host: input.host, own: input.hostKey, records: hostKeyRecords(input.shared) });
    io.logger.info(
      via === 'host-key'
        ? `${name}: private key unwrapped with host ${input.host}'s own key`
        : `${name}: private key decrypted with the store's data key (none wrapped to this agent's key${requested ? '; the next certfleet renew wraps it' : ''})`,
    );
    await stageLocally(input.local.certificates, name, { version: stored.version, files }, io.now(), (m) => io.logger.warn(`${name}: ${m}`));
    const outcome = await renewCertificate(cert, { force: false, plan: false, deployOnly: true }, deps);
    if (outcome.action !== 'deployed') return await failed(name, currentVersion, serialNumber, outcome.error ?? outcome.explanation, input, io);
    await input.shared.deployments.record(name, input.host, { status: 'deployed', version: currentVersion });
    io.logger.info(`${name}: deployed serial ${serialNumber} on ${input.host}`);
    return { name, status: 'deployed', version: currentVersion, serialNumber };
  } catch (err) {
    return failed(name, currentVersion, serialNumber, describeError(err), input, io);
  } finally {
    await input.local.leases.release(lease).catch((err: unknown) => io.logger.warn(`${name}: the local lease could not be released (it expires by itself): ${describeError(err)}`));
  }
}

/** A failure, reported to the shared store; a report that cannot be written is added to the reason. */
async function failed(name: string, version: string, serialNumber: string | undefined, error: string, input: AgentOnceInput, io: AgentIo): Promise<AgentCertificateOutcome> {
  io.logger.error(`${name}: deployment on ${input.host} failed: ${error}`);
  let reason = error;
  try {
    await input.shared.deployments.record(name, input.host, { status: 'failed', version, detail: error });
  } catch (err) {
    reason = `${error} (and the failure could not be reported to the store: ${describeError(err)})`;
  }
  return { name, status: 'failed', version, ...(serialNumber !== undefined ? { serialNumber } : {}), error: reason };
}
