/**
 * ACME Renewal Information (RFC 9773). A certificate is named by
 * base64url(AKI keyIdentifier) "." base64url(serial number DER content octets) — the serial's
 * bytes exactly as encoded, including the 0x00 that keeps a high-bit serial positive (which
 * Node's and openssl's hex serials drop). The CA answers GET {renewalInfo}/{id} with a suggested
 * window; Retry-After says when to ask again.
 */
import { parseCertificate } from '../x509/certificate.js';
import { children, readTlv } from '../x509/der.js';
import { AcmeError } from './errors.js';
import { parseRetryAfter } from './http-values.js';

/** RFC 9773 4.3: treat intervals under a minute as a minute and over a day as a day. */
export const MIN_RETRY_AFTER_SECONDS = 60;
export const MAX_RETRY_AFTER_SECONDS = 86_400;
/** When the CA sends no Retry-After, ask again in six hours (Let's Encrypt's guidance). */
export const DEFAULT_RENEWAL_INFO_POLL_SECONDS = 6 * 3600;

export interface RenewalInfo {
  suggestedWindow: {
    /** Epoch milliseconds. */
    start: number;
    end: number;
  };
  explanationURL?: string;
  /** When to ask again, from Retry-After, clamped to [60 s, 1 day]; undefined when the CA sent none. */
  retryAfterSeconds?: number;
}

/** The content octets of the certificate's serialNumber INTEGER, sign byte included. */
function serialNumberBytes(der: Uint8Array): Uint8Array {
  const cert = readTlv(der, 0);
  const tbs = children(der, cert)[0];
  if (!tbs) throw new Error('not a certificate structure');
  const fields = children(der, tbs);
  const serial = fields[0]?.tag === 0xa0 ? fields[1] : fields[0];
  if (!serial || serial.tag !== 0x02) throw new Error('not a certificate structure');
  return der.subarray(serial.start, serial.end);
}

/** The RFC 9773 certificate identifier of a DER certificate. */
export function certificateIdentifier(certDer: Uint8Array): string {
  let authorityKeyId: string | undefined;
  let serial: Uint8Array;
  try {
    authorityKeyId = parseCertificate(certDer).info.authorityKeyId;
    serial = serialNumberBytes(certDer);
  } catch (err) {
    throw new AcmeError('cannot compute the ARI identifier: the certificate does not parse', { cause: err });
  }
  if (!authorityKeyId) {
    throw new AcmeError('cannot compute the ARI identifier: the certificate has no Authority Key Identifier', { code: 'acme-ari' });
  }
  return `${Buffer.from(authorityKeyId, 'hex').toString('base64url')}.${Buffer.from(serial).toString('base64url')}`;
}

/** {renewalInfo}/{id}, whether or not the directory's URL ends with a slash. */
export function renewalInfoUrl(base: string, identifier: string): string {
  return `${base.replace(/\/+$/, '')}/${identifier}`;
}

/**
 * RFC 9773 4.3.2: a Retry-After under a minute counts as a minute and one over a day as a day, so
 * a CA's `0` cannot make every run ask and its "ten years" cannot silence ARI for good.
 */
export function clampRetryAfter(seconds: number | undefined): number | undefined {
  if (seconds === undefined || Number.isNaN(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, seconds));
}

/**
 * An answer RFC 9773 calls invalid (no readable window, or one that ends before it starts): to be
 * treated as no answer at all, a long-term error (4.3.3). Keeps the answer's Retry-After, if any.
 */
export class InvalidRenewalInfoError extends AcmeError {
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, retryAfterSeconds: number | undefined) {
    super(message, { code: 'acme-ari' });
    this.name = 'InvalidRenewalInfoError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Only an http(s) URL is shown to people as the CA's explanation: anything else is dropped. */
function explanationUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A RenewalInfo response body and its Retry-After header -> RenewalInfo. A window that ends
 * before it starts (or is not there) is invalid: RFC 9773 says to treat it as no answer, so this
 * throws InvalidRenewalInfoError and the caller falls back to its lifetime-based schedule.
 */
export function parseRenewalInfo(body: unknown, retryAfterHeader?: string | string[], now: number = Date.now()): RenewalInfo {
  const retryAfter = clampRetryAfter(parseRetryAfter(retryAfterHeader, now));
  const window = (body as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
  const start = typeof window?.start === 'string' ? Date.parse(window.start) : Number.NaN;
  const end = typeof window?.end === 'string' ? Date.parse(window.end) : Number.NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw new InvalidRenewalInfoError('the CA\'s renewal information has no readable suggestedWindow', retryAfter);
  }
  if (end <= start) {
    throw new InvalidRenewalInfoError(`the CA's renewal information is invalid: its window ends (${window!.end as string}) before it starts (${window!.start as string})`, retryAfter);
  }
  const info: RenewalInfo = { suggestedWindow: { start, end } };
  const explanation = explanationUrl((body as { explanationURL?: unknown }).explanationURL);
  if (explanation !== undefined) info.explanationURL = explanation;
  if (retryAfter !== undefined) info.retryAfterSeconds = retryAfter;
  return info;
}
