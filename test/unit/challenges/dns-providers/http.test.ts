import { describe, expect, it } from 'vitest';
import { DnsProviderError, providerRequest, retryAfterMs } from '../../../../src/challenges/dns-providers/http.js';
import { recordedApi, recordedDeps } from '../../../helpers/recorded-api.js';

const now = new Date('2026-12-03T12:00:00Z');
const about = 'creating TXT _acme-challenge.example.com in zone example.com';

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates (RFC 9110 §10.2.3), and nothing else', () => {
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(' 0 ', now)).toBe(0);
    expect(retryAfterMs('Thu, 03 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs('-5', now)).toBeUndefined();
  });
});

describe('providerRequest', () => {
  const url = 'https://api.example.test/zones/1/records';

  it('sends JSON and returns the parsed body', async () => {
    const api = recordedApi([{ request: { method: 'POST', url, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: { a: 1 } }, response: { status: 201, body: { id: 'r1' } } }]);
    const response = await providerRequest('example', { method: 'POST', url, body: { a: 1 }, about }, recordedDeps(api, now), new AbortController().signal);
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ id: 'r1' });
    api.assertDone();
  });

  it('waits as long as Retry-After asks on a 429, then succeeds', async () => {
    const api = recordedApi([
      { request: { method: 'GET', url }, response: { status: 429, headers: { 'retry-after': '7' }, body: { error: 'slow down' } } },
      { request: { method: 'GET', url }, response: { status: 200, body: [] } },
    ]);
    const deps = recordedDeps(api, now);
    await providerRequest('example', { method: 'GET', url, about }, deps, new AbortController().signal);
    expect(deps.slept).toEqual([7000]);
    api.assertDone();
  });

  it('gives up after the retry bound, naming the provider, the record, the status and the wait asked', async () => {
    const limited = { request: { method: 'GET', url }, response: { status: 429, headers: { 'retry-after': '1' }, body: 'Too Many Requests' } };
    const api = recordedApi([limited, limited, limited]);
    const deps = recordedDeps(api, now);
    const failure = providerRequest('example', { method: 'GET', url, about }, deps, new AbortController().signal, { maxRetries: 2 });
    await expect(failure).rejects.toThrow(DnsProviderError);
    await expect(failure).rejects.toThrow(/^example: creating TXT _acme-challenge\.example\.com in zone example\.com: HTTP 429 \(rate limited, asking to wait 1 s after 2 retries\): Too Many Requests$/);
    expect(deps.slept).toEqual([1000, 1000]);
  });

  it('does not sleep through a Retry-After longer than the bound', async () => {
    const api = recordedApi([{ request: { method: 'GET', url }, response: { status: 503, headers: { 'retry-after': '3600' } } }]);
    const deps = recordedDeps(api, now);
    await expect(providerRequest('example', { method: 'GET', url, about }, deps, new AbortController().signal)).rejects.toThrow(/HTTP 503 \(rate limited, asking to wait 3600 s\)/);
    expect(deps.slept).toEqual([]);
  });

  it('names the status with a hint on a refusal, and passes statuses the caller accepts', async () => {
    const api = recordedApi([
      { request: { method: 'DELETE', url }, response: { status: 403, body: { message: 'forbidden' } } },
      { request: { method: 'DELETE', url }, response: { status: 404 } },
    ]);
    const deps = recordedDeps(api, now);
    const error = await providerRequest('example', { method: 'DELETE', url, about }, deps, new AbortController().signal).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DnsProviderError);
    expect((error as DnsProviderError).status).toBe(403);
    expect((error as DnsProviderError).message).toBe(`example: ${about}: HTTP 403: {"message":"forbidden"}`);
    expect((error as DnsProviderError).hint).toMatch(/cannot edit this zone/);
    const accepted = await providerRequest('example', { method: 'DELETE', url, about }, deps, new AbortController().signal, { accept: [404] });
    expect(accepted.status).toBe(404);
  });

  it('turns a transport failure into an error naming the host, without a status', async () => {
    const deps = { ...recordedDeps(recordedApi([]), now), fetch: (async () => { throw new TypeError('fetch failed'); }) as typeof fetch };
    const error = (await providerRequest('example', { method: 'GET', url, about }, deps, new AbortController().signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error.message).toBe(`example: ${about}: cannot reach api.example.test: fetch failed`);
    expect(error.status).toBeUndefined();
  });
});
