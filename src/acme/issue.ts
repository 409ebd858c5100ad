/**
 * One certificate, start to finish: order -> make every pending challenge answerable through the
 * solvers (src/challenges) -> tell the CA -> wait for the authorizations -> finalize with the CSR
 * -> download the chain. Challenges of one order are presented, answered and awaited side by side,
 * a bounded number at a time (fan-out.ts), and every present() that started is matched by a
 * cleanup(), whatever failed.
 */
import type { ChallengeSolver, ChallengeType, SolverContext } from '../challenges/types.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { AcmeClient, OrderRequest, WaitOptions } from './client.js';
import { AcmeError } from './errors.js';
import { CA_REQUEST_CONCURRENCY, eachBounded, SOLVER_CONCURRENCY } from './fan-out.js';
import { checkIssuedCertificate } from './issued-check.js';
import type { AcmeAuthorization, AcmeChallenge } from './resources.js';

export interface IssueRequest extends OrderRequest {
  /** DER of the CSR for exactly these identifiers (createCsr). */
  csrDer: Uint8Array;
}

export interface IssueOptions {
  /** Solvers by challenge type; the first type in `preference` the CA offers and a solver exists for wins. */
  solvers: Partial<Record<ChallengeType, ChallengeSolver>>;
  preference?: ChallengeType[];
  logger?: Logger;
  signal?: AbortSignal;
  /** Limits for waiting on authorizations and on the order (each). */
  wait?: WaitOptions;
  /** The clock the issued certificate's validity is checked against (issued-check.ts); default the system's. */
  now?: () => Date;
}

export interface IssuedCertificate {
  orderUrl: string;
  /** PEM, leaf first, then the chain the CA sent. */
  certificatePem: string;
  /** Profile the CA says it applied, if any. */
  profile: string | undefined;
  /** Milliseconds from newOrder to the downloaded chain. */
  elapsedMs: number;
}

// dns-persist-01 last: it is chosen when it is the challenge configured (one solver per certificate).
const defaultPreference: ChallengeType[] = ['http-01', 'dns-01', 'tls-alpn-01', 'dns-persist-01'];

interface ChosenChallenge {
  authorization: AcmeAuthorization;
  challenge: AcmeChallenge;
  solver: ChallengeSolver;
}

function pickChallenge(authz: AcmeAuthorization, options: IssueOptions): ChosenChallenge {
  for (const type of options.preference ?? defaultPreference) {
    const solver = options.solvers[type];
    const challenge = authz.challenges.find((c) => c.type === type);
    if (solver && challenge) return { authorization: authz, challenge, solver };
  }
  const offered = [...authz.challenges.map((c) => c.type), ...authz.otherChallengeTypes];
  const name = authz.wildcard ? `*.${authz.identifier}` : authz.identifier;
  throw new AcmeError(
    `no configured challenge can validate ${name}: the CA offers ${offered.join(', ') || 'nothing'}, certfleet has solvers for ${Object.keys(options.solvers).join(', ') || 'nothing'}`,
    { code: 'acme-no-challenge', hint: authz.wildcard ? 'wildcard names can only be validated with dns-01' : undefined },
  );
}

export async function issueCertificate(client: AcmeClient, request: IssueRequest, options: IssueOptions): Promise<IssuedCertificate> {
  const logger = options.logger ?? silentLogger;
  // Our own abort joins the caller's: when one authorization fails, the others stop polling.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const wait: WaitOptions = { ...options.wait, signal };
  const started = performance.now();
  const order = await client.order(request);

  // Authorizations the CA already holds as valid (reuse) need nothing from us.
  const picks = order.authorizations.filter((a) => a.status === 'pending').map((a) => pickChallenge(a, options));
  const context: SolverContext = { logger, signal };
  // The first failure stops the others at once (their waits see the abort); its error is the one thrown.
  const failFast = (err: unknown) => stop.abort(err);
  const presented: ChosenChallenge[] = [];
  try {
    await eachBounded(picks, SOLVER_CONCURRENCY, (pick) => {
      presented.push(pick);
      return pick.solver.present(pick.challenge.task, context);
    }, failFast);
    await eachBounded(picks, CA_REQUEST_CONCURRENCY, (pick) => client.answer(pick.challenge.url), failFast);
    await eachBounded(picks, CA_REQUEST_CONCURRENCY, (pick) => client.waitForAuthorization(pick.authorization.url, wait), failFast);
  } catch (err) {
    stop.abort(err);
    throw err;
  } finally {
    // Every solver whose present() started cleans up, even after a partial present (the solver contract).
    await eachBounded(presented, SOLVER_CONCURRENCY, (pick) =>
      pick.solver.cleanup(pick.challenge.task, { logger, signal: new AbortController().signal }).catch((err: unknown) => {
        // A failed cleanup must not hide why the order failed; it is reported, not thrown.
        logger.warn('challenge cleanup failed', { type: pick.challenge.type, domain: pick.challenge.task.domain, error: err instanceof Error ? err.message : String(err) });
      }),
    );
  }

  const ready = await client.waitForOrder(order.url, wait);
  // The last moment to stop: a caller that gave up (a runner that lost its lease) gets no certificate
  // it could not keep, and spends no CA rate-limit unit on one.
  options.signal?.throwIfAborted();
  const finalized = await client.finalize(ready, request.csrDer);
  const valid = finalized.status === 'valid' && finalized.certificateUrl ? finalized : await client.waitForOrder(order.url, { ...wait, first: finalized });
  const certificatePem = await client.downloadCertificate(valid);
  // Nothing the CA sent leaves here (to be stored, deployed) unless it is what was ordered.
  checkIssuedCertificate(certificatePem, { orderUrl: order.url, identifiers: request.identifiers, csrDer: request.csrDer, now: options.now?.() ?? new Date() });
  const elapsedMs = performance.now() - started;
  logger.info('certificate issued', { order: order.url, identifiers: order.identifiers, ms: Math.round(elapsedMs) });
  return { orderUrl: order.url, certificatePem, profile: valid.profile, elapsedMs };
}
