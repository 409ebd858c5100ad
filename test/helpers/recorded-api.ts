/**
 * Recorded exchanges for DNS provider clients that cannot be reached from here. Each exchange is
 * built from the provider's published API reference (say which page in the test file): the request
 * the client must send and the response the provider documents. The fake fetch serves them in order
 * and fails the test on any request that is not the next one expected, so a client that sends a
 * wrong path, method, body or signature fails rather than passing on a lenient stub.
 */
import { expect } from 'vitest';
import type { ProviderDeps } from '../../src/challenges/dns-providers/descriptor.js';

export interface RecordedRequest {
  method: string;
  url: string;
  /** Headers that must be present with these values (lower-case names); a function checks a value. */
  headers?: Record<string, string | ((value: string | null) => void)>;
  /** The JSON body it must send (deep-equal), or a function that checks the raw text. */
  body?: unknown;
  checkBody?: (text: string) => void;
  /** Anything else to check on the whole request (signatures computed from it). */
  check?: (request: { method: string; url: string; headers: Headers; body: string }) => void;
}

export interface RecordedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Exchange {
  request: RecordedRequest;
  response: RecordedResponse;
}

export interface RecordedApi {
  fetch: typeof fetch;
  /** Requests seen, for assertions on what was sent. */
  seen: { method: string; url: string; headers: Headers; body: string }[];
  /** Fails the test when an expected exchange was not used. */
  assertDone(): void;
}

export function recordedApi(exchanges: readonly Exchange[]): RecordedApi {
  const queue = [...exchanges];
  const seen: RecordedApi['seen'] = [];
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : init?.body === undefined || init.body === null ? '' : String(init.body);
    const request = { method, url, headers, body };
    seen.push(request);
    const next = queue.shift();
    if (!next) throw new Error(`unexpected request ${method} ${url}: no recorded exchange left`);
    expect(`${method} ${url}`, 'the next recorded request').toBe(`${next.request.method} ${next.request.url}`);
    for (const [name, want] of Object.entries(next.request.headers ?? {})) {
      if (typeof want === 'function') want(headers.get(name));
      else expect(headers.get(name), `header ${name}`).toBe(want);
    }
    if (next.request.body !== undefined) expect(JSON.parse(body) as unknown, 'request body').toEqual(next.request.body);
    next.request.checkBody?.(body);
    next.request.check?.(request);
    const { status, headers: responseHeaders = {}, body: responseBody } = next.response;
    const text = responseBody === undefined ? null : typeof responseBody === 'string' ? responseBody : JSON.stringify(responseBody);
    const contentType: Record<string, string> = typeof responseBody === 'string' || responseBody === undefined ? {} : { 'content-type': 'application/json' };
    return new Response(text, { status, headers: { ...contentType, ...responseHeaders } });
  };
  return {
    fetch: fakeFetch as typeof fetch,
    seen,
    assertDone() {
      expect(queue.map((e) => `${e.request.method} ${e.request.url}`), 'recorded exchanges not used').toEqual([]);
    },
  };
}

/**
 * Deps for a client under test: the recorded fetch, sleeps recorded instead of waited, and a fixed
 * clock, or with `clockFollowsSleeps` one that moves by the sleeps (signatures that cover a time).
 */
export function recordedDeps(api: RecordedApi, now = new Date('2026-12-03T12:00:00Z'), options: { clockFollowsSleeps?: boolean } = {}): ProviderDeps & { slept: number[] } {
  const slept: number[] = [];
  return {
    fetch: api.fetch,
    now: () => (options.clockFollowsSleeps ? new Date(now.getTime() + slept.reduce((sum, ms) => sum + ms, 0)) : now),
    sleep: async (ms) => {
      slept.push(ms);
    },
    slept,
  };
}
