/**
 * Amazon Route 53 against exchanges recorded from the published API reference, not captured from
 * the live API:
 *   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html
 *   https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHostedZone.html
 *   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
 *   https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 *   (a batch applies all or nothing; a DELETE must name the set exactly as it is; InvalidChangeBatch,
 *   HTTP 400, in both shapes Route 53 sends it: <ErrorResponse><Error><Code>InvalidChangeBatch and
 *   <InvalidChangeBatch><Messages><Message>, the latter as AWS's Go SDK documents it)
 * Every request's SigV4 signature is recomputed by test/helpers/sigv4.ts, which is first checked
 * against AWS's published SigV4 test suite (get-vanilla, get-vanilla-with-session-token,
 * post-x-www-form-urlencoded; awslabs/aws-c-auth tests/aws-signing-test-suite/v4/), as is aws4.
 */
import aws4 from 'aws4';
import { describe, expect, it } from 'vitest';
import { DnsProviderError } from '../../../../src/challenges/dns-providers/http.js';
import { route53Provider } from '../../../../src/challenges/dns-providers/route53.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { recordedApi, recordedDeps, type Exchange, type RecordedRequest } from '../../../helpers/recorded-api.js';
import { checkSigV4, type SentRequest } from '../../../helpers/sigv4.js';

// AWS's documented example credentials (the test suite's), not a real key.
const ACCESS_KEY = 'AKIDEXAMPLE';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe("SigV4 against AWS's published test suite", () => {
  const suite = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY };

  it('get-vanilla: canonical request, string to sign and signature, by aws4 and by the checker', () => {
    const canonicalRequest = 'GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const stringToSign = 'AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63';
    const signature = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
    const signer = new aws4.RequestSigner({ host: 'example.amazonaws.com', path: '/', method: 'GET', service: 'service', region: 'us-east-1', headers: { 'X-Amz-Date': '20150830T123600Z' } }, suite);
    expect(signer.canonicalString()).toBe(canonicalRequest);
    expect(signer.stringToSign()).toBe(stringToSign);
    expect(signer.signature()).toBe(signature);
    const check = checkSigV4(
      {
        method: 'GET',
        url: 'https://example.amazonaws.com/',
        headers: new Headers({ 'x-amz-date': '20150830T123600Z', authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${signature}` }),
        body: '',
      },
      SECRET_KEY,
    );
    expect(check.canonicalRequest).toBe(canonicalRequest);
    expect(check.stringToSign).toBe(stringToSign);
    expect(check.expectedSignature).toBe(signature);
  });

  it('get-vanilla-with-session-token: the token is a signed header', () => {
    const token = '6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267';
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8';
    const signed = aws4.sign({ host: 'example.amazonaws.com', path: '/', method: 'GET', service: 'service', region: 'us-east-1', headers: { 'X-Amz-Date': '20150830T123600Z' } }, { ...suite, sessionToken: token });
    expect(signed.headers?.Authorization).toBe(authorization);
    const check = checkSigV4({ method: 'GET', url: 'https://example.amazonaws.com/', headers: new Headers({ 'x-amz-date': '20150830T123600Z', 'x-amz-security-token': token, authorization }), body: '' }, SECRET_KEY);
    expect(check.stringToSign).toBe('AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b');
    expect(check.expectedSignature).toBe(check.signature);
  });

  it('post-x-www-form-urlencoded: a signed body', () => {
    const headers = { 'content-length': '13', 'content-type': 'application/x-www-form-urlencoded', 'x-amz-content-sha256': '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e', 'x-amz-date': '20150830T123600Z' };
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b';
    const signed = aws4.sign({ host: 'example.amazonaws.com', path: '/', method: 'POST', service: 'service', region: 'us-east-1', body: 'Param1=value1', headers: { 'Content-Type': headers['content-type'], 'X-Amz-Content-Sha256': headers['x-amz-content-sha256'], 'X-Amz-Date': headers['x-amz-date'] } }, suite);
    expect(signed.headers?.Authorization).toBe(authorization);
    const check = checkSigV4({ method: 'POST', url: 'https://example.amazonaws.com/', headers: new Headers({ ...headers, authorization }), body: 'Param1=value1' }, SECRET_KEY);
    expect(check.stringToSign.split('\n')[3]).toBe('b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb');
    expect(check.expectedSignature).toBe(check.signature);
  });

  it('the checker refuses a signature made over something else', () => {
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
    const check = checkSigV4({ method: 'GET', url: 'https://example.amazonaws.com/?x=1', headers: new Headers({ 'x-amz-date': '20150830T123600Z', authorization }), body: '' }, SECRET_KEY);
    expect(check.expectedSignature).not.toBe(check.signature);
  });
});

const R53 = 'https://route53.amazonaws.com/2013-04-01';
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const signal = new AbortController().signal;
const zone = { id: 'Z1D633PJN98FT9', name: 'example.com' };
const name = '_acme-challenge.example.com';
const value = 'LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0';
const other = 'c2Vjb25kLXZhbHVlLWZvci10aGUtd2lsZGNhcmQtb3JkZXI';
const rrsetUrl = `${R53}/hostedzone/${zone.id}/rrset?name=${name}.&type=TXT&maxitems=1`;
const changeUrl = `${R53}/hostedzone/${zone.id}/rrset/`;

/** Each request must carry a valid SigV4 signature for route53/us-east-1 at the recorded clock, over what was sent. */
function signedBy(sessionToken?: string): Pick<RecordedRequest, 'check'> {
  return {
    check(request: SentRequest) {
      const c = checkSigV4(request, SECRET_KEY);
      expect(c.signature, `signature of ${request.method} ${request.url}`).toBe(c.expectedSignature);
      expect([c.accessKeyId, c.date, c.region, c.service]).toEqual([ACCESS_KEY, '20261203', 'us-east-1', 'route53']);
      expect(request.headers.get('x-amz-date')).toBe('20261203T120000Z');
      for (const h of ['host', 'x-amz-date', ...(request.body ? ['content-type'] : []), ...(sessionToken ? ['x-amz-security-token'] : [])]) expect(c.signedHeaders).toContain(h);
      if (sessionToken) expect(request.headers.get('x-amz-security-token')).toBe(sessionToken);
    },
  };
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const hostedZone = (id: string, zoneName: string, priv = false) =>
  `<HostedZone><Id>/hostedzone/${id}</Id><Name>${zoneName}</Name><CallerReference>2014-04-01-18:47</CallerReference><Config><Comment>zone</Comment><PrivateZone>${priv}</PrivateZone></Config><ResourceRecordSetCount>17</ResourceRecordSetCount></HostedZone>`;
const zonesPage = (dnsName: string, zones: string, next?: [string, string]) =>
  xml(
    `<ListHostedZonesByNameResponse xmlns="${NS}"><HostedZones>${zones}</HostedZones><DNSName>${dnsName}</DNSName>` +
      (next ? `<IsTruncated>true</IsTruncated><NextDNSName>${next[0]}</NextDNSName><NextHostedZoneId>${next[1]}</NextHostedZoneId>` : '<IsTruncated>false</IsTruncated>') +
      '<MaxItems>100</MaxItems></ListHostedZonesByNameResponse>',
  );
const txtSet = (values: string[], ttl = 60, setName = `${name}.`) =>
  xml(
    `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>` +
      (values.length > 0 ? `<ResourceRecordSet><Name>${setName}</Name><Type>TXT</Type><TTL>${ttl}</TTL><ResourceRecords>${values.map((v) => `<ResourceRecord><Value>"${v}"</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>` : '') +
      '</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>',
  );
const changeInfo = xml(`<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>2026-12-03T12:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`);
/** One change of a batch: the action, the set's values (unquoted) and its TTL. */
type Step = [action: 'CREATE' | 'DELETE', values: string[], ttl: number];
const batch = (steps: Step[], comment: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch><Comment>certfleet: ${comment}</Comment><Changes>` +
  steps.map(([action, values, ttl]) => `<Change><Action>${action}</Action><ResourceRecordSet><Name>${name}.</Name><Type>TXT</Type><TTL>${ttl}</TTL><ResourceRecords>${values.map((v) => `<ResourceRecord><Value>&quot;${v}&quot;</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet></Change>`).join('') +
  '</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>';
const creating = `creating TXT ${name} in zone example.com`;
const deleting = `deleting TXT ${name} in zone example.com`;

const readSet = (values: string[], ttl = 60): Exchange => ({ request: { method: 'GET', url: rrsetUrl, ...signedBy() }, response: { status: 200, headers: { 'content-type': 'text/xml' }, body: txtSet(values, ttl) } });
const changeSet = (steps: Step[], comment: string, response: Exchange['response'] = { status: 200, headers: { 'content-type': 'text/xml' }, body: changeInfo }): Exchange => ({
  request: { method: 'POST', url: changeUrl, headers: { 'content-type': 'application/xml' }, checkBody: (body) => expect(body).toBe(batch(steps, comment)), ...signedBy() },
  response,
});
/** Route 53's refusal of a batch whose DELETE no longer matches or whose CREATE finds a set: the shape AWS's SDKs document... */
const refusedBatch = (message: string): Exchange['response'] => ({
  status: 400,
  headers: { 'content-type': 'text/xml' },
  body: xml(`<InvalidChangeBatch xmlns="${NS}"><Messages><Message>${message}</Message></Messages><RequestId>b25f48e8-84fd-11e6-80d9-574e0c4664cb</RequestId></InvalidChangeBatch>`),
});
/** ...and the common error shape with the same code. */
const refusedAsError = (message: string): Exchange['response'] => ({
  status: 400,
  headers: { 'content-type': 'text/xml' },
  body: xml(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>${message}</Message></Error><RequestId>259cf885-1f32-11e8-981c-cd2103792d25</RequestId></ErrorResponse>`),
});
const alreadyExists = `Tried to create resource record set [name='${name}.', type='TXT'] but it already exists`;
const doesNotMatch = `Tried to delete resource record set [name='${name}.', type='TXT'] but the values provided do not match the current values`;
const third = 'dGhpcmQtdmFsdWUtZnJvbS1hbm90aGVyLXJ1bm5lcg';

function client(exchanges: Exchange[], options: { hostedZoneId?: string } = {}, secrets: Record<string, string | undefined> = { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }) {
  const api = recordedApi(exchanges);
  const deps = recordedDeps(api);
  return { api, deps, client: route53Provider.create({ options, secrets }, deps) };
}

describe('route53', () => {
  it('finds the longest public hosted zone by name, paging past a private zone of the same name', async () => {
    const { api, client: r53 } = client([
      // The list starts at the name asked for and runs on: a page that does not name it means no such zone.
      { request: { method: 'GET', url: `${R53}/hostedzonesbyname?dnsname=_acme-challenge.www.example.com&maxitems=100`, ...signedBy() }, response: { status: 200, body: zonesPage('_acme-challenge.www.example.com', hostedZone('Z3M3LMPEXAMPLE', 'example.net.')) } },
      { request: { method: 'GET', url: `${R53}/hostedzonesbyname?dnsname=www.example.com&maxitems=100`, ...signedBy() }, response: { status: 200, body: zonesPage('www.example.com', hostedZone('Z2PRIVATEEXAMPLE', 'www.example.com.', true), ['www.example.com.', 'Z1PUBLICEXAMPLE']) } },
      { request: { method: 'GET', url: `${R53}/hostedzonesbyname?dnsname=www.example.com&hostedzoneid=Z1PUBLICEXAMPLE&maxitems=100`, ...signedBy() }, response: { status: 200, body: zonesPage('www.example.com', hostedZone('Z1PUBLICEXAMPLE', 'www.example.com.') + hostedZone('Z3M3LMPEXAMPLE', 'example.net.')) } },
    ]);
    await expect(r53.findZone('_acme-challenge.www.example.com', signal)).resolves.toEqual({ id: 'Z1PUBLICEXAMPLE', name: 'www.example.com' });
    api.assertDone();
  });

  it('uses hostedZoneId (AWS_HOSTED_ZONE_ID) when given, and refuses one that does not hold the name', async () => {
    const getZone = (id: string, zoneName: string): Exchange => ({
      request: { method: 'GET', url: `${R53}/hostedzone/${id}`, ...signedBy() },
      response: { status: 200, body: xml(`<GetHostedZoneResponse xmlns="${NS}">${hostedZone(id, zoneName)}<DelegationSet><NameServers><NameServer>ns-2048.awsdns-64.com</NameServer></NameServers></DelegationSet></GetHostedZoneResponse>`) },
    });
    const { api, client: r53 } = client([getZone('Z1D633PJN98FT9', 'example.com.')], { hostedZoneId: 'Z1D633PJN98FT9' });
    await expect(r53.findZone(name, signal)).resolves.toEqual(zone);
    api.assertDone();
    const { client: wrong } = client([getZone('Z3M3LMPEXAMPLE', 'example.net.')], { hostedZoneId: 'Z3M3LMPEXAMPLE' });
    await expect(wrong.findZone(name, signal)).rejects.toThrow(/^route53: hosted zone Z3M3LMPEXAMPLE is example\.net, which does not hold _acme-challenge\.example\.com$/);
  });

  it('adds our value to the set and takes only ours out again, so the other value survives', async () => {
    const { api, client: r53 } = client([
      readSet([other], 300),
      changeSet([['DELETE', [other], 300], ['CREATE', [other, value], 60]], creating),
      readSet([other, value], 60),
      changeSet([['DELETE', [other, value], 60], ['CREATE', [other], 60]], deleting),
    ]);
    const placed = await r53.createTxt({ zone, name, value, ttl: 60 }, signal);
    await r53.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('creates the set when there is none, deletes it exactly as read when ours is the last value, and does nothing when ours is gone', async () => {
    const { api, client: r53 } = client([readSet([]), changeSet([['CREATE', [value], 60]], creating), readSet([value], 60), changeSet([['DELETE', [value], 60]], deleting), readSet([other], 60)]);
    const placed = await r53.createTxt({ zone, name, value, ttl: 60 }, signal);
    await r53.deleteTxt(placed, signal);
    await r53.deleteTxt(placed, signal);
    api.assertDone();
  });

  it('serialises two values at one name (a domain and its wildcard), so the second write keeps the first', async () => {
    const { api, client: r53 } = client([readSet([]), changeSet([['CREATE', [value], 60]], creating), readSet([value]), changeSet([['DELETE', [value], 60], ['CREATE', [value, other], 60]], creating)]);
    await Promise.all([r53.createTxt({ zone, name, value, ttl: 60 }, signal), r53.createTxt({ zone, name, value: other, ttl: 60 }, signal)]);
    api.assertDone();
  });

  it('signs the session token of temporary credentials', async () => {
    const token = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';
    const { api, client: r53 } = client([{ request: { method: 'GET', url: rrsetUrl, ...signedBy(token) }, response: { status: 200, body: txtSet([value]) } }], {}, { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, sessionToken: token });
    await r53.createTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
  });

  it('names the provider, the record, the zone, the status and AWS error code on a refusal', async () => {
    const denied = xml(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/certfleet is not authorized to perform: route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/Z1D633PJN98FT9</Message></Error><RequestId>b25f48e8-84fd-11e6-80d9-574e0c4664cb</RequestId></ErrorResponse>`);
    const { api, client: r53 } = client([readSet([]), changeSet([['CREATE', [value], 60]], creating, { status: 403, body: denied })]);
    const error = (await r53.createTxt({ zone, name, value, ttl: 60 }, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(403);
    expect(error.message).toBe(`route53: ${creating}: HTTP 403: AccessDenied: User: arn:aws:iam::123456789012:user/certfleet is not authorized to perform: route53:ChangeResourceRecordSets on resource: arn:aws:route53:::hostedzone/Z1D633PJN98FT9`);
    expect(error.hint).toMatch(/route53:ChangeResourceRecordSets/);
    // A refusal that is not a refused batch is not retried.
    api.assertDone();
  });

  it('keeps a value another process added between our read and our write: the batch is refused, read again and written with both', async () => {
    const { api, deps, client: r53 } = client([
      readSet([]),
      // Another runner created the set meanwhile: our CREATE would have replaced it (as an UPSERT would).
      changeSet([['CREATE', [value], 60]], creating, refusedBatch(alreadyExists)),
      readSet([other], 300),
      changeSet([['DELETE', [other], 300], ['CREATE', [other, value], 60]], creating),
    ]);
    await r53.createTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
    expect(deps.slept).toHaveLength(1);
    expect(deps.slept[0]).toBeGreaterThanOrEqual(50);
    expect(deps.slept[0]).toBeLessThanOrEqual(100);
  });

  it('keeps a value another process added before our cleanup: the DELETE no longer matches, so the set is read again and only ours taken out', async () => {
    const { api, client: r53 } = client([
      readSet([value], 60),
      changeSet([['DELETE', [value], 60]], deleting, refusedAsError(doesNotMatch)),
      readSet([value, third], 60),
      changeSet([['DELETE', [value, third], 60], ['CREATE', [third], 60]], deleting, refusedBatch(doesNotMatch)),
      readSet([other, value, third], 60),
      changeSet([['DELETE', [other, value, third], 60], ['CREATE', [other, third], 60]], deleting),
    ]);
    await r53.deleteTxt({ zone, name, value, ttl: 60 }, signal);
    api.assertDone();
  });

  it('gives up after five retries of a refused batch, naming the provider, the zone, the record and the AWS error', async () => {
    const refusedTries = Array.from({ length: 6 }, (_, i): Exchange[] => [readSet([String(i)], 60), changeSet([['DELETE', [String(i)], 60], ['CREATE', [String(i), value], 60]], creating, refusedBatch(doesNotMatch))]).flat();
    const { api, deps, client: r53 } = client(refusedTries);
    const error = (await r53.createTxt({ zone, name, value, ttl: 60 }, signal).catch((err: unknown) => err)) as DnsProviderError;
    expect(error).toBeInstanceOf(DnsProviderError);
    expect(error.status).toBe(400);
    expect(error.message).toBe(`route53: creating TXT ${name} in zone example.com: HTTP 400: InvalidChangeBatch: ${doesNotMatch} (refused 6 times, reading the set again each time)`);
    expect(error.hint).toMatch(/another process/);
    api.assertDone();
    // A doubling wait, half of it random, between attempts: none after the last.
    expect(deps.slept).toHaveLength(5);
    deps.slept.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(50 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(100 * 2 ** i);
    });
  });

  it('waits as a 429 Retry-After asks, and backs off on Route 53 throttling (HTTP 400 Throttling), signing each attempt', async () => {
    const throttled = xml(`<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>`);
    const { api, deps, client: r53 } = client([
      { request: { method: 'GET', url: rrsetUrl, ...signedBy() }, response: { status: 429, headers: { 'retry-after': '2' }, body: 'Too Many Requests' } },
      readSet([]),
      changeSet([['CREATE', [value], 60]], creating, { status: 400, body: throttled }),
      changeSet([['CREATE', [value], 60]], creating),
    ]);
    await r53.createTxt({ zone, name, value, ttl: 60 }, signal);
    expect(deps.slept).toEqual([2000, 1000]);
    api.assertDone();
  });

  it("accepts lego's environment variable names", () => {
    expect(Object.fromEntries(route53Provider.secrets.map((s) => [s.key, s.legoEnv]))).toEqual({ accessKeyId: ['AWS_ACCESS_KEY_ID'], secretAccessKey: ['AWS_SECRET_ACCESS_KEY'], sessionToken: ['AWS_SESSION_TOKEN'] });
    expect(route53Provider.plainOptions).toEqual([expect.objectContaining({ key: 'hostedZoneId', legoEnv: ['AWS_HOSTED_ZONE_ID'] })]);
    expect(route53Provider.options.parse({ hostedZoneId: 'Z1D633PJN98FT9' })).toEqual({ hostedZoneId: 'Z1D633PJN98FT9' });
  });

  it("takes its credentials and hosted zone from lego's environment variables through the registry's resolution", async () => {
    const noFiles = async (path: string): Promise<string> => {
      throw new Error(`no file ${path}`);
    };
    const env = { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_SESSION_TOKEN: 'token', AWS_HOSTED_ZONE_ID: 'Z1D633PJN98FT9', AWS_REGION: 'eu-west-1' };
    const settings = await resolveProviderSettings(route53Provider, {}, env, noFiles, 'challenge');
    expect(settings).toEqual({ options: { hostedZoneId: 'Z1D633PJN98FT9' }, secrets: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, sessionToken: 'token' } });
    await expect(resolveProviderSettings(route53Provider, {}, { AWS_ACCESS_KEY_ID: ACCESS_KEY }, noFiles, 'challenge')).rejects.toThrow(/AWS_SECRET_ACCESS_KEY/);
  });
});
