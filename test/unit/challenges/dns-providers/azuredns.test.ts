/**
 * Azure DNS against exchanges recorded from the published API reference, not captured from the
 * live API:
 *   https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 *   https://learn.microsoft.com/en-us/rest/api/dns/zones/list-by-resource-group?view=rest-dns-2018-05-01
 *   https://learn.microsoft.com/en-us/rest/api/dns/record-sets/get?view=rest-dns-2018-05-01
 *   https://learn.microsoft.com/en-us/rest/api/dns/record-sets/create-or-update?view=rest-dns-2018-05-01
 *   https://learn.microsoft.com/en-us/rest/api/dns/record-sets/delete?view=rest-dns-2018-05-01
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors.js';
import { azurednsProvider } from '../../../../src/challenges/dns-providers/azuredns.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { recordedApi, recordedDeps, type Exchange } from '../../../helpers/recorded-api.js';

const tenantId = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const clientId = '535fb089-9ff3-47b6-9bfb-4f1264799865';
const subscriptionId = 'subid-0000-1111-2222';
const options = { tenantId, clientId, subscriptionId, resourceGroup: 'rg1' };
const ZONES = `https://management.azure.com/subscriptions/${subscriptionId}/resourceGroups/rg1/providers/Microsoft.Network/dnsZones`;
const signal = new AbortController().signal;
const zone = { id: 'example.com', name: 'example.com' };
const name = '_acme-challenge.www.example.com';
const value = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const other = 'c2Vjb25kLXZhbHVlLWZvci10aGUtd2lsZGNhcmQtb3JkZXI';
const bearer = { authorization: 'Bearer eyJ0eXAiOiJKV1QiEXAMPLE' };
const recordUrl = `${ZONES}/example.com/TXT/_acme-challenge.www?api-version=2018-05-01`;

const tokenExchange = (response: Exchange['response'] = { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'eyJ0eXAiOiJKV1QiEXAMPLE' } }): Exchange => ({
  request: {
    method: 'POST',
    url: `https://login.microsoftonline.com/${tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    checkBody: (body) => expect(Object.fromEntries(new URLSearchParams(body))).toEqual({ client_id: clientId, scope: 'https://management.azure.com/.default', client_secret: 'sampleCredentia1s', grant_type: 'client_credentials' }),
  },
  response,
});
const recordSet = (values: string[], etag: string, ttl = 3600) => ({
  id: `/subscriptions/${subscriptionId}/resourceGroups/rg1/providers/Microsoft.Network/dnsZones/example.com/TXT/_acme-challenge.www`,
  name: '_acme-challenge.www',
  type: 'Microsoft.Network/dnsZones/TXT',
  etag,
  properties: { metadata: {}, TTL: ttl, fqdn: `${name}.`, provisioningState: 'Succeeded', TXTRecords: values.map((v) => ({ value: [v] })) },
});
const read = (values: string[] | undefined, etag = '00000000-0000-0000-0000-000000000001', ttl = 3600): Exchange => ({
  request: { method: 'GET', url: recordUrl, headers: bearer },
  response: values === undefined ? { status: 404, body: { error: { code: 'NotFound', message: 'The resource record \'_acme-challenge.www\' does not exist in resource group \'rg1\' of subscription \'subid-0000-1111-2222\'.' } } } : { status: 200, body: recordSet(values, etag, ttl) },
});
const put = (values: string[], ttl: number, condition: Record<string, string>, response: Exchange['response'] = { status: 200, body: recordSet(values, '00000000-0000-0000-0000-000000000002', ttl) }): Exchange => ({
  request: { method: 'PUT', url: recordUrl, headers: { ...bearer, 'content-type': 'application/json', ...condition }, body: { properties: { TTL: ttl, TXTRecords: values.map((v) => ({ value: [v] })) } } },
  response,
});

function client(exchanges: Exchange[], opts: Record<string, string> = options) {
  const api = recordedApi(exchanges);
  const deps = recordedDeps(api);
  return { api, deps, client: azurednsProvider.create({ options: opts, secrets: { clientSecret: 'sampleCredentia1s' } }, deps) };
}

describe('azuredns', () => {
  it('gets a token with the client credentials, then finds the longest public zone across pages, with one token for the run', async () => {
    const page2 = `${ZONES}?api-version=2018-05-01&$skipToken=ZXhhbXBsZS5uZXQ`;
    const list: Exchange[] = [
      {
        request: { method: 'GET', url: `${ZONES}?api-version=2018-05-01`, headers: bearer },
        response: { status: 200, body: { value: [{ name: 'example.com', type: 'Microsoft.Network/dnszones', location: 'global', properties: { zoneType: 'Public' } }, { name: 'www.example.com', type: 'Microsoft.Network/dnszones', properties: { zoneType: 'Private' } }], nextLink: page2 } },
      },
      { request: { method: 'GET', url: page2, headers: bearer }, response: { status: 200, body: { value: [{ name: 'dev.www.example.com', properties: { zoneType: 'Public' } }, { name: 'example.net', properties: { zoneType: 'Public' } }] } } },
    ];
    const { api, client: az } = client([tokenExchange(), ...list, ...list]);
    await expect(az.findZone(name, signal)).resolves.toEqual(zone);
    await expect(az.findZone('_acme-challenge.a.dev.www.example.com', signal)).resolves.toEqual({ id: 'dev.www.example.com', name: 'dev.www.example.com' });
    api.assertDone();
  });

  it('uses zoneName (AZURE_ZONE_NAME) without asking, and refuses one that does not hold the name', async () => {
    const { api, client: az } = client([], { ...options, zoneName: 'example.com' });
    await expect(az.findZone(name, signal)).resolves.toEqual(zone);
    api.assertDone();
    const { client: wrong } = client([], { ...options, zoneName: 'example.net' });
    await expect(wrong.findZone(name, signal)).rejects.toThrow(ConfigError);
  });

  it('adds our value to the set and takes only ours out, each write conditional on the etag read', async () => {
    const { api, client: az } = client([
      tokenExchange(),
      read([other], 'etag-1'),
      put([other, value], 60, { 'if-match': 'etag-1' }),
      read([other, value], 'etag-2', 60),
      put([other], 60, { 'if-match': 'etag-2' }),
    ]);
    const placed = await az.createTxt({ zone, name, value, ttl: 60 }, signal);
    await az.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('creates a new set only if none appeared (If-None-Match: *), and deletes the set when ours is the last value', async () => {
    const { api, client: az } = client([
      tokenExchange(),
      read(undefined),
      put([value], 60, { 'if-none-match': '*' }, { status: 201, body: recordSet([value], 'etag-3', 60) }),
      read([value], 'etag-3', 60),
      { request: { method: 'DELETE', url: recordUrl, headers: { ...bearer, 'if-match': 'etag-3' } }, response: { status: 200 } },
      read(undefined),
    ]);
    const placed = await az.createTxt({ zone, name, value, ttl: 60 }, signal);
    await az.deleteTxt(placed, signal);
    await az.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('reads again when the set changed underneath (412), keeping the other writer\'s value', async () => {
    const failed = { status: 412, body: { error: { code: 'PreconditionFailed', message: 'The condition \'etag-1\' in the If-Match header was not satisfied.' } } };
    const { api, client: az } = client([tokenExchange(), read(undefined), put([value], 60, { 'if-none-match': '*' }, failed), read([other], 'etag-4'), put([other, value], 60, { 'if-match': 'etag-4' })]);
    await az.createTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
  });

  it('names the provider, the record, the zone and the status when the principal may not write the zone', async () => {
    const denied = { status: 403, body: { error: { code: 'AuthorizationFailed', message: `The client '${clientId}' with object id '${clientId}' does not have authorization to perform action 'Microsoft.Network/dnsZones/TXT/write' over scope '/subscriptions/${subscriptionId}/resourceGroups/rg1/providers/Microsoft.Network/dnsZones/example.com/TXT/_acme-challenge.www'.` } } };
    const { client: az } = client([tokenExchange(), read(undefined), put([value], 60, { 'if-none-match': '*' }, denied)]);
    const error = (await az.createTxt({ zone, name, value, ttl: 60 }, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(new RegExp(`^azuredns: creating TXT ${name.replace(/\./g, '\\.')} in zone example\\.com: HTTP 403: AuthorizationFailed: The client`));
    expect(error.hint).toMatch(/DNS Zone Contributor/);
  });

  it('says the service principal was refused on a bad secret', async () => {
    const { client: az } = client([tokenExchange({ status: 401, body: { error: 'invalid_client', error_description: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 0000\r\nCorrelation ID: 1111", error_codes: [7000215] } })]);
    await expect(az.findZone(name, signal)).rejects.toThrow(`azuredns: getting an access token for client ${clientId} in tenant ${tenantId}: HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided.`);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const { api, deps, client: az } = client([
      tokenExchange(),
      { request: { method: 'GET', url: recordUrl }, response: { status: 429, headers: { 'retry-after': '17' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } } },
      read([value]),
    ]);
    await az.createTxt({ zone, name, value, ttl: 60 }, signal);
    expect(deps.slept).toEqual([17_000]);
    api.assertDone();
  });

  it('names a missing required option and its lego variable', () => {
    const deps = recordedDeps(recordedApi([]));
    expect(() => azurednsProvider.create({ options: { ...options, resourceGroup: undefined }, secrets: { clientSecret: 's' } }, deps)).toThrow(ConfigError);
    const missing = (() => {
      try {
        azurednsProvider.create({ options: { tenantId, clientId, subscriptionId }, secrets: { clientSecret: 's' } }, deps);
      } catch (err) {
        return err as ConfigError;
      }
      return undefined;
    })();
    expect(missing?.message).toBe('azuredns: resourceGroup is required');
    expect(missing?.hint).toMatch(/AZURE_RESOURCE_GROUP/);
  });

  it("accepts lego's environment variable names", () => {
    expect(azurednsProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['clientSecret', ['AZURE_CLIENT_SECRET']]]);
    expect(Object.fromEntries(azurednsProvider.plainOptions.map((o) => [o.key, o.legoEnv]))).toEqual({
      tenantId: ['AZURE_TENANT_ID'],
      clientId: ['AZURE_CLIENT_ID'],
      subscriptionId: ['AZURE_SUBSCRIPTION_ID'],
      resourceGroup: ['AZURE_RESOURCE_GROUP'],
      zoneName: ['AZURE_ZONE_NAME'],
    });
  });

  it("takes its settings from lego's environment variables through the registry's resolution", async () => {
    const noFiles = async (path: string): Promise<string> => {
      throw new Error(`no file ${path}`);
    };
    const env = { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: 'sampleCredentia1s', AZURE_SUBSCRIPTION_ID: subscriptionId, AZURE_RESOURCE_GROUP: 'rg1', AZURE_ZONE_NAME: 'example.com' };
    const settings = await resolveProviderSettings(azurednsProvider, {}, env, noFiles, 'challenge');
    expect(settings).toEqual({ options: { ...options, zoneName: 'example.com' }, secrets: { clientSecret: 'sampleCredentia1s' } });
  });
});
