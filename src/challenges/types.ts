/**
 * The solver contract (lego's Present/CleanUp, certbot's perform/cleanup): a solver makes one
 * ACME challenge answerable, then takes the answer away. The ACME module drives solvers through
 * this interface only; every solver passes the same conformance tests (test/conformance/).
 */
import type { Logger } from '../logger.js';

export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01' | 'dns-persist-01';

/**
 * What a dns-persist-01 challenge binds (draft-ietf-acme-dns-persist-02): the CA's issuer domain
 * names (the challenge's issuerDomainNames, -01's issuer-domain-names) and the account the record
 * must name. It has no token: the record is the same for every order.
 */
export interface PersistChallengeData {
  issuerDomainNames: string[];
  accountUrl: string;
  /** The account key's RFC 7638 thumbprint (base64url). */
  thumbprint: string;
  /** The directory's meta.accountHashPrefix (-02's hashed accounturi); absent: the -01 form. */
  accountHashPrefix?: string;
}

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
  /** dns-persist-01 only (token, keyAuthorization and dnsTxtValue are then empty). */
  persist?: PersistChallengeData;
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
