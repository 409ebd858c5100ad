/**
 * Gandi LiveDNS against exchanges recorded from the published API reference, not captured from
 * the live API: https://api.gandi.net/docs/livedns/ (GET /v5/livedns/domains, paged by page and
 * per_page with a Total-Count header; GET/PUT/DELETE /v5/livedns/domains/{fqdn}/records/{rrset_name}/{rrset_type};
 * errors { code, message, object, cause }) and https://api.gandi.net/docs/authentication/
 * (Authorization: Bearer <personal access token>, or the deprecated Apikey <key>).
 */
import { describe, expect, it } from 'vitest';
import { gandiv5Provider } from '../../../../src/challenges/dns-providers/gandiv5.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { recordedClient } from '../../../helpers/provider-client.js';

const API = 'https://api.gandi.net/v5/livedns';
const env = { GANDIV5_PERSONAL_ACCESS_TOKEN: 'gandi-pat' };
const bearer = { authorization: 'Bearer gandi-pat' };
const ours = 'bN4mQ7rS0tU3vW6xY9zA2cD5eF8gH1iJ4kL7mN0pQ3r';
const wildcard = '"the-wildcard-value"';
const zone = { id: 'example.com', name: 'example.com' };
const record = { zone, name: '_acme-challenge.example.com', value: ours, ttl: 300 };
const rrset = `${API}/domains/example.com/records/_acme-challenge/TXT`;
const notFound = { status: 404, body: { code: 404, message: "Can't find the DNS record _acme-challenge/TXT in the zone", object: 'HTTPNotFound', cause: 'Not Found' } };

function domain(fqdn: string): unknown {
  return { fqdn, domain_href: `${API}/domains/${fqdn}`, domain_records_href: `${API}/domains/${fqdn}/records`, domain_keys_href: `${API}/domains/${fqdn}/keys`, automatic_snapshots: true };
}

describe('gandiv5', () => {
  it('finds the longest zone that holds the name, across pages', async () => {
    const fillers = Array.from({ length: 100 }, (_, i) => domain(`zone${i}.example.org`));
    const { client, api, signal } = await recordedClient(gandiv5Provider, env, [
      { request: { method: 'GET', url: `${API}/domains?per_page=100&page=1`, headers: bearer }, response: { status: 200, headers: { 'total-count': '102' }, body: [domain('example.com'), ...fillers.slice(1)] } },
      { request: { method: 'GET', url: `${API}/domains?per_page=100&page=2`, headers: bearer }, response: { status: 200, headers: { 'total-count': '102' }, body: [domain('shop.example.com'), domain('hop.example.com')] } },
    ]);
    expect(await client.findZone('_acme-challenge.shop.example.com', signal)).toEqual({ id: 'shop.example.com', name: 'shop.example.com' });
    api.assertDone();
  });

  it('adds our value to the set and removes only ours, keeping the other value (and its TTL)', async () => {
    const { client, api, signal } = await recordedClient(gandiv5Provider, env, [
      { request: { method: 'GET', url: rrset, headers: bearer }, response: { status: 200, body: { rrset_name: '_acme-challenge', rrset_type: 'TXT', rrset_ttl: 600, rrset_values: [wildcard], rrset_href: rrset } } },
      { request: { method: 'PUT', url: rrset, headers: bearer, body: { rrset_ttl: 300, rrset_values: [wildcard, `"${ours}"`] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
      { request: { method: 'GET', url: rrset }, response: { status: 200, body: { rrset_name: '_acme-challenge', rrset_type: 'TXT', rrset_ttl: 300, rrset_values: [wildcard, `"${ours}"`], rrset_href: rrset } } },
      { request: { method: 'PUT', url: rrset, body: { rrset_ttl: 300, rrset_values: [wildcard] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
    ]);
    await client.deleteTxt(await client.createTxt(record, signal), signal);
    api.assertDone();
  });

  it('creates the set when there is none and deletes it when ours was the only value', async () => {
    const { client, api, signal } = await recordedClient(gandiv5Provider, env, [
      { request: { method: 'GET', url: rrset }, response: notFound },
      { request: { method: 'PUT', url: rrset, body: { rrset_ttl: 300, rrset_values: [`"${ours}"`] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
      { request: { method: 'GET', url: rrset }, response: { status: 200, body: { rrset_name: '_acme-challenge', rrset_type: 'TXT', rrset_ttl: 300, rrset_values: [`"${ours}"`] } } },
      { request: { method: 'DELETE', url: rrset }, response: { status: 204 } },
    ]);
    await client.deleteTxt(await client.createTxt(record, signal), signal);
    api.assertDone();
  });

  it('serialises two values at one name, so the second write keeps the first', async () => {
    const other = 'second-value-for-the-wildcard';
    const { client, api, signal } = await recordedClient(gandiv5Provider, env, [
      { request: { method: 'GET', url: rrset }, response: notFound },
      { request: { method: 'PUT', url: rrset, body: { rrset_ttl: 300, rrset_values: [`"${ours}"`] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
      { request: { method: 'GET', url: rrset }, response: { status: 200, body: { rrset_ttl: 300, rrset_values: [`"${ours}"`] } } },
      { request: { method: 'PUT', url: rrset, body: { rrset_ttl: 300, rrset_values: [`"${ours}"`, `"${other}"`] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
    ]);
    await Promise.all([client.createTxt(record, signal), client.createTxt({ ...record, value: other }, signal)]);
    api.assertDone();
  });

  it('names the provider, zone, record and status on a 403, and sends the legacy API key as Apikey', async () => {
    const { client, signal } = await recordedClient(gandiv5Provider, { GANDIV5_API_KEY: 'legacy-key' }, [
      { request: { method: 'GET', url: rrset, headers: { authorization: 'Apikey legacy-key' } }, response: { status: 403, body: { code: 403, message: 'Access was denied to this resource.', object: 'HTTPForbidden', cause: 'Forbidden' } } },
    ]);
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^gandiv5: creating TXT _acme-challenge\.example\.com in zone example\.com: HTTP 403: .*Access was denied/);
  });

  it('waits as Retry-After asks on a 429, then writes', async () => {
    const { client, api, deps, signal } = await recordedClient(gandiv5Provider, env, [
      { request: { method: 'GET', url: rrset }, response: notFound },
      { request: { method: 'PUT', url: rrset }, response: { status: 429, headers: { 'retry-after': '4' }, body: { code: 429, message: 'Too Many Requests', object: 'HTTPTooManyRequests', cause: 'Too Many Requests' } } },
      { request: { method: 'PUT', url: rrset, body: { rrset_ttl: 300, rrset_values: [`"${ours}"`] } }, response: { status: 201, body: { message: 'DNS Record Created' } } },
    ]);
    await client.createTxt(record, signal);
    expect(deps.slept).toEqual([4000]);
    api.assertDone();
  });

  it("declares lego's names: provider gandiv5, the token preferred, the API key accepted", () => {
    expect(gandiv5Provider.name).toBe('gandiv5');
    expect(gandiv5Provider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([
      ['personalAccessToken', ['GANDIV5_PERSONAL_ACCESS_TOKEN']],
      ['apiKey', ['GANDIV5_API_KEY']],
    ]);
    expect(gandiv5Provider.minimumTtl).toBe(300);
  });
});
