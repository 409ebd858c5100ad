/**
 * DigitalOcean against exchanges recorded from the published API reference, not captured from the
 * live API: https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domains (List All
 * Domains, paged by links.pages.next) and #tag/Domain-Records (Create a New Domain Record, Delete a
 * Domain Record; error bodies { id, message }).
 */
import { describe, expect, it } from 'vitest';
import { digitaloceanProvider } from '../../../../src/challenges/dns-providers/digitalocean.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { recordedClient } from '../../../helpers/provider-client.js';
import type { Exchange } from '../../../helpers/recorded-api.js';

const API = 'https://api.digitalocean.com';
const env = { DO_AUTH_TOKEN: 'dop_v1_test' };
const bearer = { authorization: 'Bearer dop_v1_test' };
const ours = 'Xy1k9v6Q0gk3d5fH2p8LrC1tZb4mN7sA0uE3wR6yT9o';
const zone = { id: 'example.com', name: 'example.com' };
const record = { zone, name: '_acme-challenge.www.example.com', value: ours, ttl: 30 };

function domains(names: string[], next?: string): Exchange['response'] {
  return { status: 200, body: { domains: names.map((name) => ({ name, ttl: 1800, zone_file: '' })), links: next ? { pages: { next, last: next } } : {}, meta: { total: names.length } } };
}

describe('digitalocean', () => {
  it('finds the longest zone that holds the name, across pages', async () => {
    const { client, api, signal } = await recordedClient(digitaloceanProvider, env, [
      { request: { method: 'GET', url: `${API}/v2/domains?per_page=200`, headers: bearer }, response: domains(['example.com', 'other.org'], `${API}/v2/domains?page=2&per_page=200`) },
      { request: { method: 'GET', url: `${API}/v2/domains?per_page=200&page=2`, headers: bearer }, response: domains(['www.example.com', 'ample.com']) },
    ]);
    expect(await client.findZone('_acme-challenge.www.example.com', signal)).toEqual({ id: 'www.example.com', name: 'www.example.com' });
    api.assertDone();
  });

  it("keeps to DO_API_URL's base for the next page (the token never follows a link elsewhere)", async () => {
    const proxy = 'https://do-proxy.internal.example';
    const { client, api, signal } = await recordedClient(digitaloceanProvider, { ...env, DO_API_URL: proxy }, [
      { request: { method: 'GET', url: `${proxy}/v2/domains?per_page=200`, headers: bearer }, response: domains(['example.org'], `${API}/v2/domains?page=2&per_page=200`) },
      { request: { method: 'GET', url: `${proxy}/v2/domains?per_page=200&page=2`, headers: bearer }, response: domains(['example.com']) },
    ]);
    expect((await client.findZone('_acme-challenge.example.com', signal)).name).toBe('example.com');
    api.assertDone();
  });

  it('says which name no zone holds', async () => {
    const { client, signal } = await recordedClient(digitaloceanProvider, env, [{ request: { method: 'GET', url: `${API}/v2/domains?per_page=200` }, response: domains(['badexample.com']) }]);
    await expect(client.findZone('_acme-challenge.example.com', signal)).rejects.toThrow(/^digitalocean: finding the zone of _acme-challenge\.example\.com: none of the 1 zone\(s\)/);
  });

  it('creates one record for our value and deletes exactly that record (another value at the name is not touched)', async () => {
    const { client, api, signal } = await recordedClient(digitaloceanProvider, env, [
      {
        request: { method: 'POST', url: `${API}/v2/domains/example.com/records`, headers: { ...bearer, 'content-type': 'application/json' }, body: { type: 'TXT', name: '_acme-challenge.www', data: ours, ttl: 30 } },
        response: { status: 201, body: { domain_record: { id: 28448433, type: 'TXT', name: '_acme-challenge.www', data: ours, priority: null, port: null, ttl: 30, weight: null, flags: null, tag: null } } },
      },
      { request: { method: 'DELETE', url: `${API}/v2/domains/example.com/records/28448433`, headers: bearer }, response: { status: 204 } },
    ]);
    const placed = await client.createTxt(record, signal);
    expect(placed.id).toBe('28448433');
    await client.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('without the id, deletes only the records holding our value', async () => {
    const { client, api, signal } = await recordedClient(digitaloceanProvider, env, [
      {
        request: { method: 'GET', url: `${API}/v2/domains/example.com/records?type=TXT&name=_acme-challenge.www.example.com&per_page=200` },
        response: { status: 200, body: { domain_records: [{ id: 1, type: 'TXT', name: '_acme-challenge.www', data: 'the-wildcard-value', ttl: 30 }, { id: 2, type: 'TXT', name: '_acme-challenge.www', data: ours, ttl: 30 }], links: {}, meta: { total: 2 } } },
      },
      { request: { method: 'DELETE', url: `${API}/v2/domains/example.com/records/2` }, response: { status: 204 } },
    ]);
    await client.deleteTxt(record, signal);
    api.assertDone();
  });

  it('names the provider, zone, record and status on a 401', async () => {
    const { client, signal } = await recordedClient(digitaloceanProvider, env, [
      { request: { method: 'POST', url: `${API}/v2/domains/example.com/records` }, response: { status: 401, body: { id: 'Unauthorized', message: 'Unable to authenticate you.' } } },
    ]);
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('digitalocean: creating TXT _acme-challenge.www.example.com in zone example.com: HTTP 401: {"id":"Unauthorized","message":"Unable to authenticate you."}');
  });

  it('waits as Retry-After asks on a 429, then creates', async () => {
    const { client, api, deps, signal } = await recordedClient(digitaloceanProvider, env, [
      { request: { method: 'POST', url: `${API}/v2/domains/example.com/records` }, response: { status: 429, headers: { 'retry-after': '12', 'ratelimit-remaining': '0' }, body: { id: 'too_many_requests', message: 'API Rate limit exceeded.' } } },
      { request: { method: 'POST', url: `${API}/v2/domains/example.com/records` }, response: { status: 201, body: { domain_record: { id: 7, type: 'TXT', name: '_acme-challenge.www', data: ours, ttl: 30 } } } },
    ]);
    expect((await client.createTxt(record, signal)).id).toBe('7');
    expect(deps.slept).toEqual([12_000]);
    api.assertDone();
  });

  it("declares lego's names: provider digitalocean, DO_AUTH_TOKEN, DO_API_URL", () => {
    expect(digitaloceanProvider.name).toBe('digitalocean');
    expect(digitaloceanProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['authToken', ['DO_AUTH_TOKEN']]]);
    expect(digitaloceanProvider.plainOptions.map((o) => o.legoEnv)).toEqual([['DO_API_URL']]);
  });
});
