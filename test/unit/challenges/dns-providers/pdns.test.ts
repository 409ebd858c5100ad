/**
 * The PowerDNS client against recorded exchanges: recorded from the published API reference
 * (https://doc.powerdns.com/authoritative/http-api/zone.html: GET /servers/{server_id}/zones,
 * GET /servers/{server_id}/zones/{zone_id}, PATCH /servers/{server_id}/zones/{zone_id} with rrsets
 * and changetype REPLACE/DELETE, X-API-Key), not captured from a live API. The same client is run
 * against a real pdns_server in test/integration/challenges-dns-pdns.test.ts; these cover what a
 * loopback server does not do on demand (a 429 with Retry-After, a longest-suffix choice between
 * nested zones) and pin the exact requests.
 */
import { describe, expect, it } from 'vitest';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { pdnsProvider } from '../../../../src/challenges/dns-providers/pdns.js';
import { recordedApi, recordedDeps, type Exchange } from '../../../helpers/recorded-api.js';

const API = 'http://127.0.0.1:8081';
const KEY = 'recorded-api-key';
const ZONES = `${API}/api/v1/servers/localhost/zones`;
const signal = () => new AbortController().signal;

function client(exchanges: Exchange[]) {
  const api = recordedApi(exchanges);
  const deps = recordedDeps(api);
  const options = pdnsProvider.options.parse({ apiUrl: `${API}/` });
  return { api, deps, client: pdnsProvider.create({ options, secrets: { apiKey: KEY } }, deps) };
}

const zoneList: Exchange = {
  request: { method: 'GET', url: ZONES, headers: { 'x-api-key': KEY } },
  response: {
    status: 200,
    body: [
      { id: 'example.com.', name: 'example.com.', kind: 'Native', url: '/api/v1/servers/localhost/zones/example.com.', serial: 1 },
      { id: 'sub.example.com.', name: 'sub.example.com.', kind: 'Native', url: '/api/v1/servers/localhost/zones/sub.example.com.', serial: 1 },
      { id: 'ample.com.', name: 'ample.com.', kind: 'Native', url: '/api/v1/servers/localhost/zones/ample.com.', serial: 1 },
    ],
  },
};

const zone = { id: 'example.com.', name: 'example.com' };
const record = { zone, name: '_acme-challenge.www.example.com', value: 'ours-value', ttl: 60 };

function zoneWithTxt(values: string[]): Exchange['response'] {
  const rrsets = [
    { name: 'example.com.', type: 'SOA', ttl: 3600, records: [{ content: 'ns1.example.com. hostmaster.example.com. 1 10800 3600 604800 3600', disabled: false }], comments: [] },
    ...(values.length === 0 ? [] : [{ name: '_acme-challenge.www.example.com.', type: 'TXT', ttl: 120, records: values.map((v) => ({ content: `"${v}"`, disabled: false })), comments: [] }]),
  ];
  return { status: 200, body: { id: 'example.com.', name: 'example.com.', kind: 'Native', rrsets } };
}

describe('pdns provider (recorded exchanges)', () => {
  it('reads and writes again when the backend answers 500 "database is locked" (another writer), after a short wait', async () => {
    const replaceBoth = { rrsets: [{ name: '_acme-challenge.www.example.com.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: '"theirs"', disabled: false }, { content: '"ours-value"', disabled: false }] }] };
    const { api, deps, client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt([]) },
      {
        request: { method: 'PATCH', url: `${ZONES}/example.com.`, body: { rrsets: [{ name: '_acme-challenge.www.example.com.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: '"ours-value"', disabled: false }] }] } },
        response: { status: 500, body: { error: 'Caught an exception instead of a result: database is locked' } },
      },
      // Read again: the other writer's value is there now, and is kept.
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt(['theirs']) },
      { request: { method: 'PATCH', url: `${ZONES}/example.com.`, body: replaceBoth }, response: { status: 204 } },
    ]);
    await c.createTxt(record, signal());
    expect(deps.slept).toEqual([100]);
    api.assertDone();
  });

  it('does not retry another 500', async () => {
    const { deps, client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt([]) },
      { request: { method: 'PATCH', url: `${ZONES}/example.com.` }, response: { status: 500, body: { error: 'Backend error' } } },
    ]);
    await expect(c.createTxt(record, signal())).rejects.toThrow(/^pdns: adding TXT _acme-challenge\.www\.example\.com in zone example\.com: HTTP 500/);
    expect(deps.slept).toEqual([]);
  });

  it('finds the longest zone that is a suffix of the name (not a zone that merely ends with the same letters)', async () => {
    const { api, client: c } = client([zoneList, zoneList, zoneList]);
    expect(await c.findZone('_acme-challenge.www.sub.example.com', signal())).toEqual({ id: 'sub.example.com.', name: 'sub.example.com' });
    expect(await c.findZone('_acme-challenge.www.example.com', signal())).toEqual({ id: 'example.com.', name: 'example.com' });
    await expect(c.findZone('_acme-challenge.other.test', signal())).rejects.toThrow(/^pdns: no zone of server localhost holds TXT _acme-challenge\.other\.test \(it has example\.com, sub\.example\.com, ample\.com\)/);
    api.assertDone();
  });

  it('adds our value next to another one at the name (REPLACE with both), and deletes only ours', async () => {
    const { api, client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/example.com.`, headers: { 'x-api-key': KEY } }, response: zoneWithTxt(['other-value']) },
      {
        request: {
          method: 'PATCH',
          url: `${ZONES}/example.com.`,
          headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
          body: { rrsets: [{ name: '_acme-challenge.www.example.com.', type: 'TXT', ttl: 60, changetype: 'REPLACE', records: [{ content: '"other-value"', disabled: false }, { content: '"ours-value"', disabled: false }] }] },
        },
        response: { status: 204 },
      },
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt(['other-value', 'ours-value']) },
      {
        request: {
          method: 'PATCH',
          url: `${ZONES}/example.com.`,
          body: { rrsets: [{ name: '_acme-challenge.www.example.com.', type: 'TXT', ttl: 120, changetype: 'REPLACE', records: [{ content: '"other-value"', disabled: false }] }] },
        },
        response: { status: 204 },
      },
    ]);
    const placed = await c.createTxt(record, signal());
    await c.deleteTxt(placed, signal());
    api.assertDone();
  });

  it('deletes the whole rrset (changetype DELETE) when ours was its only value; a value already gone is left alone', async () => {
    const { api, client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt(['ours-value']) },
      { request: { method: 'PATCH', url: `${ZONES}/example.com.`, body: { rrsets: [{ name: '_acme-challenge.www.example.com.', type: 'TXT', changetype: 'DELETE' }] } }, response: { status: 204 } },
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt(['other-value']) },
    ]);
    await c.deleteTxt(record, signal());
    await c.deleteTxt(record, signal());
    api.assertDone();
  });

  it('a 401 is a DnsProviderError naming the provider, the zone, the record and the status (never the key)', async () => {
    const { client: c } = client([{ request: { method: 'GET', url: `${ZONES}/example.com.` }, response: { status: 401, body: { error: 'Unauthorized' } } }]);
    const error = await c.createTxt(record, signal()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DnsProviderError);
    expect((error as DnsProviderError).status).toBe(401);
    expect((error as Error).message).toBe('pdns: adding TXT _acme-challenge.www.example.com in zone example.com: HTTP 401: {"error":"Unauthorized"}');
    expect((error as Error).message).not.toContain(KEY);
  });

  it('a 422 (PowerDNS refuses the change) names the zone and the record', async () => {
    const { client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/example.com.` }, response: zoneWithTxt([]) },
      { request: { method: 'PATCH', url: `${ZONES}/example.com.` }, response: { status: 422, body: { error: 'RRset _acme-challenge.www.example.com. IN TXT: Conflicts with pre-existing RRset' } } },
    ]);
    await expect(c.createTxt(record, signal())).rejects.toThrow('pdns: adding TXT _acme-challenge.www.example.com in zone example.com: HTTP 422: {"error":"RRset _acme-challenge.www.example.com. IN TXT: Conflicts with pre-existing RRset"}');
  });

  it('a 429 with Retry-After is retried after the wait asked for', async () => {
    const { api, deps, client: c } = client([
      { request: { method: 'GET', url: ZONES }, response: { status: 429, headers: { 'retry-after': '7' }, body: { error: 'Too many requests' } } },
      zoneList,
    ]);
    expect(await c.findZone('_acme-challenge.www.example.com', signal())).toEqual(zone);
    expect(deps.slept).toEqual([7000]);
    api.assertDone();
  });

  it('escapes a zone id as PowerDNS writes it ("/" as "=2F" kept, the rest percent-encoded)', async () => {
    const classless = { id: '0=2F26.2.0.192.in-addr.arpa.', name: '0/26.2.0.192.in-addr.arpa' };
    const { api, client: c } = client([
      { request: { method: 'GET', url: `${ZONES}/0=2F26.2.0.192.in-addr.arpa.` }, response: { status: 200, body: { id: classless.id, rrsets: [] } } },
      { request: { method: 'PATCH', url: `${ZONES}/0=2F26.2.0.192.in-addr.arpa.` }, response: { status: 204 } },
    ]);
    await c.createTxt({ ...record, zone: classless, name: `_acme-challenge.${classless.name}` }, signal());
    api.assertDone();
  });

  it('names lego\'s environment variables for its options and secret', () => {
    expect(pdnsProvider.name).toBe('pdns');
    expect(pdnsProvider.aliases).toEqual(['powerdns']);
    expect(pdnsProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['apiKey', ['PDNS_API_KEY']]]);
    expect(pdnsProvider.plainOptions.map((o) => [o.key, o.legoEnv])).toEqual([
      ['apiUrl', ['PDNS_API_URL']],
      ['serverName', ['PDNS_SERVER_NAME']],
    ]);
    expect(pdnsProvider.options.parse({ apiUrl: API })).toEqual({ apiUrl: API, serverName: 'localhost' });
    expect(pdnsProvider.options.safeParse({ apiUrl: 'ftp://x' }).success).toBe(false);
  });
});
