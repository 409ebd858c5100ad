/**
 * Linode against exchanges recorded from the published API reference, not captured from the live
 * API: https://techdocs.akamai.com/linode-api/reference/get-domains (Domains List, paged: page,
 * pages, results), .../post-domain-record (Domain Record Create), .../delete-domain-record and
 * .../get-domain-records; errors { errors: [{ reason }] }.
 */
import { describe, expect, it } from 'vitest';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { linodeProvider } from '../../../../src/challenges/dns-providers/linode.js';
import { ConfigError } from '../../../../src/errors.js';
import { recordedClient } from '../../../helpers/provider-client.js';
import { recordedApi, recordedDeps } from '../../../helpers/recorded-api.js';
import type { Exchange } from '../../../helpers/recorded-api.js';

const API = 'https://api.linode.com/v4';
const env = { LINODE_TOKEN: 'linode-test-token' };
const bearer = { authorization: 'Bearer linode-test-token' };
const ours = 'Q2v8ZJm0uXbL5kR9sT1wY4eN7cA3dF6gH0jK2mP5rS8';
const zone = { id: '1234', name: 'example.com' };
const record = { zone, name: '_acme-challenge.example.com', value: ours, ttl: 300 };

function domainsPage(page: number, pages: number, domains: Array<[number, string]>): Exchange['response'] {
  return { status: 200, body: { data: domains.map(([id, domain]) => ({ id, domain, type: 'master', status: 'active', soa_email: 'admin@example.com', ttl_sec: 300 })), page, pages, results: domains.length } };
}

describe('linode', () => {
  it('finds the longest zone that holds the name, across pages', async () => {
    const { client, api, signal } = await recordedClient(linodeProvider, env, [
      { request: { method: 'GET', url: `${API}/domains?page=1&page_size=500`, headers: bearer }, response: domainsPage(1, 2, [[1234, 'example.com'], [99, 'example.org']]) },
      { request: { method: 'GET', url: `${API}/domains?page=2&page_size=500`, headers: bearer }, response: domainsPage(2, 2, [[5678, 'dev.example.com'], [77, 'v.example.com']]) },
    ]);
    expect(await client.findZone('_acme-challenge.api.dev.example.com', signal)).toEqual({ id: '5678', name: 'dev.example.com' });
    api.assertDone();
  });

  it('creates one record for our value (the apex as "") and deletes exactly that record', async () => {
    const apex = { ...record, name: 'example.com' };
    const { client, api, signal } = await recordedClient(linodeProvider, env, [
      {
        request: { method: 'POST', url: `${API}/domains/1234/records`, headers: { ...bearer, 'content-type': 'application/json' }, body: { type: 'TXT', name: '', target: ours, ttl_sec: 300 } },
        response: { status: 200, body: { id: 123456, type: 'TXT', name: '', target: ours, ttl_sec: 300, priority: 0, weight: 0, port: 0 } },
      },
      { request: { method: 'DELETE', url: `${API}/domains/1234/records/123456`, headers: bearer }, response: { status: 200, body: {} } },
    ]);
    const placed = await client.createTxt(apex, signal);
    expect(placed.id).toBe('123456');
    await client.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('without the id, deletes only our value at that name (the other value and other names survive)', async () => {
    const { client, api, signal } = await recordedClient(linodeProvider, env, [
      {
        request: { method: 'GET', url: `${API}/domains/1234/records?page=1&page_size=500` },
        response: {
          status: 200,
          body: {
            data: [
              { id: 1, type: 'TXT', name: '_acme-challenge', target: 'the-wildcard-value', ttl_sec: 300 },
              { id: 2, type: 'TXT', name: '_acme-challenge', target: ours, ttl_sec: 300 },
              { id: 3, type: 'TXT', name: '_acme-challenge.www', target: ours, ttl_sec: 300 },
            ],
            page: 1,
            pages: 1,
            results: 3,
          },
        },
      },
      { request: { method: 'DELETE', url: `${API}/domains/1234/records/2` }, response: { status: 200, body: {} } },
    ]);
    await client.deleteTxt(record, signal);
    api.assertDone();
  });

  it('names the provider, zone, record and status on a 401', async () => {
    const { client, signal } = await recordedClient(linodeProvider, env, [
      { request: { method: 'POST', url: `${API}/domains/1234/records` }, response: { status: 401, body: { errors: [{ reason: 'Invalid Token' }] } } },
    ]);
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(401);
    expect(error.message).toBe('linode: creating TXT _acme-challenge.example.com in zone example.com: HTTP 401: {"errors":[{"reason":"Invalid Token"}]}');
  });

  it('waits as Retry-After asks on a 429, then deletes', async () => {
    const { client, api, deps, signal } = await recordedClient(linodeProvider, env, [
      { request: { method: 'DELETE', url: `${API}/domains/1234/records/9` }, response: { status: 429, headers: { 'retry-after': '5' }, body: { errors: [{ reason: 'Too Many Requests' }] } } },
      { request: { method: 'DELETE', url: `${API}/domains/1234/records/9` }, response: { status: 200, body: {} } },
    ]);
    await client.deleteTxt({ ...record, id: '9' }, signal);
    expect(deps.slept).toEqual([5000]);
    api.assertDone();
  });

  it("declares lego's names and Linode's TTL floor", () => {
    expect(linodeProvider.name).toBe('linode');
    expect(linodeProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['token', ['LINODE_TOKEN']]]);
    expect(linodeProvider.minimumTtl).toBe(300);
  });

  it('a library caller that builds the client without the token gets a ConfigError naming LINODE_TOKEN', () => {
    const create = () => linodeProvider.create({ options: {}, secrets: {} }, recordedDeps(recordedApi([])));
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(/the secret token is missing/);
    try {
      create();
    } catch (err) {
      expect((err as ConfigError).hint).toContain('LINODE_TOKEN');
    }
  });
});
