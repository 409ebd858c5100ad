/**
 * Cloudflare against exchanges recorded from the published API reference, not captured from the
 * live API:
 *   https://developers.cloudflare.com/api/resources/zones/methods/list/
 *   https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/
 *   https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/
 *   https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/delete/
 */
import { describe, expect, it } from 'vitest';
import { cloudflareProvider } from '../../../../src/challenges/dns-providers/cloudflare.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { recordedApi, recordedDeps, type Exchange } from '../../../helpers/recorded-api.js';

const API = 'https://api.cloudflare.com/client/v4';
const signal = new AbortController().signal;
const zone = { id: '023e105f4ecef8ad9ca31a8372d0c353', name: 'example.com' };
const name = '_acme-challenge.www.example.com';
const value = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const otherValue = 'c2Vjb25kLXZhbHVlLWZvci10aGUtd2lsZGNhcmQtb3JkZXI';
const dnsToken = { authorization: 'Bearer dns-edit-token' };

const envelope = (result: unknown, resultInfo?: unknown) => ({ success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) });
const txtRecord = (id: string, content: string) => ({ id, zone_id: zone.id, zone_name: 'example.com', name, type: 'TXT', content, proxiable: false, proxied: false, ttl: 120, locked: false, created_on: '2026-12-03T12:00:00Z', modified_on: '2026-12-03T12:00:00Z' });
const zoneResult = (id: string, zoneName: string) => ({ id, name: zoneName, status: 'active', paused: false, type: 'full', name_servers: ['bob.ns.cloudflare.com', 'lola.ns.cloudflare.com'] });
const createExchange = (response: Exchange['response']): Exchange => ({
  request: { method: 'POST', url: `${API}/zones/${zone.id}/dns_records`, headers: dnsToken, body: { type: 'TXT', name, content: value, ttl: 120 } },
  response,
});

function client(exchanges: Exchange[], secrets: Record<string, string | undefined> = { dnsApiToken: 'dns-edit-token' }) {
  const api = recordedApi(exchanges);
  const deps = recordedDeps(api);
  return { api, deps, client: cloudflareProvider.create({ options: {}, secrets }, deps) };
}

describe('cloudflare', () => {
  it('finds the longest zone that holds the name, asking with the zone-read token', async () => {
    const zoneToken = { authorization: 'Bearer zone-read-token' };
    const { api, client: cf } = client(
      [
        { request: { method: 'GET', url: `${API}/zones?name=_acme-challenge.www.dev.example.com`, headers: zoneToken }, response: { status: 200, body: envelope([], { page: 1, per_page: 20, count: 0, total_count: 0, total_pages: 0 }) } },
        { request: { method: 'GET', url: `${API}/zones?name=www.dev.example.com`, headers: zoneToken }, response: { status: 200, body: envelope([]) } },
        { request: { method: 'GET', url: `${API}/zones?name=dev.example.com`, headers: zoneToken }, response: { status: 200, body: envelope([zoneResult('9a7806061c88ada191ed06f989cc3dac', 'dev.example.com')]) } },
      ],
      { dnsApiToken: 'dns-edit-token', zoneApiToken: 'zone-read-token' },
    );
    await expect(cf.findZone('_acme-challenge.www.dev.example.com', signal)).resolves.toEqual({ id: '9a7806061c88ada191ed06f989cc3dac', name: 'dev.example.com' });
    api.assertDone();
  });

  it('says so when no zone holds the name', async () => {
    const { client: cf } = client([
      { request: { method: 'GET', url: `${API}/zones?name=_acme-challenge.example.net` }, response: { status: 200, body: envelope([]) } },
      { request: { method: 'GET', url: `${API}/zones?name=example.net` }, response: { status: 200, body: envelope([]) } },
    ]);
    await expect(cf.findZone('_acme-challenge.example.net', signal)).rejects.toThrow(/^cloudflare: no zone holding _acme-challenge\.example\.net is visible to this credential$/);
  });

  it('creates one record for our value and deletes exactly that record, so another value at the name survives', async () => {
    const { api, client: cf } = client([
      createExchange({ status: 200, body: envelope(txtRecord('372e67954025e0ba6aaa6d586b9e0b59', value)) }),
      // The other value (the wildcard's) is record 9a7806061c88ada191ed06f989cc3dac: no request touches it.
      { request: { method: 'DELETE', url: `${API}/zones/${zone.id}/dns_records/372e67954025e0ba6aaa6d586b9e0b59`, headers: dnsToken }, response: { status: 200, body: envelope({ id: '372e67954025e0ba6aaa6d586b9e0b59' }) } },
    ]);
    const placed = await cf.createTxt({ zone, name, value, ttl: 120 }, signal);
    expect(placed.id).toBe('372e67954025e0ba6aaa6d586b9e0b59');
    await cf.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('without the id (cleanup after a restart), deletes only the records holding our value, across pages', async () => {
    const list = (page: number) => `${API}/zones/${zone.id}/dns_records?type=TXT&name=${name}&per_page=100&page=${page}`;
    const { api, client: cf } = client([
      { request: { method: 'GET', url: list(1), headers: dnsToken }, response: { status: 200, body: envelope([txtRecord('9a7806061c88ada191ed06f989cc3dac', otherValue)], { page: 1, per_page: 100, count: 1, total_count: 2, total_pages: 2 }) } },
      { request: { method: 'GET', url: list(2), headers: dnsToken }, response: { status: 200, body: envelope([txtRecord('372e67954025e0ba6aaa6d586b9e0b59', `"${value}"`)], { page: 2, per_page: 100, count: 1, total_count: 2, total_pages: 2 }) } },
      { request: { method: 'DELETE', url: `${API}/zones/${zone.id}/dns_records/372e67954025e0ba6aaa6d586b9e0b59` }, response: { status: 200, body: envelope({ id: '372e67954025e0ba6aaa6d586b9e0b59' }) } },
    ]);
    await cf.deleteTxt({ zone, name, value, ttl: 120 }, signal);
    api.assertDone();
  });

  it('takes over an identical record left by an earlier run (error 81058)', async () => {
    const { api, client: cf } = client([
      createExchange({ status: 400, body: { success: false, errors: [{ code: 81058, message: 'An identical record already exists.' }], messages: [], result: null } }),
      { request: { method: 'GET', url: `${API}/zones/${zone.id}/dns_records?type=TXT&name=${name}&per_page=100&page=1` }, response: { status: 200, body: envelope([txtRecord('372e67954025e0ba6aaa6d586b9e0b59', value)], { page: 1, total_pages: 1 }) } },
    ]);
    await expect(cf.createTxt({ zone, name, value, ttl: 120 }, signal)).resolves.toMatchObject({ id: '372e67954025e0ba6aaa6d586b9e0b59' });
    api.assertDone();
  });

  it('names the provider, the record, the zone and the status when the token may not edit the zone', async () => {
    const { client: cf } = client([createExchange({ status: 403, body: { success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [], result: null } })]);
    const error = (await cf.createTxt({ zone, name, value, ttl: 120 }, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toBe(`cloudflare: creating TXT ${name} in zone example.com: HTTP 403: {"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}`);
  });

  it('waits as long as a 429 Retry-After asks, then creates', async () => {
    const { api, deps, client: cf } = client([
      createExchange({ status: 429, headers: { 'retry-after': '30' }, body: { success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [], result: null } }),
      createExchange({ status: 200, body: envelope(txtRecord('372e67954025e0ba6aaa6d586b9e0b59', value)) }),
    ]);
    await cf.createTxt({ zone, name, value, ttl: 120 }, signal);
    expect(deps.slept).toEqual([30_000]);
    api.assertDone();
  });

  it('signs with the legacy email and global API key when no token is given', async () => {
    const legacy = { 'x-auth-email': 'user@example.com', 'x-auth-key': 'c2547eb745079dac9320b638f5e225cf483cc5cfdda41', authorization: (v: string | null) => expect(v).toBeNull() };
    const { api, client: cf } = client(
      [
        { request: { method: 'GET', url: `${API}/zones?name=example.com`, headers: legacy }, response: { status: 200, body: envelope([zoneResult(zone.id, 'example.com')]) } },
        { request: { method: 'POST', url: `${API}/zones/${zone.id}/dns_records`, headers: legacy, body: { type: 'TXT', name, content: value, ttl: 120 } }, response: { status: 200, body: envelope(txtRecord('372e67954025e0ba6aaa6d586b9e0b59', value)) } },
      ],
      { email: 'user@example.com', apiKey: 'c2547eb745079dac9320b638f5e225cf483cc5cfdda41' },
    );
    const found = await cf.findZone('example.com', signal);
    await cf.createTxt({ zone: found, name, value, ttl: 120 }, signal);
    api.assertDone();
  });

  it("accepts lego's environment variable names, and a token or the email and key as enough", () => {
    const legoEnv = Object.fromEntries(cloudflareProvider.secrets.map((s) => [s.key, s.legoEnv]));
    expect(legoEnv).toEqual({
      dnsApiToken: ['CLOUDFLARE_DNS_API_TOKEN', 'CF_DNS_API_TOKEN'],
      zoneApiToken: ['CLOUDFLARE_ZONE_API_TOKEN', 'CF_ZONE_API_TOKEN'],
      email: ['CLOUDFLARE_EMAIL', 'CF_API_EMAIL'],
      apiKey: ['CLOUDFLARE_API_KEY', 'CF_API_KEY'],
    });
    expect(cloudflareProvider.secretsSufficient?.({ dnsApiToken: 't' })).toBe(true);
    expect(cloudflareProvider.secretsSufficient?.({ email: 'e', apiKey: 'k' })).toBe(true);
    expect(cloudflareProvider.secretsSufficient?.({ email: 'e' })).toBe(false);
    expect(cloudflareProvider.secretsSufficient?.({ zoneApiToken: 'z' })).toBe(false);
  });

  it("takes its secrets from lego's environment variables through the registry's resolution", async () => {
    const noFiles = async (path: string): Promise<string> => {
      throw new Error(`no file ${path}`);
    };
    const token = await resolveProviderSettings(cloudflareProvider, {}, { CF_DNS_API_TOKEN: 'dns', CLOUDFLARE_ZONE_API_TOKEN: 'zone' }, noFiles, 'challenge');
    expect(token.secrets).toEqual({ dnsApiToken: 'dns', zoneApiToken: 'zone', email: undefined, apiKey: undefined });
    const legacy = await resolveProviderSettings(cloudflareProvider, {}, { CLOUDFLARE_EMAIL: 'user@example.com', CLOUDFLARE_API_KEY: 'key' }, noFiles, 'challenge');
    expect(legacy.secrets).toMatchObject({ email: 'user@example.com', apiKey: 'key' });
    await expect(resolveProviderSettings(cloudflareProvider, {}, { CLOUDFLARE_EMAIL: 'user@example.com' }, noFiles, 'challenge')).rejects.toThrow(/CLOUDFLARE_DNS_API_TOKEN/);
  });
});
