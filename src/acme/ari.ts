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

function clampRetryAfter(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, seconds));
}

/**
 * A RenewalInfo response body and its Retry-After header -> RenewalInfo. A window that ends
 * before it starts (or is not there) is invalid: RFC 9773 says to treat it as no answer, so this
 * throws and the caller falls back to its lifetime-based schedule.
 */
export function parseRenewalInfo(body: unknown, retryAfterHeader?: string | string[], now: number = Date.now()): RenewalInfo {
  const window = (body as { suggestedWindow?: { start?: unknown; end?: unknown } } | null)?.suggestedWindow;
  const start = typeof window?.start === 'string' ? Date.parse(window.start) : Number.NaN;
  const end = typeof window?.end === 'string' ? Date.parse(window.end) : Number.NaN;
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw new AcmeError('the CA\'s renewal information has no readable suggestedWindow', { code: 'acme-ari' });
  }
  if (end <= start) {
    throw new AcmeError(`the CA's renewal information is invalid: its window ends (${window!.end as string}) before it starts (${window!.start as string})`, { code: 'acme-ari' });
  }
  const info: RenewalInfo = { suggestedWindow: { start, end } };
  const explanation = (body as { explanationURL?: unknown }).explanationURL;
  if (typeof explanation === 'string' && explanation !== '') info.explanationURL = explanation;
  const retryAfter = clampRetryAfter(parseRetryAfter(retryAfterHeader, now));
  if (retryAfter !== undefined) info.retryAfterSeconds = retryAfter;
  return info;
}
