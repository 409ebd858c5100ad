/**
 * `renew` as a library call: lock the state directory, renew every managed certificate that is
 * due (a few at a time), report each one. A certificate's failure never stops the others.
 */
import { mkdir } from 'node:fs/promises';
import { mapConcurrently, oneAtATime } from '../concurrency.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { AccountStore } from '../store/account-store.js';
import { CertificateStore } from '../store/certificate-store.js';
import { acquireLock } from '../store/lock.js';
import { AcmeIssuers, fileDeployer, handshakeVerifier, processRunner } from './real-ports.js';
import { selectCertificates, type RenewSettings } from './managed.js';
import { appendHistory, historyEntries } from './history.js';
import { writeManagedSummary } from './managed-summary.js';
import { renewCertificate, type CertificateOutcome, type RenewDeps, type RenewRequest } from './renew-certificate.js';

export const RENEW_SCHEMA_VERSION = 1;

export interface RenewRunOptions extends RenewRequest {
  /** Only these certificates (names); empty = all. */
  names: string[];
  concurrency: number;
  /** How long to wait for another run's lock. */
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
}

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
  const store = new CertificateStore(settings.stateDir);
  // The real CA only when no fake was given (tests): building it opens nothing, closing it frees its connections.
  const acme = hooks.ports?.issuers ? undefined : new AcmeIssuers(new AccountStore(settings.stateDir), hooks.logger, hooks.now, hooks.commandEnv);
  const ports = { deployer: fileDeployer, verifier: handshakeVerifier, runCommand: processRunner, ...hooks.ports, issuers: hooks.ports?.issuers ?? acme! };
  await mkdir(settings.stateDir, { recursive: true, mode: 0o700 });
  const lock = options.plan ? undefined : await acquireLock(settings.stateDir, { waitMs: options.lockWaitMs, pid: hooks.pid });
  let outcomes: CertificateOutcome[];
  const problems: string[] = [];
  try {
    const deps = { store, ...ports, policy: settings.policy, exclusive: oneAtATime(), ...hooks };
    outcomes = await mapConcurrently(selected, options.concurrency, (cert) => renewCertificate(cert, options, deps), hooks.onCertificate);
    if (!options.plan) {
      const problem = (what: string) => (err: unknown) => {
        problems.push(`${what}: ${describeError(err)}`);
        hooks.logger.error(problems.at(-1)!);
      };
      await writeManagedSummary(settings, outcomes, hooks.now()).catch(problem('the run summary for `report` was not written'));
      // Still under the lock: a rotation never races another run's append.
      await appendHistory(settings.stateDir, historyEntries(outcomes, started)).catch(problem('the run history was not written'));
    }
  } finally {
    acme?.close();
    await lock?.release();
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
