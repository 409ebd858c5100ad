/**
 * HTTP for DNS provider clients: JSON in and out, one error type that names the provider, the
 * zone, the record and the HTTP status (never a credential), and rate limits honoured: a 429 or 503
 * with Retry-After (seconds or an HTTP date) is retried after that long, up to a bound, then
 * reported with the wait the provider asked for.
 */
import { CertfleetError, ExitCode } from '../../errors.js';
import type { ProviderDeps } from './descriptor.js';

export class DnsProviderError extends CertfleetError {
  readonly provider: string;
  readonly status: number | undefined;
  constructor(provider: string, message: string, options: { status?: number; hint?: string; cause?: unknown } = {}) {
    super('dns-provider', `${provider}: ${message}`, { exitCode: ExitCode.findings, hint: options.hint, cause: options.cause });
    this.name = 'DnsProviderError';
    this.provider = provider;
    this.status = options.status;
  }
}

export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /**
   * Headers made afresh for each attempt (signatures that cover a timestamp: OVH, SigV4), so a
   * retry after Retry-After is not refused as a replay of a stale signature. Merged over `headers`.
   */
  signedHeaders?: () => Record<string, string> | Promise<Record<string, string>>;
  /** Sent as JSON unless a string (already encoded: the caller sets content-type). */
  body?: unknown;
  /** What the request is about, for messages: "creating TXT _acme-challenge.example.com in zone example.com". */
  about: string;
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  body: unknown;
  text: string;
}

export interface HttpOptions {
  /** How many times a 429/503 with Retry-After is retried before giving up. */
  maxRetries?: number;
  /** The longest Retry-After we wait for; a longer one fails at once, naming it. */
  maxRetryAfterMs?: number;
  /** Statuses the caller handles itself (e.g. 404 on delete); others >= 400 throw. */
  accept?: readonly number[];
}

const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After as milliseconds from `now` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date); undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its weekday and month; Date.parse alone would read "-5" as a year.
  const date = /^[A-Za-z]{3}, /.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

/** A short, credential-free excerpt of an error body for messages. */
export function bodyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

/**
 * One request, with rate-limit retries. `provider` names the provider in every message. Transport
 * failures (DNS, refused, TLS) become DnsProviderError without a status.
 */
export async function providerRequest(provider: string, request: ProviderRequest, deps: ProviderDeps, signal: AbortSignal, options: HttpOptions = {}): Promise<ProviderResponse> {
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const maxWait = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  let body: string | undefined;
  if (request.body !== undefined) {
    body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    if (typeof request.body !== 'string' && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  }
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      const attemptHeaders = request.signedHeaders ? { ...headers, ...(await request.signedHeaders()) } : headers;
      response = await deps.fetch(request.url, { method: request.method, headers: attemptHeaders, body, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new DnsProviderError(provider, `${request.about}: cannot reach ${new URL(request.url).host}: ${(err as Error).message}`, { cause: err, hint: 'check the network path to the provider\'s API (and any proxy)' });
    }
    const text = await response.text();
    const parsed = parseBody(text);
    const result: ProviderResponse = { status: response.status, headers: response.headers, body: parsed, text };
    if (response.status < 400 || options.accept?.includes(response.status)) return result;
    if (response.status === 429 || response.status === 503) {
      const wait = retryAfterMs(response.headers.get('retry-after'), deps.now());
      if (wait !== undefined && wait <= maxWait && attempt < maxRetries) {
        deps.logger?.info(`${provider}: rate limited, retrying as the provider asks`, { status: response.status, waitMs: wait, about: request.about });
        await deps.sleep(wait, signal);
        continue;
      }
      const asked = wait === undefined ? 'without a Retry-After' : `asking to wait ${Math.ceil(wait / 1000)} s`;
      throw new DnsProviderError(provider, `${request.about}: HTTP ${response.status} (rate limited, ${asked}${attempt > 0 ? ` after ${attempt} retries` : ''}): ${bodyExcerpt(text)}`, {
        status: response.status,
        hint: 'the provider rate-limits this credential: run again later, or spread certificates over time',
      });
    }
    throw new DnsProviderError(provider, `${request.about}: HTTP ${response.status}: ${bodyExcerpt(text)}`, { status: response.status, hint: statusHint(response.status) });
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function statusHint(status: number): string | undefined {
  if (status === 401) return 'the credential was refused: check it (and that it has not expired)';
  if (status === 403) return 'the credential cannot edit this zone: grant it DNS edit rights on the zone';
  if (status === 404) return 'the zone or record is not there as this credential sees it: check the zone and the account';
  return undefined;
}
