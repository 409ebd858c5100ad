/**
 * Google Cloud DNS against exchanges recorded from the published API reference, not captured from
 * the live API:
 *   https://developers.google.com/identity/protocols/oauth2/service-account#httprest (JWT bearer grant)
 *   https://cloud.google.com/dns/docs/reference/rest/v1/managedZones/list
 *   https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/list
 *   https://cloud.google.com/dns/docs/reference/rest/v1/changes/create
 * The service account key is a throwaway RSA key made here; the JWT is verified with its public key.
 */
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/errors.js';
import { gcloudProvider } from '../../../../src/challenges/dns-providers/gcloud.js';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { recordedApi, recordedDeps, type Exchange } from '../../../helpers/recorded-api.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const clientEmail = 'certfleet-dns@my-project.iam.gserviceaccount.com';
const serviceAccount = JSON.stringify({
  type: 'service_account',
  project_id: 'my-project',
  private_key_id: '3b1f8e6a0c2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f',
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  client_email: clientEmail,
  client_id: '113198762987654321012',
  token_uri: 'https://oauth2.googleapis.com/token',
});

const ZONES = 'https://dns.googleapis.com/dns/v1/projects/my-project/managedZones';
const signal = new AbortController().signal;
const zone = { id: 'example-com', name: 'example.com' };
const name = '_acme-challenge.example.com';
const value = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const other = 'c2Vjb25kLXZhbHVlLWZvci10aGUtd2lsZGNhcmQtb3JkZXI';
const bearer = { authorization: 'Bearer ya29.c.b0AXv0zTOKENEXAMPLE' };
const now = new Date('2026-12-03T12:00:00Z');

/** The token request: a form with the JWT bearer grant and an assertion that verifies with the key's public half. */
const tokenExchange = (response: Exchange['response'] = { status: 200, body: { access_token: 'ya29.c.b0AXv0zTOKENEXAMPLE', expires_in: 3599, token_type: 'Bearer' } }): Exchange => ({
  request: {
    method: 'POST',
    url: 'https://oauth2.googleapis.com/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    checkBody(body) {
      const form = new URLSearchParams(body);
      expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      const [header, claims, signature] = (form.get('assertion') ?? '').split('.') as [string, string, string];
      expect(verify('sha256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url')), 'RS256 signature verifies with the public key').toBe(true);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid: '3b1f8e6a0c2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f' });
      const iat = now.getTime() / 1000;
      expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toEqual({ iss: clientEmail, scope: 'https://www.googleapis.com/auth/ndev.clouddns.readwrite', aud: 'https://oauth2.googleapis.com/token', iat, exp: iat + 3600 });
    },
  },
  response,
});
const rrset = (values: string[], ttl = 60) => ({ name: `${name}.`, type: 'TXT', ttl, rrdatas: values.map((v) => `"${v}"`) });
const readSet = (values: string[], ttl = 60): Exchange => ({
  request: { method: 'GET', url: `${ZONES}/example-com/rrsets?name=${name}.&type=TXT`, headers: bearer },
  response: { status: 200, body: { kind: 'dns#resourceRecordSetsListResponse', rrsets: values.length > 0 ? [{ kind: 'dns#resourceRecordSet', ...rrset(values, ttl) }] : [] } },
});
const change = (body: unknown, response: Exchange['response'] = { status: 200, body: { kind: 'dns#change', ...(body as object), startTime: '2026-12-03T12:00:00.000Z', id: '42', status: 'pending' } }): Exchange => ({
  request: { method: 'POST', url: `${ZONES}/example-com/changes`, headers: bearer, body },
  response,
});

function client(exchanges: Exchange[], options: { project?: string } = {}, clock = () => now) {
  const api = recordedApi(exchanges);
  const deps = { ...recordedDeps(api, now), now: clock };
  return { api, deps, client: gcloudProvider.create({ options, secrets: { serviceAccount } }, deps) };
}

describe('gcloud', () => {
  it('gets a token with the signed JWT, then finds the longest public zone, paging past a private one', async () => {
    const { api, client: gc } = client([
      tokenExchange(),
      { request: { method: 'GET', url: `${ZONES}?dnsName=_acme-challenge.www.example.com.`, headers: bearer }, response: { status: 200, body: { kind: 'dns#managedZonesListResponse', managedZones: [] } } },
      { request: { method: 'GET', url: `${ZONES}?dnsName=www.example.com.`, headers: bearer }, response: { status: 200, body: { kind: 'dns#managedZonesListResponse', managedZones: [] } } },
      {
        request: { method: 'GET', url: `${ZONES}?dnsName=example.com.`, headers: bearer },
        response: { status: 200, body: { managedZones: [{ kind: 'dns#managedZone', name: 'example-com-internal', dnsName: 'example.com.', id: '1', visibility: 'private' }], nextPageToken: 'CiAKGjBpNDBkb' } },
      },
      {
        request: { method: 'GET', url: `${ZONES}?dnsName=example.com.&pageToken=CiAKGjBpNDBkb`, headers: bearer },
        response: { status: 200, body: { managedZones: [{ kind: 'dns#managedZone', name: 'example-com', dnsName: 'example.com.', id: '2', visibility: 'public' }] } },
      },
    ]);
    await expect(gc.findZone('_acme-challenge.www.example.com', signal)).resolves.toEqual(zone);
    api.assertDone();
  });

  it('adds our value to the set and takes only ours out again, with one token for the whole run', async () => {
    const { api, client: gc } = client([
      tokenExchange(),
      readSet([other], 300),
      change({ deletions: [rrset([other], 300)], additions: [rrset([other, value], 60)] }),
      readSet([other, value]),
      change({ deletions: [rrset([other, value])], additions: [rrset([other])] }),
      readSet([value]),
      change({ deletions: [rrset([value])] }),
    ]);
    const placed = await gc.createTxt({ zone, name, value, ttl: 60 }, signal);
    await gc.deleteTxt(placed, signal);
    await gc.deleteTxt({ ...placed, value: value }, signal);
    api.assertDone();
  });

  it('reads again and retries when the set changed between our read and our change (412)', async () => {
    const { api, client: gc } = client([
      tokenExchange(),
      readSet([]),
      change({ additions: [rrset([value])] }, { status: 409, body: { error: { code: 409, message: "The resource 'entity.change.additions[0]' named '_acme-challenge.example.com. (TXT)' already exists", errors: [{ reason: 'alreadyExists' }] } } }),
      readSet([other]),
      change({ deletions: [rrset([other])], additions: [rrset([other, value])] }),
    ]);
    await gc.createTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
  });

  it('renews the token only when it is about to expire', async () => {
    let clock = now;
    const later = new Date(now.getTime() + 3599_000 - 30_000);
    const { api, client: gc } = client(
      [
        tokenExchange(),
        readSet([value]),
        { ...tokenExchange(), request: { ...tokenExchange().request, checkBody: undefined } },
        readSet([value]),
      ],
      {},
      () => clock,
    );
    await gc.createTxt({ zone, name, value, ttl: 60 }, signal);
    clock = later;
    await gc.createTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
  });

  it('names the provider, the record, the zone and the status when the account may not change the zone', async () => {
    const { client: gc } = client([
      tokenExchange(),
      readSet([]),
      change({ additions: [rrset([value])] }, { status: 403, body: { error: { code: 403, message: `Forbidden`, errors: [{ message: 'Forbidden', domain: 'global', reason: 'forbidden' }] } } }),
    ]);
    const error = (await gc.createTxt({ zone, name, value, ttl: 60 }, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toBe(`gcloud: creating TXT ${name} in zone example.com: HTTP 403: Forbidden (forbidden)`);
    expect(error.hint).toContain(clientEmail);
  });

  it('says the key was refused when the token endpoint refuses the assertion', async () => {
    const { client: gc } = client([tokenExchange({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } })]);
    const error = (await gc.findZone(name, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error.message).toBe(`gcloud: getting an access token for ${clientEmail}: HTTP 400: invalid_grant: Invalid JWT Signature.`);
    expect(error.status).toBe(400);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const { api, deps, client: gc } = client([
      tokenExchange(),
      { request: { method: 'GET', url: `${ZONES}/example-com/rrsets?name=${name}.&type=TXT` }, response: { status: 429, headers: { 'retry-after': '5' }, body: { error: { code: 429, message: 'Rate Limit Exceeded' } } } },
      readSet([value]),
    ]);
    await gc.createTxt({ zone, name, value, ttl: 60 }, signal);
    expect(deps.slept).toEqual([5000]);
    api.assertDone();
  });

  it('refuses a key that is not a service account key as a config error', () => {
    const deps = recordedDeps(recordedApi([]));
    expect(() => gcloudProvider.create({ options: {}, secrets: { serviceAccount: '/etc/certfleet/sa.json' } }, deps)).toThrow(ConfigError);
    expect(() => gcloudProvider.create({ options: {}, secrets: { serviceAccount: '{"type":"authorized_user"}' } }, deps)).toThrow(/lacks client_email or private_key/);
  });

  it("accepts lego's environment variable names; the project defaults to the key's", () => {
    expect(gcloudProvider.secrets.map((s) => [s.key, s.legoEnv])).toEqual([['serviceAccount', ['GCE_SERVICE_ACCOUNT']]]);
    expect(gcloudProvider.plainOptions).toEqual([expect.objectContaining({ key: 'project', legoEnv: ['GCE_PROJECT'] })]);
  });

  it('uses the project option over the key\'s project_id', async () => {
    const { api, client: gc } = client(
      [tokenExchange(), { request: { method: 'GET', url: 'https://dns.googleapis.com/dns/v1/projects/other-project/managedZones?dnsName=example.com.' }, response: { status: 200, body: { managedZones: [{ name: 'ex', dnsName: 'example.com.', visibility: 'public' }] } } }],
      { project: 'other-project' },
    );
    await expect(gc.findZone('example.com', signal)).resolves.toEqual({ id: 'ex', name: 'example.com' });
    api.assertDone();
  });

  it("takes the key from GCE_SERVICE_ACCOUNT_FILE (lego's <VAR>_FILE) and the project from GCE_PROJECT through the registry's resolution", async () => {
    const files = async (path: string): Promise<string> => {
      if (path === '/etc/certfleet/gcloud-sa.json') return `${serviceAccount}\n`;
      throw new Error(`no file ${path}`);
    };
    const fromFile = await resolveProviderSettings(gcloudProvider, {}, { GCE_SERVICE_ACCOUNT_FILE: '/etc/certfleet/gcloud-sa.json', GCE_PROJECT: 'other-project' }, files, 'challenge');
    expect(fromFile).toEqual({ options: { project: 'other-project' }, secrets: { serviceAccount } });
    const inline = await resolveProviderSettings(gcloudProvider, {}, { GCE_SERVICE_ACCOUNT: serviceAccount }, files, 'challenge');
    expect(inline.secrets.serviceAccount).toBe(serviceAccount);
  });
});
