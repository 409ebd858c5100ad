/**
 * The solver contract (lego's Present/CleanUp, certbot's perform/cleanup): a solver makes one
 * ACME challenge answerable, then takes the answer away. The ACME module drives solvers through
 * this interface only; every solver passes the same conformance tests (test/conformance/).
 */
import type { Logger } from '../logger.js';

export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

export interface ChallengeTask {
  type: ChallengeType;
  /** The identifier being validated, without a wildcard prefix (`*.example.com` -> `example.com`). */
  domain: string;
  wildcard: boolean;
  /** The challenge token (http-01 path segment). */
  token: string;
  /** token + "." + base64url(JWK thumbprint): what http-01 serves and tls-alpn-01 hashes. */
  keyAuthorization: string;
  /** dns-01 TXT record value: base64url(SHA-256(keyAuthorization)). */
  dnsTxtValue: string;
}

export interface SolverContext {
  logger: Logger;
  /** Aborted when the run is cancelled or times out: stop waiting and clean up. */
  signal: AbortSignal;
}

export interface ChallengeSolver {
  readonly type: ChallengeType;
  /** Make the challenge answerable; for dns-01, resolve only once the record is visible on the authoritative servers. */
  present(task: ChallengeTask, context: SolverContext): Promise<void>;
  /** Remove what present() put in place. Must be safe to call after a failed or partial present(). */
  cleanup(task: ChallengeTask, context: SolverContext): Promise<void>;
  /** Release listeners and connections once every task of a run is done. */
  close?(): Promise<void>;
}
