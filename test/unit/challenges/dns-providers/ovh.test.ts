/**
 * OVHcloud against exchanges recorded from the published API reference, not captured from the
 * live API: https://eu.api.ovh.com/console/?section=%2Fdomain&branch=v1 (GET /domain/zone,
 * POST /domain/zone/{zoneName}/record, POST .../refresh, DELETE .../record/{id}, GET /auth/time)
 * and the signature of "First steps with the OVHcloud APIs"
 * (https://help.ovhcloud.com/csm/en-gb-api-getting-started-ovhcloud-api?id=kb_article_view&sysparm_article=KB0042784):
 * "$1$" + SHA1_HEX(AS+"+"+CK+"+"+METHOD+"+"+QUERY+"+"+BODY+"+"+TSTAMP), TSTAMP in the API's clock.
 * The signature vectors below are the published ones of OVH's Go client (github.com/ovh/go-ovh,
 * ovh/ovh_test.go, TestAllAPIMethods: revoked credentials, time 1457018875).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { ConfigError } from '../../../../src/errors.js';
import { ovhBaseUrl, ovhProvider, ovhSignature } from '../../../../src/challenges/dns-providers/ovh.js';
import { recordedClient } from '../../../helpers/provider-client.js';
import type { RecordedRequest } from '../../../helpers/recorded-api.js';

const API = 'https://api.eu.ovhcloud.com/1.0';
const AK = 'test-application-key';
const AS = 'test-application-secret';
const CK = 'test-consumer-key';
const env = { OVH_ENDPOINT: 'ovh-eu', OVH_APPLICATION_KEY: AK, OVH_APPLICATION_SECRET: AS, OVH_CONSUMER_KEY: CK };
const now = new Date('2026-12-03T12:00:00Z');
/** The API's clock is 7 s behind ours: every timestamp must be the API's. */
const apiTime = Math.floor(now.getTime() / 1000) - 7;
const ours = 'pL3nQ8rT1vX6zB9cE2gJ5kM0oR4sU7wY1aD4fH7jK0m';
const zone = { id: 'example.com', name: 'example.com' };
const record = { zone, name: '_acme-challenge.www.example.com', value: ours, ttl: 60 };

/** The signature computed here from OVH's formula, independently of the client's code. */
function signed(method: string, url: string, body: unknown, secondsLater = 0): Pick<RecordedRequest, 'headers' | 'check'> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = apiTime + secondsLater;
  const expected = `$1$${createHash('sha1').update(`${AS}+${CK}+${method}+${url}+${text}+${timestamp}`).digest('hex')}`;
  return {
    headers: { 'x-ovh-application': AK, 'x-ovh-consumer': CK, 'x-ovh-timestamp': String(timestamp), 'x-ovh-signature': expected },
    check: (request) => expect(request.body).toBe(text),
  };
}

function req(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, secondsLater = 0): RecordedRequest {
  const url = `${API}${path}`;
  return { method, url, ...(body === undefined ? {} : { body }), ...signed(method, url, body, secondsLater) };
}

const authTime = { request: { method: 'GET', url: `${API}/auth/time`, headers: { 'x-ovh-signature': (v: string | null) => expect(v).toBeNull() } }, response: { status: 200, body: apiTime } };

describe('ovhSignature', () => {
  it("matches the published vectors of OVH's Go client", () => {
    const common = { applicationSecret: '9ufkBmLaTQ9nz5yMUlg79taH0GNnzDjk', consumerKey: '5mBuy6SUQcRw2ZUxg0cG68BoDKpED4KY', url: 'https://api.eu.ovhcloud.com/1.0/auth', timestamp: 1457018875 };
    expect(ovhSignature({ ...common, method: 'GET', body: '' })).toBe('$1$52992e595b398f6aba591ee5925b379081614ced');
    expect(ovhSignature({ ...common, method: 'POST', body: '{"a":"b","c":"d"}' })).toBe('$1$ea0e0d82447373a3ddf5947065f1d519ca0bcaf2');
    expect(ovhSignature({ ...common, method: 'PUT', body: '{"a":"b","c":"d"}' })).toBe('$1$0fdc3ed192ffbf3d1be414dbb733bbb7729500ee');
    expect(ovhSignature({ ...common, method: 'DELETE', body: '' })).toBe('$1$f685c165fa9da88b294b5fd2504588588105f994');
  });

  it('maps the endpoint names as go-ovh does, and takes a URL', () => {
    expect(ovhBaseUrl('ovh-eu')).toBe('https://api.eu.ovhcloud.com/1.0');
    expect(ovhBaseUrl('ovh-ca')).toBe('https://api.ca.ovhcloud.com/1.0');
    expect(ovhBaseUrl('ovh-us')).toBe('https://api.us.ovhcloud.com/1.0');
    expect(ovhBaseUrl('https://eu.api.kimsufi.com/1.0/')).toBe('https://eu.api.kimsufi.com/1.0');
  });
});

describe('ovh', () => {
  it('reads the API clock once and signs every request with its time; finds the longest zone', async () => {
    const { client, api, signal } = await recordedClient(
      ovhProvider,
      env,
      [authTime, { request: req('GET', '/domain/zone'), response: { status: 200, body: ['example.com', 'www.example.com.example.net', 'w.example.com'] } }, { request: req('GET', '/domain/zone'), response: { status: 200, body: ['example.com', 'www.example.com'] } }],
      { now },
    );
    expect(await client.findZone('_acme-challenge.www.example.com', signal)).toEqual({ id: 'example.com', name: 'example.com' });
    expect(await client.findZone('_acme-challenge.www.example.com', signal)).toEqual({ id: 'www.example.com', name: 'www.example.com' });
    api.assertDone();
  });

  it('creates our record and refreshes; deletes exactly that record by id and refreshes', async () => {
    const { client, api, signal } = await recordedClient(
      ovhProvider,
      env,
      [
        authTime,
        {
          request: { ...req('POST', '/domain/zone/example.com/record', { fieldType: 'TXT', subDomain: '_acme-challenge.www', target: ours, ttl: 60 }), headers: { ...signed('POST', `${API}/domain/zone/example.com/record`, { fieldType: 'TXT', subDomain: '_acme-challenge.www', target: ours, ttl: 60 }).headers, 'content-type': 'application/json;charset=utf-8' } },
          response: { status: 200, body: { id: 5093245011, zone: 'example.com', subDomain: '_acme-challenge.www', fieldType: 'TXT', target: ours, ttl: 60 } },
        },
        { request: req('POST', '/domain/zone/example.com/refresh'), response: { status: 200, body: null } },
        { request: req('DELETE', '/domain/zone/example.com/record/5093245011'), response: { status: 200, body: null } },
        { request: req('POST', '/domain/zone/example.com/refresh'), response: { status: 200, body: null } },
      ],
      { now },
    );
    const placed = await client.createTxt(record, signal);
    expect(placed.id).toBe('5093245011');
    await client.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('without the id, deletes only the record holding our value (the other value at the name survives)', async () => {
    const { client, api, signal } = await recordedClient(
      ovhProvider,
      env,
      [
        authTime,
        { request: req('GET', '/domain/zone/example.com/record?fieldType=TXT&subDomain=_acme-challenge.www'), response: { status: 200, body: [11, 12] } },
        { request: req('GET', '/domain/zone/example.com/record/11'), response: { status: 200, body: { id: 11, zone: 'example.com', subDomain: '_acme-challenge.www', fieldType: 'TXT', target: '"the-wildcard-value"', ttl: 60 } } },
        { request: req('GET', '/domain/zone/example.com/record/12'), response: { status: 200, body: { id: 12, zone: 'example.com', subDomain: '_acme-challenge.www', fieldType: 'TXT', target: `"${ours}"`, ttl: 60 } } },
        { request: req('DELETE', '/domain/zone/example.com/record/12'), response: { status: 200, body: null } },
        { request: req('POST', '/domain/zone/example.com/refresh'), response: { status: 200, body: null } },
      ],
      { now },
    );
    await client.deleteTxt(record, signal);
    api.assertDone();
  });

  it('names the provider, zone, record and status on a 403', async () => {
    const { client, signal } = await recordedClient(
      ovhProvider,
      env,
      [authTime, { request: { method: 'POST', url: `${API}/domain/zone/example.com/record` }, response: { status: 403, body: { errorCode: 'NOT_GRANTED_CALL', httpCode: '403 Forbidden', message: 'This call has not been granted' } } }],
      { now },
    );
    const error = (await client.createTxt(record, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/^ovh: creating TXT _acme-challenge\.www\.example\.com in zone example\.com: HTTP 403: .*This call has not been granted/);
  });

  it('waits as Retry-After asks on a 429, then creates with a fresh signature (not a replay of the stale timestamp)', async () => {
    const body = { fieldType: 'TXT', subDomain: '_acme-challenge.www', target: ours, ttl: 60 };
    const { client, api, deps, signal } = await recordedClient(
      ovhProvider,
      env,
      [
        authTime,
        { request: req('POST', '/domain/zone/example.com/record', body), response: { status: 429, headers: { 'retry-after': '2' }, body: { message: 'Too many requests' } } },
        { request: req('POST', '/domain/zone/example.com/record', body, 2), response: { status: 200, body: { id: 1, ...body } } },
        { request: req('POST', '/domain/zone/example.com/refresh', undefined, 2), response: { status: 200, body: null } },
      ],
      { now, clockFollowsSleeps: true },
    );
    await client.createTxt(record, signal);
    expect(deps.slept).toEqual([2000]);
    api.assertDone();
  });

  it('with OVH_ACCESS_TOKEN, sends it as Bearer and signs nothing', async () => {
    const { client, api, signal } = await recordedClient(
      ovhProvider,
      { OVH_ENDPOINT: 'ovh-ca', OVH_ACCESS_TOKEN: 'ovh-access-token' },
      [{ request: { method: 'GET', url: 'https://api.ca.ovhcloud.com/1.0/domain/zone', headers: { authorization: 'Bearer ovh-access-token', 'x-ovh-signature': (v) => expect(v).toBeNull() } }, response: { status: 200, body: ['example.com'] } }],
      { now },
    );
    expect((await client.findZone('_acme-challenge.example.com', signal)).name).toBe('example.com');
    api.assertDone();
  });

  it("declares lego's names: provider ovh, OVH_ENDPOINT and the credentials", () => {
    expect(ovhProvider.name).toBe('ovh');
    expect(ovhProvider.plainOptions.map((o) => o.legoEnv)).toEqual([['OVH_ENDPOINT']]);
    expect(ovhProvider.secrets.map((s) => s.legoEnv)).toEqual([['OVH_APPLICATION_KEY'], ['OVH_APPLICATION_SECRET'], ['OVH_CONSUMER_KEY'], ['OVH_ACCESS_TOKEN']]);
    expect(ovhProvider.secretsSufficient?.({ applicationKey: 'a', applicationSecret: 's' })).toBe(false);
  });

  it('refuses half a set of keys through the registry, naming the lego variables', async () => {
    const noFiles = async () => '';
    const failure = resolveProviderSettings(ovhProvider, {}, { OVH_APPLICATION_KEY: AK, OVH_APPLICATION_SECRET: AS }, noFiles, 'challenge');
    await expect(failure).rejects.toThrow(ConfigError);
    await expect(failure).rejects.toThrow(/OVH_CONSUMER_KEY/);
    await expect(resolveProviderSettings(ovhProvider, { endpoint: 'ovh-mars' }, env, noFiles, 'challenge')).rejects.toThrow(/challenge\.endpoint: takes one of ovh-eu/);
  });
});
