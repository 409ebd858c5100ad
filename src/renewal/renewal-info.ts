/**
 * Keeping a certificate's ACME Renewal Information fresh, as RFC 9773 4.3 says: ask right after
 * issuance, then as soon as the last answer's Retry-After has passed; never ask about an expired
 * certificate; after an error wait as 4.3.3 says (a temporary error backs off exponentially, a few
 * times; a long-term one waits six hours); pick the random moment inside a new window once and
 * keep it; remember a CA that has no ARI; never fail a run because ARI did. Also the one home of
 * the rules for `replaces` (RFC 9773 5) and for asking again at once after a revocation.
 */
import { AcmeProblemError, AcmeTransportError, clampRetryAfter, InvalidRenewalInfoError, type AcmeClient } from '../acme/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CertificateState, IssuedVersion, VersionFiles } from '../store/certificate-store.js';
import { chooseInWindow } from './decision.js';

/**
 * Poll ARI again after this long when the CA sent no Retry-After, and after a long-term error
 * (RFC 9773 4.3.3: "as soon as possible after six hours have passed"). A CA without ARI is asked daily.
 */
export const ARI_POLL_MS = 6 * 3_600_000;
export const NO_ARI_POLL_MS = 24 * 3_600_000;
/**
 * Temporary errors (timeouts, 5xx) back off from a minute, doubling: a minute is the shortest
 * interval RFC 9773 4.3.2 calls reasonable between two checks. The RFC wants "a capped number of
 * tries", after which the error counts as long-term: the 5th temporary error in a row (after
 * 1 + 2 + 4 + 8 = 15 minutes of retries) waits the long-term six hours, and the count starts again.
 */
export const ARI_TEMPORARY_BACKOFF_BASE_MS = 60_000;
export const ARI_TEMPORARY_TRIES = 5;

export interface CurrentCertificate {
  version: IssuedVersion;
  files: VersionFiles;
}

export interface RenewalInfoDeps {
  client: () => Promise<Pick<AcmeClient, 'renewalInfo'>>;
  now: () => Date;
  random: () => number;
  logger: Logger;
}

/**
 * Whether this run should ask the CA about the certificate: never once it has expired (RFC 9773
 * 4.3: MUST NOT), always for a serial not asked about yet, otherwise once the scheduled time came.
 */
export function renewalInfoDue(version: Pick<IssuedVersion, 'serialNumber' | 'notAfter'>, state: Pick<CertificateState, 'ariPoll'>, now: number): boolean {
  if (!(Date.parse(version.notAfter) > now)) return false;
  return state.ariPoll?.serialNumber !== version.serialNumber || state.ariPoll.nextPollAt <= now;
}

/**
 * The state after certfleet revoked (or learned of the revocation of) the certificate: the next
 * run asks ARI at once, and the CA's answer (a window in the past) makes the renewal due now.
 */
export function askRenewalInfoNow(state: CertificateState, serialNumber: string): CertificateState {
  return { ...state, ariPoll: { serialNumber, nextPollAt: 0 } };
}

export async function refreshRenewalInfo(current: CurrentCertificate, state: CertificateState, deps: RenewalInfoDeps): Promise<CertificateState> {
  const now = deps.now().getTime();
  const serialNumber = current.version.serialNumber;
  // RFC 9773 4.3: clients MUST NOT check the RenewalInfo of an expired certificate.
  if (!(Date.parse(current.version.notAfter) > now)) return state;
  try {
    const client = await deps.client();
    const info = await client.renewalInfo(current.files.certPem);
    if (!info) {
      // No ARI at this CA: remember that, so runs every minute do not ask every minute.
      return { ...state, ari: undefined, ariPoll: { serialNumber, nextPollAt: now + NO_ARI_POLL_MS } };
    }
    const { start, end } = info.suggestedWindow;
    const keep = state.ari?.serialNumber === serialNumber && state.ari.windowStart === start && state.ari.windowEnd === end;
    return {
      ...state,
      // No Retry-After is a long-term error (4.3.3) for the schedule only: the window itself is good.
      ariPoll: { serialNumber, nextPollAt: now + (info.retryAfterSeconds !== undefined ? info.retryAfterSeconds * 1000 : ARI_POLL_MS) },
      ari: {
        serialNumber,
        windowStart: start,
        windowEnd: end,
        // The same window keeps the moment already chosen (RFC 9773: choose once).
        chosenAt: keep ? state.ari!.chosenAt : chooseInWindow(start, end, deps.random()),
        ...(info.explanationURL ? { explanationUrl: info.explanationURL } : {}),
      },
    };
  } catch (err) {
    const previous = state.ariPoll?.serialNumber === serialNumber ? (state.ariPoll.temporaryErrors ?? 0) : 0;
    const { kind, retryAfterSeconds } = classifyRenewalInfoError(err);
    const temporaryErrors = kind === 'temporary' ? previous + 1 : 0;
    const wait = renewalInfoErrorWait(temporaryErrors, retryAfterSeconds);
    const message = describeError(err);
    const kept = state.ari?.serialNumber === serialNumber ? 'keeping the last window the CA suggested' : 'using the lifetime schedule';
    deps.logger.warn(`renewal information unavailable (${message}); asking again at ${new Date(now + wait).toISOString()}, ${kept} until then`);
    // A long-term error (or the last allowed temporary one) starts the count again after its six hours.
    const counted = wait >= ARI_POLL_MS ? 0 : temporaryErrors;
    return { ...state, ariPoll: { serialNumber, nextPollAt: now + wait, ...(counted ? { temporaryErrors: counted } : {}), lastError: message } };
  }
}

export type RenewalInfoErrorKind = 'temporary' | 'long-term';

/** Node error codes RFC 9773 4.3.3 counts as temporary: "connection timeout", "request timeout", and their kin. */
const temporaryNetworkCodes = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/**
 * RFC 9773 4.3.3's two kinds of error. Temporary: connection and request timeouts, 5xx answers.
 * Long-term: everything else, among them 4xx answers (404 for a certificate the CA does not know),
 * an invalid RenewalInfo, a DNS lookup failure and a refused connection, as the RFC lists them.
 * With the CA's Retry-After, when its answer had one.
 */
export function classifyRenewalInfoError(err: unknown): { kind: RenewalInfoErrorKind; retryAfterSeconds?: number } {
  if (err instanceof AcmeProblemError) {
    const retryAfterSeconds = clampRetryAfter(err.retryAfterSeconds);
    return { kind: err.status >= 500 ? 'temporary' : 'long-term', ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
  if (err instanceof InvalidRenewalInfoError) {
    return { kind: 'long-term', ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}) };
  }
  if (err instanceof AcmeTransportError) {
    return { kind: err.causeCode !== undefined && temporaryNetworkCodes.has(err.causeCode) ? 'temporary' : 'long-term' };
  }
  return { kind: 'long-term' };
}

/**
 * How long to wait after an error: the n-th temporary error in a row waits 1, 2, 4, 8 minutes;
 * the ARI_TEMPORARY_TRIES-th and any long-term error (n = 0) six hours. A Retry-After the CA sent
 * with the error (clamped to a minute .. a day) is a floor: backoff on errors takes priority over
 * an earlier time (RFC 9773 4.3.2), and the CA's wish to be left alone longer is honoured.
 */
export function renewalInfoErrorWait(temporaryErrors: number, retryAfterSeconds?: number): number {
  const backoff =
    temporaryErrors > 0 && temporaryErrors < ARI_TEMPORARY_TRIES ? ARI_TEMPORARY_BACKOFF_BASE_MS * 2 ** (temporaryErrors - 1) : ARI_POLL_MS;
  const floor = clampRetryAfter(retryAfterSeconds);
  return Math.max(backoff, floor !== undefined ? floor * 1000 : 0);
}

/**
 * Whether a new order may name `previous` in `replaces` (RFC 9773 5: the CA accepts it only from
 * the account that ordered `previous`, for an order sharing at least one identifier with it).
 * An older version that did not record its account is given the benefit of the doubt: the
 * client orders once more without `replaces` when the CA refuses it. Says why not, in the log.
 */
export function mayReplace(previous: Pick<IssuedVersion, 'serialNumber' | 'domains' | 'accountUrl'>, next: { domains: readonly string[]; accountUrl: string | undefined }, log?: Logger): boolean {
  const had = new Set(previous.domains.map((d) => d.toLowerCase()));
  if (!next.domains.some((d) => had.has(d.toLowerCase()))) {
    log?.info(`not sending replaces: the new order shares no name with serial ${previous.serialNumber} (${previous.domains.join(', ')})`);
    return false;
  }
  if (previous.accountUrl !== undefined && next.accountUrl !== undefined && previous.accountUrl !== next.accountUrl) {
    log?.info(`not sending replaces: serial ${previous.serialNumber} was ordered by another ACME account (${previous.accountUrl})`);
    return false;
  }
  return true;
}
