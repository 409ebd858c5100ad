/**
 * An OAuth2 access token kept for its lifetime (Google's service-account grant, Azure's client
 * credentials): one token request per client, not one per record. Callers that ask while a request
 * is under way share it; a failed request is not kept, so the next call asks again.
 */
import { abortReason } from '../errors.js';

export interface IssuedToken {
  accessToken: string;
  /** Seconds from issue, as the token endpoint's `expires_in` says. */
  expiresIn: number;
}

/** A token is renewed this long before it expires, so a request never carries one about to lapse. */
const RENEW_MARGIN_MS = 60_000;
/**
 * The shared token request's own limit. It is not bound to the first caller's signal: callers that
 * arrive while it is under way share it, and one cancelled present() must not fail the others.
 */
export const TOKEN_REQUEST_LIMIT_MS = 120_000;

export function cachedToken(request: (signal: AbortSignal) => Promise<IssuedToken>, now: () => Date): (signal: AbortSignal) => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  return async (signal) => {
    if (current && now().getTime() < current.expiresAt - RENEW_MARGIN_MS) return current.token;
    pending ??= request(AbortSignal.timeout(TOKEN_REQUEST_LIMIT_MS))
      .then((issued) => {
        current = { token: issued.accessToken, expiresAt: now().getTime() + issued.expiresIn * 1000 };
        return issued.accessToken;
      })
      .finally(() => {
        pending = undefined;
      });
    return untilAborted(pending, signal);
  };
}

/** `work`, or this caller's cancellation, whichever comes first (the work itself goes on for the others). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The token endpoint's JSON answer, checked: `access_token` and `expires_in` (seconds; a string in some answers). */
export function readTokenResponse(body: unknown): IssuedToken | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  if (typeof accessToken !== 'string' || accessToken === '' || typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  return { accessToken, expiresIn: seconds };
}
