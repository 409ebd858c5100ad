/**
 * Amazon Route 53: the REST API (2013-04-01, XML) at the global endpoint route53.amazonaws.com,
 * signed with SigV4 for us-east-1 (Route 53 is global: every request is signed for that region,
 * whatever AWS_REGION says). All TXT values at a name are one record set, so adding or removing ours
 * is read (ListResourceRecordSets), then write the whole set back. Another process (a second runner,
 * another tool) may write the same set in between, and an UPSERT would silently drop its value. So
 * the write is a compare-and-swap: one batch of DELETE of the set exactly as read plus CREATE of the
 * new set (or CREATE alone when there was none, DELETE alone when ours was the last value). Route 53
 * applies a batch all or nothing and refuses it (HTTP 400 InvalidChangeBatch) when the DELETE does
 * not match the set as it now is or the CREATE finds one: then we read again and retry, a bounded
 * number of times, after a short jittered wait so two writers that collided do not collide again.
 * Credentials are the access key (and session token) lego reads from the environment; instance
 * roles and ~/.aws files are not read.
 */
import aws4 from 'aws4';
import { z } from 'zod';
import { defineProvider, type ProviderDeps, type ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';
import { changeBatchXml, parseError, parseGetHostedZone, parseHostedZonesByName, parseTxtSet, type HostedZone, type TxtChange, type TxtSet } from './route53-xml.js';
import { keyedQueue, quoteTxt, unquoteTxt } from './txt-set.js';
import { inZone, plainName, zoneCandidates } from './zone-match.js';

const PROVIDER = 'route53';
const HOST = 'route53.amazonaws.com';
const REGION = 'us-east-1';
/** Route 53 throttles with HTTP 400 and these codes, without a Retry-After: back off and try again. */
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'PriorRequestNotComplete']);
const THROTTLE_RETRIES = 3;
const THROTTLE_FIRST_WAIT_MS = 1000;
const ZONE_PAGE = 100;
/** Route 53's refusal of a change batch: here, the set changed between our read and our write. */
const INVALID_CHANGE_BATCH = 'InvalidChangeBatch';
/** How often a batch refused as InvalidChangeBatch is read and tried again before we give up. */
const CONFLICT_RETRIES = 5;
/** The first wait before reading again (doubling, half of it random): 50-100 ms, ..., 0.8-1.6 s. */
const CONFLICT_FIRST_WAIT_MS = 100;

/** A refusal with Route 53's error code, so a caller can tell a refused batch from other failures. */
class Route53Error extends DnsProviderError {
  readonly awsCode: string | undefined;
  readonly awsMessage: string | undefined;
  constructor(message: string, options: { status: number; hint?: string; aws?: { code: string; message: string } }) {
    super(PROVIDER, message, { status: options.status, hint: options.hint });
    this.awsCode = options.aws?.code;
    this.awsMessage = options.aws?.message;
  }
}

export const route53Provider = defineProvider({
  name: 'route53',
  title: 'Amazon Route 53',
  apiReference: 'https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Amazon_Route_53.html',
  options: z.object({
    /** The hosted zone to use instead of looking it up by name (lego's AWS_HOSTED_ZONE_ID). */
    hostedZoneId: z.string().min(1).optional(),
  }),
  plainOptions: [{ key: 'hostedZoneId', legoEnv: ['AWS_HOSTED_ZONE_ID'], description: 'hosted zone ID to use (default: the public hosted zone found by name)' }],
  secrets: [
    { key: 'accessKeyId', legoEnv: ['AWS_ACCESS_KEY_ID'], description: 'IAM access key ID' },
    { key: 'secretAccessKey', legoEnv: ['AWS_SECRET_ACCESS_KEY'], description: 'IAM secret access key' },
    { key: 'sessionToken', legoEnv: ['AWS_SESSION_TOKEN'], optional: true, description: 'session token, for temporary credentials' },
  ],
  create({ options, secrets }, deps) {
    const credentials = { accessKeyId: secrets.accessKeyId ?? '', secretAccessKey: secrets.secretAccessKey ?? '', ...(secrets.sessionToken ? { sessionToken: secrets.sessionToken } : {}) };
    const request = (method: 'GET' | 'POST', path: string, about: string, signal: AbortSignal, body?: string) => route53Request(deps, credentials, { method, path, about, body }, signal);
    const serialised = keyedQueue();

    async function readSet(zone: ProviderZone, name: string, about: string, signal: AbortSignal): Promise<TxtSet | undefined> {
      const query = new URLSearchParams({ name: `${name}.`, type: 'TXT', maxitems: '1' });
      return parseTxtSet(await request('GET', `/2013-04-01/hostedzone/${encodeURIComponent(zone.id)}/rrset?${query}`, about, signal), name);
    }

    /**
     * Read the set, let `next` say what it must become (undefined: nothing to do; empty values: no
     * set), write that as one batch conditional on the set as read; read again when Route 53 refuses it.
     */
    async function update(zone: ProviderZone, name: string, about: string, signal: AbortSignal, next: (set: TxtSet | undefined) => TxtSet | undefined): Promise<void> {
      for (let attempt = 0; ; attempt++) {
        const set = await readSet(zone, name, about, signal);
        const wanted = next(set);
        if (wanted === undefined) return;
        const changes: TxtChange[] = [...(set ? [{ action: 'DELETE' as const, set }] : []), ...(wanted.values.length > 0 ? [{ action: 'CREATE' as const, set: wanted }] : [])];
        if (changes.length === 0) return;
        try {
          await request('POST', `/2013-04-01/hostedzone/${encodeURIComponent(zone.id)}/rrset/`, about, signal, changeBatchXml(changes, `certfleet: ${about}`));
          return;
        } catch (err) {
          if (!(err instanceof Route53Error) || err.awsCode !== INVALID_CHANGE_BATCH) throw err;
          if (attempt >= CONFLICT_RETRIES) {
            throw new DnsProviderError(PROVIDER, `${about}: HTTP ${err.status ?? 400}: ${INVALID_CHANGE_BATCH}: ${err.awsMessage ?? ''} (refused ${attempt + 1} times, reading the set again each time)`, {
              status: err.status,
              hint: 'another process (a second certfleet runner, another ACME client or DNS tool) kept changing the TXT records at this name: run again once it is done, or give each writer its own name (a delegated _acme-challenge CNAME); if nothing else writes there, AWS\'s message says what it finds invalid',
              cause: err,
            });
          }
          // Equal jitter: two writers refused together wait different times and do not collide again.
          const wait = Math.round(CONFLICT_FIRST_WAIT_MS * 2 ** attempt * (0.5 + Math.random() / 2));
          deps.logger?.info(`${PROVIDER}: the record set changed between our read and our write, reading it again`, { about, waitMs: wait, error: err.awsMessage });
          await deps.sleep(wait, signal);
        }
      }
    }

    return {
      async findZone(name, signal) {
        const about = `finding the zone of ${name}`;
        if (options.hostedZoneId !== undefined) {
          const zone = parseGetHostedZone(await request('GET', `/2013-04-01/hostedzone/${encodeURIComponent(options.hostedZoneId)}`, about, signal));
          if (!inZone(name, zone.name)) throw new DnsProviderError(PROVIDER, `hosted zone ${options.hostedZoneId} is ${plainName(zone.name)}, which does not hold ${name}`, { hint: 'set hostedZoneId (AWS_HOSTED_ZONE_ID) to the zone of this domain, or leave it out' });
          return { id: zone.id, name: plainName(zone.name) };
        }
        for (const candidate of zoneCandidates(name)) {
          const zone = await publicZoneNamed(candidate, (path) => request('GET', path, `${about} (asking for ${candidate})`, signal));
          if (zone) return { id: zone.id, name: candidate };
        }
        throw new DnsProviderError(PROVIDER, `no public hosted zone holding ${name} is visible to this credential`, {
          hint: 'check the AWS account, and that the credential may call route53:ListHostedZonesByName (or set hostedZoneId)',
        });
      },

      createTxt(record, signal) {
        const about = `creating TXT ${record.name} in zone ${record.zone.name}`;
        return serialised(record.name.toLowerCase(), async () => {
          await update(record.zone, record.name, about, signal, (set) => {
            if (set?.values.some((v) => unquoteTxt(v) === record.value)) return undefined;
            // The CREATE names the set as Route 53 does, so it is the one the DELETE removes.
            return { name: set?.name ?? `${record.name}.`, ttl: record.ttl, values: [...(set?.values ?? []), quoteTxt(record.value)] };
          });
          return { ...record };
        });
      },

      deleteTxt(record, signal) {
        const about = `deleting TXT ${record.name} in zone ${record.zone.name}`;
        return serialised(record.name.toLowerCase(), () =>
          update(record.zone, record.name, about, signal, (set) => {
            if (!set) return undefined;
            const rest = set.values.filter((v) => unquoteTxt(v) !== record.value);
            if (rest.length === set.values.length) return undefined;
            // The other values stay as they were, TTL included; with none left the set goes.
            return { ...set, values: rest };
          }),
        );
      },
    };
  },
});

/** The public hosted zone named `name` exactly, paging through zones of the same name (a private one may share it). */
async function publicZoneNamed(name: string, get: (path: string) => Promise<string>): Promise<HostedZone | undefined> {
  let query = new URLSearchParams({ dnsname: name, maxitems: String(ZONE_PAGE) });
  for (;;) {
    const page = parseHostedZonesByName(await get(`/2013-04-01/hostedzonesbyname?${query}`));
    const found = page.zones.find((z) => plainName(z.name) === name && !z.privateZone);
    if (found) return found;
    // The list is in name order from `name` on: once a page ends past it, no later page holds it.
    if (!page.next || plainName(page.next.dnsName) !== name) return undefined;
    query = new URLSearchParams({ dnsname: name, hostedzoneid: page.next.hostedZoneId, maxitems: String(ZONE_PAGE) });
  }
}

interface SignedCall {
  method: 'GET' | 'POST';
  /** Path and query, as signed. */
  path: string;
  about: string;
  body?: string;
}

/**
 * One Route 53 call, signed afresh for each attempt (aws4; the date from deps.now()). Refusals
 * are read from Route 53's XML error; throttling (HTTP 400, no Retry-After) is retried with a
 * doubling wait, and a 429/503 with Retry-After as providerRequest does. Returns the XML text.
 */
async function route53Request(deps: ProviderDeps, credentials: aws4.Credentials, call: SignedCall, signal: AbortSignal): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = { 'X-Amz-Date': amzDate(deps.now()) };
    if (call.body !== undefined) headers['Content-Type'] = 'application/xml';
    const signed = aws4.sign({ host: HOST, method: call.method, path: call.path, service: 'route53', region: REGION, headers, ...(call.body === undefined ? {} : { body: call.body }) }, credentials);
    const sent = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => k.toLowerCase() !== 'host').map(([k, v]) => [k.toLowerCase(), String(v)]));
    const response = await providerRequest(PROVIDER, { method: call.method, url: `https://${HOST}${call.path}`, headers: { ...sent, accept: 'application/xml' }, body: call.body, about: call.about }, deps, signal, { accept: [400, 401, 403, 404] });
    if (response.status < 400) return response.text;
    const error = parseError(response.text);
    if (response.status === 400 && error && THROTTLED.has(error.code) && attempt < THROTTLE_RETRIES) {
      const wait = THROTTLE_FIRST_WAIT_MS * 2 ** attempt;
      deps.logger?.info(`${PROVIDER}: throttled, retrying`, { code: error.code, waitMs: wait, about: call.about });
      await deps.sleep(wait, signal);
      continue;
    }
    const detail = error ? `${error.code}: ${error.message}` : response.text.slice(0, 300);
    throw new Route53Error(`${call.about}: HTTP ${response.status}: ${detail}`, { status: response.status, hint: hint(response.status, error?.code), ...(error ? { aws: error } : {}) });
  }
}

function hint(status: number, code: string | undefined): string | undefined {
  if (code !== undefined && THROTTLED.has(code)) return 'Route 53 throttled this account: run again later, or spread certificates over time';
  if (status === 401 || status === 403) {
    if (code === 'SignatureDoesNotMatch' || code === 'InvalidClientTokenId' || code === 'ExpiredToken') return 'the access key was refused: check accessKeyId, secretAccessKey and (for temporary credentials) sessionToken';
    return 'the credential may not do this: allow route53:ListHostedZonesByName, and route53:ListResourceRecordSets and route53:ChangeResourceRecordSets on the hosted zone';
  }
  if (status === 404) return 'no such hosted zone for this account: check hostedZoneId';
  return undefined;
}

/** SigV4's date: 20261203T120000Z. */
function amzDate(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, '');
}
