/**
 * OVHcloud DNS (API 1.0, /domain/zone): one record per TXT value, created then made live by a zone
 * refresh, deleted by its id (so another value at the same name survives), refresh again.
 * Authentication as lego's `ovh`: an application key, its secret and a consumer key, each request
 * signed "$1$" + hex(SHA1(secret+consumerKey+METHOD+url+body+timestamp)) with the timestamp in
 * the API's clock (the offset from GET /auth/time, asked once per client); or an access token as
 * Bearer. lego's OAuth2 client credentials (OVH_CLIENT_ID/SECRET) are not supported.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { noZoneError } from './client-errors.js';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord, ProviderZone } from './descriptor.js';
import type { HttpOptions, ProviderResponse } from './http.js';
import { DnsProviderError, providerRequest } from './http.js';
import { unquoteTxt } from './txt-set.js';
import { longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'ovh';

/** OVH_ENDPOINT's names, as OVH's own Go client (go-ovh, which lego uses) maps them. */
export const ovhEndpoints: Readonly<Record<string, string>> = {
  'ovh-eu': 'https://api.eu.ovhcloud.com/1.0',
  'ovh-ca': 'https://api.ca.ovhcloud.com/1.0',
  'ovh-us': 'https://api.us.ovhcloud.com/1.0',
  'kimsufi-eu': 'https://eu.api.kimsufi.com/1.0',
  'kimsufi-ca': 'https://ca.api.kimsufi.com/1.0',
  'soyoustart-eu': 'https://eu.api.soyoustart.com/1.0',
  'soyoustart-ca': 'https://ca.api.soyoustart.com/1.0',
};

const options = z.strictObject({
  endpoint: z
    .string()
    .default('ovh-eu')
    .refine((v) => v in ovhEndpoints || /^https:\/\/[^/]+(\/.*)?$/.test(v), { message: `takes one of ${Object.keys(ovhEndpoints).join(', ')} or an https:// API URL` }),
});

/** The API base URL an endpoint name (or URL) stands for. */
export function ovhBaseUrl(endpoint: string): string {
  return (ovhEndpoints[endpoint] ?? endpoint).replace(/\/+$/, '');
}

export interface OvhSigned {
  applicationSecret: string;
  consumerKey: string;
  method: string;
  /** The full URL, query string included. */
  url: string;
  /** The body exactly as sent ("" when none). */
  body: string;
  /** Seconds since the epoch in the API's clock. */
  timestamp: number;
}

/** X-Ovh-Signature (OVH's "first steps with the API": SHA1 of the six fields joined by "+"). */
export function ovhSignature(input: OvhSigned): string {
  const payload = [input.applicationSecret, input.consumerKey, input.method, input.url, input.body, String(input.timestamp)].join('+');
  return `$1$${createHash('sha1').update(payload).digest('hex')}`;
}

interface OvhRecord {
  id: number;
  fieldType: string;
  subDomain: string;
  target: string;
}

export const ovhProvider = defineProvider({
  name: PROVIDER,
  title: 'OVHcloud',
  apiReference: 'https://eu.api.ovh.com/console/?section=%2Fdomain&branch=v1',
  options,
  plainOptions: [{ key: 'endpoint', legoEnv: ['OVH_ENDPOINT'], description: `API endpoint: ${Object.keys(ovhEndpoints).join(', ')} or a URL (default ovh-eu)` }],
  secrets: [
    { key: 'applicationKey', legoEnv: ['OVH_APPLICATION_KEY'], optional: true, description: 'application key (with applicationSecret and consumerKey)' },
    { key: 'applicationSecret', legoEnv: ['OVH_APPLICATION_SECRET'], optional: true, description: 'application secret' },
    { key: 'consumerKey', legoEnv: ['OVH_CONSUMER_KEY'], optional: true, description: 'consumer key granted GET/POST/DELETE on /domain/zone/*' },
    { key: 'accessToken', legoEnv: ['OVH_ACCESS_TOKEN'], optional: true, description: 'access token (instead of the three keys)' },
  ],
  secretsSufficient: (s) => Boolean((s.applicationKey && s.applicationSecret && s.consumerKey) || s.accessToken),
  // OVH refuses a TTL under 60 s (0 would mean the zone's default).
  minimumTtl: 60,
  create(config, deps): DnsProviderClient {
    const base = ovhBaseUrl(config.options.endpoint);
    const { applicationKey, applicationSecret, consumerKey, accessToken } = config.secrets;
    const keys = applicationKey && applicationSecret && consumerKey ? { applicationKey, applicationSecret, consumerKey } : undefined;
    if (!keys && !accessToken) throw new DnsProviderError(PROVIDER, 'needs applicationKey, applicationSecret and consumerKey, or accessToken', { hint: 'set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY (or OVH_ACCESS_TOKEN)' });
    let offset: Promise<number> | undefined;
    const nowSeconds = () => Math.floor(deps.now().getTime() / 1000);
    /** The API's clock minus ours, asked once; a failed ask is not kept. */
    const clockOffset = (signal: AbortSignal): Promise<number> => {
      offset ??= providerRequest(PROVIDER, { method: 'GET', url: `${base}/auth/time`, about: 'reading the API clock (/auth/time)' }, deps, signal).then(
        (response) => {
          if (typeof response.body !== 'number') throw new DnsProviderError(PROVIDER, `reading the API clock (/auth/time): not a number: ${response.text.slice(0, 50)}`);
          return response.body - nowSeconds();
        },
        (err: unknown) => {
          offset = undefined;
          throw err;
        },
      );
      return offset;
    };
    const call = async (method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown, about: string, signal: AbortSignal, http: HttpOptions = {}): Promise<ProviderResponse> => {
      const url = `${base}${path}`;
      const text = body === undefined ? '' : JSON.stringify(body);
      const headers: Record<string, string> = text === '' ? {} : { 'content-type': 'application/json;charset=utf-8' };
      if (!keys) headers.authorization = `Bearer ${accessToken}`;
      // Signed on each attempt: a retry after Retry-After carries a fresh timestamp.
      const signedHeaders = keys
        ? async () => {
            const timestamp = nowSeconds() + (await clockOffset(signal));
            return {
              'x-ovh-application': keys.applicationKey,
              'x-ovh-consumer': keys.consumerKey,
              'x-ovh-timestamp': String(timestamp),
              'x-ovh-signature': ovhSignature({ applicationSecret: keys.applicationSecret, consumerKey: keys.consumerKey, method, url, body: text, timestamp }),
            };
          }
        : undefined;
      return providerRequest(PROVIDER, { method, url, headers, signedHeaders, body: text === '' ? undefined : text, about }, deps, signal, http);
    };
    const zonePath = (zone: ProviderZone) => `/domain/zone/${encodeURIComponent(zone.id)}`;
    const refresh = (record: PlacedTxtRecord, signal: AbortSignal) => call('POST', `${zonePath(record.zone)}/refresh`, undefined, `refreshing zone ${record.zone.name} after ${plainName(record.name)}`, signal);
    return {
      async findZone(name, signal) {
        const response = await call('GET', '/domain/zone', undefined, `finding the zone of ${plainName(name)}`, signal);
        const zones: ProviderZone[] = ((response.body as string[] | undefined) ?? []).map((z) => ({ id: z, name: plainName(z) }));
        const zone = longestZone(name, zones, (z) => z.name);
        if (!zone) throw noZoneError(PROVIDER, name, zones.length);
        return zone;
      },
      async createTxt(record, signal) {
        const response = await call('POST', `${zonePath(record.zone)}/record`, { fieldType: 'TXT', subDomain: subDomain(record), target: record.value, ttl: record.ttl }, about('creating', record), signal);
        const id = (response.body as Partial<OvhRecord> | undefined)?.id;
        if (id === undefined) throw new DnsProviderError(PROVIDER, `${about('creating', record)}: the answer has no record id`);
        await refresh(record, signal);
        return { ...record, id: String(id) };
      },
      async deleteTxt(record, signal) {
        let ids = record.id !== undefined ? [record.id] : undefined;
        if (ids === undefined) {
          // A cleanup that lost the id: the TXT records at that name, and of those only ours.
          const listed = await call('GET', `${zonePath(record.zone)}/record?fieldType=TXT&subDomain=${encodeURIComponent(subDomain(record))}`, undefined, about('looking up', record), signal);
          ids = [];
          for (const id of (listed.body as number[] | undefined) ?? []) {
            const one = await call('GET', `${zonePath(record.zone)}/record/${id}`, undefined, about('looking up', record), signal);
            if (unquoteTxt((one.body as OvhRecord).target) === record.value) ids.push(String(id));
          }
          if (ids.length === 0) return;
        }
        for (const id of ids) {
          // 404: already gone (a cleanup that ran twice).
          await call('DELETE', `${zonePath(record.zone)}/record/${encodeURIComponent(id)}`, undefined, about('deleting', record), signal, { accept: [404] });
        }
        await refresh(record, signal);
      },
    };
  },
});

/** OVH names the apex "" where others write "@". */
function subDomain(record: PlacedTxtRecord): string {
  const sub = relativeName(record.name, record.zone.name);
  return sub === '@' ? '' : sub;
}

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}
