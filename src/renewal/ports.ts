/**
 * What one renewal asks of the world, as interfaces: the CA, the deploy paths, the servers that
 * must show the new serial, the operator's commands. renewCertificate knows only these (plus the
 * store, the clock and the randomness it is given), so every branch of a run — order, deploy,
 * verify, rollback, spec drift, backoff, Retry-After, ARI errors — is tested in milliseconds with
 * fakes (test/helpers/fake-renew-ports.ts; cert-manager's FakeACME is the model), and against the
 * real parts end to end. The real implementations are in real-ports.ts.
 */
import type { RenewalInfo } from '../acme/index.js';
import type { Logger } from '../logger.js';
import type { VersionFiles } from '../store/certificate-store.js';
import type { CommandRun } from './commands.js';
import type { DeployTargets, DeployWarn } from './deploy-files.js';
import type { CaSettings, ManagedCertificate } from './managed.js';

/** One CA with its account ready (registered or found again). */
export interface CaPort {
  /** The account orders go to: `replaces` is only sent for a certificate of the same account. */
  readonly accountUrl: string | undefined;
  /** Whether the CA's directory offers ARI (RFC 9773). */
  offersRenewalInfo(): Promise<boolean>;
  /** The CA's suggested window for a certificate; undefined when the CA has no ARI. */
  renewalInfo(certPem: string): Promise<RenewalInfo | undefined>;
  /** Order, validate through the certificate's challenge, finalize: the chain as PEM, leaf first. */
  order(request: { cert: ManagedCertificate; csrDer: Uint8Array; replaces?: string }, context: { logger: Logger; signal?: AbortSignal }): Promise<string>;
}

export interface Issuers {
  /** The CA of these settings, its account ready; a failure (the CA down) is not remembered. */
  get(ca: CaSettings): Promise<CaPort>;
}

/** The deploy paths (deploy-files.ts on disk). */
export interface Deployer {
  live(name: string, targets: DeployTargets): Promise<string | undefined>;
  stage(name: string, versionId: string, targets: DeployTargets, files: VersionFiles, warn: DeployWarn): Promise<void>;
  /** Make the paths links into the home without changing what is served (outside the switch sections). */
  link(name: string, targets: DeployTargets, warn: DeployWarn, now: Date): Promise<void>;
  activate(name: string, versionId: string, targets: DeployTargets, warn: DeployWarn, now: Date): Promise<void>;
  hasFound(name: string, targets: DeployTargets): Promise<boolean>;
  restoreFound(name: string, targets: DeployTargets): Promise<boolean>;
  prune(name: string, targets: DeployTargets, keep: readonly string[]): Promise<void>;
}

/** The servers a certificate is served by: throws unless each shows the serial. */
export interface Verifier {
  confirmServed(cert: ManagedCertificate, serialNumber: string): Promise<void>;
}

/** Runs one operator command (pre, deploy, post): throws when it fails or times out. */
export type CommandRunner = (run: CommandRun) => Promise<void>;
