/**
 * Hetzner (Cloud API) against exchanges recorded from the published API reference, not captured
 * from the live API: https://docs.hetzner.cloud/reference/cloud#zones (List Zones, paged by
 * meta.pagination), #zone-rrsets (Add Records to an RRSet, Remove Records from an RRSet: each
 * answers 201 with an action) and #actions (Get an Action, GET /actions/{id}, as lego follows them); errors { error: { code, message } }.
 */
import { describe, expect, it } from 'vitest';
import { hetznerProvider } from '../../../../src/challenges/dns-providers/hetzner.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { recordedClient } from '../../../helpers/provider-client.js';
import type { Exchange } from '../../../helpers/recorded-api.js';

const API = 'https://api.hetzner.cloud/v1';
const env = { HETZNER_API_TOKEN: 'hcloud-test-token' };
const bearer = { authorization: 'Bearer hcloud-test-token' };
const ours = 'k7W2pQ9xZ3mB6nV0cR4tY8uE1iO5aS2dF7gH3jL9zX0';
const zone = { id: '42', name: 'example.com' };
const record = { zone, name: '_acme-challenge.example.com', value: ours, ttl: 60 };
const rrset = `${API}/zones/42/rrsets/_acme-challenge/TXT/actions`;

function zonesPage(zones: Array<[number, string]>, page: number, next: number | null): Exchange['response'] {
  return {
    status: 200,
    body: {
      zones: zones.map(([id, name]) => ({ id, name, mode: 'primary', ttl: 10800, status: 'ok', record_count: 3 })),
      meta: { pagination: { page, per_page: 100, previous_page: page > 1 ? page - 1 : null, next_page: next, last_page: next ?? page, total_entries: 4 } },
    },
  };
}

function action(id: number, command: string, status: 'running' | 'success' | 'error', error: { code: string; message: string } | null = null): unknown {
  return { action: { id, command, status, progress: status === 'running' ? 0 : 100, started: '2026-12-03T12:00:00+00:00', finished: status === 'running' ? null : '2026-12-03T12:00:01+00:00', resources: [{ id: 42, type: 'zone' }], error } };
}

describe('hetzner', () => {
  it('finds the longest zone that holds the name, across pages', async () => {
    const { client, api, signal } = await recordedClient(hetznerProvider, env, [
      { request: { method: 'GET', url: `${API}/zones?page=1&per_page=100`, headers: bearer }, response: zonesPage([[42, 'example.com'], [43, 'example.net']], 1, 2) },
      { request: { method: 'GET', url: `${API}/zones?page=2&per_page=100`, headers: bearer }, response: zonesPage([[44, 'eu.example.com'], [45, 'u.example.com']], 2, null) },
    ]);
    expect(await client.findZone('_acme-challenge.www.eu.example.com', signal)).toEqual({ id: '44', name: 'eu.example.com' });
    api.assertDone();
  });

  it('adds and removes exactly our value (quoted), following each action to success', async () => {
    const { client, api, deps, signal } = await recordedClient(hetznerProvider, env, [
      {
        request: { method: 'POST', url: `${rrset}/add_records`, headers: { ...bearer, 'content-type': 'application/json' }, body: { ttl: 60, records: [{ value: `"${ours}"` }] } },
        response: { status: 201, body: action(101, 'add_rrset_records', 'running') },
      },
      { request: { method: 'GET', url: `${API}/actions/101`, headers: bearer }, response: { status: 200, body: action(101, 'add_rrset_records', 'success') } },
      // Only our value is named: the wildcard's value in the same RRSet is not part of the request.
      { request: { method: 'POST', url: `${rrset}/remove_records`, headers: bearer, body: { records: [{ value: `"${ours}"` }] } }, response: { status: 201, body: action(102, 'remove_rrset_records', 'success') } },
    ]);
    const placed = await client.createTxt(record, signal);
    await client.deleteTxt(placed, signal);
    expect(deps.slept).toEqual([1000]);
    api.assertDone();
  });

  it('reports an action that fails, naming the provider and the record', async () => {
    const { client, signal } = await recordedClient(hetznerProvider, env, [
      { request: { method: 'POST', url: `${rrset}/add_records` }, response: { status: 201, body: action(103, 'add_rrset_records', 'running') } },
      { request: { method: 'GET', url: `${API}/actions/103` }, response: { status: 200, body: action(103, 'add_rrset_records', 'error', { code: 'action_failed', message: 'Action failed' }) } },
    ]);
    await expect(client.createTxt(record, signal)).rejects.toThrow('hetzner: creating TXT _acme-challenge.example.com in zone example.com: action 103 failed: action_failed: Action failed');
  });

  it('names the provider, zone, record and status on a 403', async () => {
    const { client, signal } = await recordedClient(hetznerProvider, env, [
      { request: { method: 'POST', url: `${rrset}/add_records` }, response: { status: 403, body: { error: { code: 'forbidden', message: 'insufficient permissions for this request', details: {} } } } },
    ]);
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^hetzner: creating TXT _acme-challenge\.example\.com in zone example\.com: HTTP 403: .*insufficient permissions/);
  });

  it('waits as Retry-After asks on a 429, then lists the zones', async () => {
    const { client, api, deps, signal } = await recordedClient(hetznerProvider, env, [
      { request: { method: 'GET', url: `${API}/zones?page=1&per_page=100` }, response: { status: 429, headers: { 'retry-after': '3', 'ratelimit-remaining': '0' }, body: { error: { code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached', details: {} } } } },
      { request: { method: 'GET', url: `${API}/zones?page=1&per_page=100` }, response: zonesPage([[42, 'example.com']], 1, null) },
    ]);
    expect((await client.findZone('_acme-challenge.example.com', signal)).id).toBe('42');
    expect(deps.slept).toEqual([3000]);
    api.assertDone();
  });

  it("declares lego's current names: provider hetzner, HETZNER_API_TOKEN (not the deprecated HETZNER_API_KEY)", () => {
    expect(hetznerProvider.name).toBe('hetzner');
    expect(hetznerProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['apiToken', ['HETZNER_API_TOKEN']]]);
  });
});
