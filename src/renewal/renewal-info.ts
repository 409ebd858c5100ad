/**
 * Keeping a certificate's ACME Renewal Information fresh (RFC 9773): ask when the last answer's
 * Retry-After has passed, pick the random moment inside a new window once and keep it, remember a
 * CA that has no ARI so it is not asked every minute, and never fail a run because ARI did.
 */
import type { AcmeClient } from '../acme/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { CertificateState, IssuedVersion, VersionFiles } from '../store/certificate-store.js';
import { chooseInWindow } from './decision.js';

/** Poll ARI again after this long when the CA sent no Retry-After; a CA without ARI is asked daily. */
export const ARI_POLL_MS = 6 * 3_600_000;
export const NO_ARI_POLL_MS = 24 * 3_600_000;

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

export async function refreshRenewalInfo(current: CurrentCertificate, state: CertificateState, deps: RenewalInfoDeps): Promise<CertificateState> {
  const now = deps.now().getTime();
  try {
    const client = await deps.client();
    const info = await client.renewalInfo(current.files.certPem);
    const serialNumber = current.version.serialNumber;
    if (!info) {
      // No ARI at this CA: remember that, so runs every minute do not ask every minute.
      return { ...state, ari: undefined, ariPoll: { serialNumber, nextPollAt: now + NO_ARI_POLL_MS } };
    }
    const { start, end } = info.suggestedWindow;
    const keep = state.ari?.serialNumber === serialNumber && state.ari.windowStart === start && state.ari.windowEnd === end;
    return {
      ...state,
      ariPoll: { serialNumber, nextPollAt: now + (info.retryAfterSeconds !== undefined ? info.retryAfterSeconds * 1000 : ARI_POLL_MS) },
      ari: {
        serialNumber: current.version.serialNumber,
        windowStart: start,
        windowEnd: end,
        // The same window keeps the moment already chosen (RFC 9773: choose once).
        chosenAt: keep ? state.ari!.chosenAt : chooseInWindow(start, end, deps.random()),
        ...(info.explanationURL ? { explanationUrl: info.explanationURL } : {}),
      },
    };
  } catch (err) {
    deps.logger.warn(`renewal information unavailable (${describeError(err)}); using the lifetime schedule`);
    return state;
  }
}

