/**
 * deSEC against exchanges recorded from the published API reference, not captured from the live
 * API: https://desec.readthedocs.io/en/latest/dns/domains.html ("Identifying the Responsible
 * Domain for a DNS Name": GET /api/v1/domains/?owns_qname=, with minimum_ttl),
 * https://desec.readthedocs.io/en/latest/dns/rrsets.html (Creating an RRset, Retrieving a Specific
 * RRset, Modifying an RRset with PATCH, an empty records list deletes it; "@" for the apex in URLs)
 * and https://desec.readthedocs.io/en/latest/rate-limits.html (429 with Retry-After).
 */
import { describe, expect, it } from 'vitest';
import { desecProvider } from '../../../../src/challenges/dns-providers/desec.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { recordedClient } from '../../../helpers/provider-client.js';
import type { Exchange } from '../../../helpers/recorded-api.js';

const API = 'https://desec.io/api/v1';
const env = { DESEC_TOKEN: 'desec-test-token' };
const auth = { authorization: 'Token desec-test-token' };
const ours = 'dS9fG2hJ5kL8zX1cV4bN7mQ0wE3rT6yU9iO2pA5sD8f';
const zone = { id: 'example.com', name: 'example.com' };
const record = { zone, name: '_acme-challenge.www.example.com', value: ours, ttl: 60 };
const rrset = `${API}/domains/example.com/rrsets/_acme-challenge.www/TXT/`;
const notFound = { status: 404, body: { detail: 'Not found.' } };
const throttled = (seconds: number): Exchange['response'] => ({ status: 429, headers: { 'retry-after': String(seconds) }, body: { detail: `Request was throttled. Expected available in ${seconds} seconds.` } });

function set(records: string[], ttl = 3600): Exchange['response'] {
  return { status: 200, body: { created: '2026-12-03T11:00:00.000000Z', domain: 'example.com', subname: '_acme-challenge.www', name: '_acme-challenge.www.example.com.', records, ttl, type: 'TXT', touched: '2026-12-03T11:00:00.000000Z' } };
}

describe('desec', () => {
  it('asks the API for the responsible domain (the longest zone that owns the name)', async () => {
    const { client, api, signal } = await recordedClient(desecProvider, env, [
      {
        request: { method: 'GET', url: `${API}/domains/?owns_qname=_acme-challenge.www.dev.example.com`, headers: auth },
        response: { status: 200, body: [{ created: '2026-01-01T00:00:00Z', published: '2026-01-01T00:00:00Z', name: 'dev.example.com', minimum_ttl: 3600, touched: '2026-01-01T00:00:00Z' }] },
      },
      { request: { method: 'GET', url: `${API}/domains/?owns_qname=_acme-challenge.example.org` }, response: { status: 200, body: [] } },
    ]);
    expect(await client.findZone('_acme-challenge.www.dev.example.com', signal)).toEqual({ id: 'dev.example.com', name: 'dev.example.com' });
    await expect(client.findZone('_acme-challenge.example.org', signal)).rejects.toThrow(/^desec: finding the zone of _acme-challenge\.example\.org: none/);
    api.assertDone();
  });

  it("creates the RRset at the domain's minimum TTL (never below it) and deletes it by an empty PATCH", async () => {
    const { client, api, signal } = await recordedClient(desecProvider, env, [
      { request: { method: 'GET', url: `${API}/domains/?owns_qname=_acme-challenge.www.example.com` }, response: { status: 200, body: [{ name: 'example.com', minimum_ttl: 3600 }] } },
      { request: { method: 'GET', url: rrset, headers: auth }, response: notFound },
      { request: { method: 'POST', url: `${API}/domains/example.com/rrsets/`, headers: auth, body: { subname: '_acme-challenge.www', type: 'TXT', ttl: 3600, records: [`"${ours}"`] } }, response: { status: 201, body: {} } },
      { request: { method: 'GET', url: rrset }, response: set([`"${ours}"`]) },
      { request: { method: 'PATCH', url: rrset, body: { records: [] } }, response: { status: 204 } },
    ]);
    const found = await client.findZone(record.name, signal);
    const placed = await client.createTxt({ ...record, zone: found }, signal);
    expect(placed.ttl).toBe(3600);
    await client.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('adds ours to an existing RRset and removes only ours (the other value survives)', async () => {
    const { client, api, signal } = await recordedClient(desecProvider, env, [
      { request: { method: 'GET', url: rrset }, response: set(['"the-wildcard-value"']) },
      { request: { method: 'PATCH', url: rrset, body: { records: ['"the-wildcard-value"', `"${ours}"`] } }, response: set(['"the-wildcard-value"', `"${ours}"`]) },
      { request: { method: 'GET', url: rrset }, response: set(['"the-wildcard-value"', `"${ours}"`]) },
      { request: { method: 'PATCH', url: rrset, body: { records: ['"the-wildcard-value"'] } }, response: set(['"the-wildcard-value"']) },
    ]);
    await client.deleteTxt(await client.createTxt(record, signal), signal);
    api.assertDone();
  });

  it('names the provider, zone, record and status on a 401', async () => {
    const { client, signal } = await recordedClient(desecProvider, env, [{ request: { method: 'GET', url: rrset }, response: { status: 401, body: { detail: 'Invalid token.' } } }]);
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('desec: creating TXT _acme-challenge.www.example.com in zone example.com: HTTP 401: {"detail":"Invalid token."}');
  });

  it('rides out repeated throttling, waiting each Retry-After (even past a minute)', async () => {
    const { client, api, deps, signal } = await recordedClient(desecProvider, env, [
      { request: { method: 'GET', url: rrset }, response: throttled(1) },
      { request: { method: 'GET', url: rrset }, response: notFound },
      { request: { method: 'POST', url: `${API}/domains/example.com/rrsets/` }, response: throttled(61) },
      { request: { method: 'POST', url: `${API}/domains/example.com/rrsets/` }, response: throttled(30) },
      { request: { method: 'POST', url: `${API}/domains/example.com/rrsets/`, body: { subname: '_acme-challenge.www', type: 'TXT', ttl: 3600, records: [`"${ours}"`] } }, response: { status: 201, body: {} } },
    ]);
    await client.createTxt(record, signal);
    expect(deps.slept).toEqual([1000, 61_000, 30_000]);
    api.assertDone();
  });

  it('fails at once on an hourly throttle, naming the wait asked', async () => {
    const { client, deps, signal } = await recordedClient(desecProvider, env, [{ request: { method: 'GET', url: rrset }, response: throttled(3000) }]);
    await expect(client.deleteTxt(record, signal)).rejects.toThrow(/^desec: deleting TXT _acme-challenge\.www\.example\.com in zone example\.com: HTTP 429 \(rate limited, asking to wait 3000 s\)/);
    expect(deps.slept).toEqual([]);
  });

  it("declares lego's names and deSEC's TTL floor", () => {
    expect(desecProvider.name).toBe('desec');
    expect(desecProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['token', ['DESEC_TOKEN']]]);
    expect(desecProvider.minimumTtl).toBe(3600);
  });
});
