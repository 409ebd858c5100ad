/**
 * Azure DNS: Azure Resource Manager's DNS API (api-version 2018-05-01) with a service principal's
 * client secret, exchanged for a token at Microsoft's identity platform (client credentials grant,
 * scope https://management.azure.com/.default) and kept for its lifetime. All TXT values at a name
 * are one record set; we write it with If-Match on the etag we read (If-None-Match: * when there was
 * none), so a set another writer changed in between is refused (412) and we read it again: their
 * value is never dropped. Zones are looked up in one subscription and resource group (lego's
 * AZURE_SUBSCRIPTION_ID and AZURE_RESOURCE_GROUP; its Resource Graph search is not done).
 */
import { z } from 'zod';
import { ConfigError } from '../../errors.js';
import { defineProvider, type PlainOption, type ProviderDeps, type ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest, type ProviderResponse } from './http.js';
import { cachedToken, readTokenResponse } from './oauth.js';
import { keyedQueue } from './txt-set.js';
import { inZone, longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'azuredns';
const LOGIN = 'https://login.microsoftonline.com';
const ARM = 'https://management.azure.com';
const SCOPE = 'https://management.azure.com/.default';
const API_VERSION = '2018-05-01';
const CONFLICT_RETRIES = 3;

interface TxtRecordSet {
  etag?: string;
  properties?: { TTL?: number; TXTRecords?: Array<{ value?: string[] }> };
}

const plainOptions = [
  { key: 'tenantId', legoEnv: ['AZURE_TENANT_ID'], description: 'directory (tenant) ID of the service principal' },
  { key: 'clientId', legoEnv: ['AZURE_CLIENT_ID'], description: 'application (client) ID of the service principal' },
  { key: 'subscriptionId', legoEnv: ['AZURE_SUBSCRIPTION_ID'], description: 'subscription that holds the DNS zone' },
  { key: 'resourceGroup', legoEnv: ['AZURE_RESOURCE_GROUP'], description: 'resource group that holds the DNS zone' },
  { key: 'zoneName', legoEnv: ['AZURE_ZONE_NAME'], description: 'the zone to use (default: the longest zone in the resource group that holds the name)' },
] as const satisfies readonly PlainOption[];

export const azurednsProvider = defineProvider({
  name: 'azuredns',
  title: 'Azure DNS',
  apiReference: 'https://learn.microsoft.com/en-us/rest/api/dns/record-sets?view=rest-dns-2018-05-01',
  // Optional in the shape so that lego's variables can fill them; create() names what is missing.
  options: z.object({
    tenantId: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    subscriptionId: z.string().min(1).optional(),
    resourceGroup: z.string().min(1).optional(),
    zoneName: z.string().min(1).optional(),
  }),
  plainOptions,
  secrets: [{ key: 'clientSecret', legoEnv: ['AZURE_CLIENT_SECRET'], description: 'client secret of the service principal' }],
  create({ options, secrets }, deps) {
    const required = (key: 'tenantId' | 'clientId' | 'subscriptionId' | 'resourceGroup'): string => {
      const value = options[key];
      if (value === undefined) throw new ConfigError(`${PROVIDER}: ${key} is required`, `set ${key} in the challenge, or ${plainOptions.find((o) => o.key === key)?.legoEnv[0]} in the environment`);
      return value;
    };
    const tenantId = required('tenantId');
    const clientId = required('clientId');
    const zonesUrl = `${ARM}/subscriptions/${encodeURIComponent(required('subscriptionId'))}/resourceGroups/${encodeURIComponent(required('resourceGroup'))}/providers/Microsoft.Network/dnsZones`;
    const token = cachedToken((signal) => requestToken(tenantId, clientId, secrets.clientSecret ?? '', deps, signal), deps.now);
    const serialised = keyedQueue();

    async function call(method: 'GET' | 'PUT' | 'DELETE', url: string, about: string, signal: AbortSignal, extra: { body?: unknown; headers?: Record<string, string>; accept?: number[] } = {}): Promise<ProviderResponse> {
      const headers = { authorization: `Bearer ${await token(signal)}`, ...extra.headers };
      const response = await providerRequest(PROVIDER, { method, url, headers, body: extra.body, about }, deps, signal, { accept: [401, 403, ...(extra.accept ?? [])] });
      if (response.status === 401 || response.status === 403) {
        throw new DnsProviderError(PROVIDER, `${about}: HTTP ${response.status}: ${armMessage(response)}`, {
          status: response.status,
          hint: `give the service principal ${clientId} the "DNS Zone Contributor" role on the zone (or its resource group)`,
        });
      }
      return response;
    }

    const recordUrl = (zone: ProviderZone, name: string) => `${zonesUrl}/${encodeURIComponent(zone.id)}/TXT/${encodeURIComponent(relativeName(name, zone.name))}?api-version=${API_VERSION}`;
    const text = (record: { value?: string[] }) => (record.value ?? []).join('');

    /** Read the set, let `next` say what its records must become (undefined: nothing to do; []: delete it), write it conditionally; again on 412. */
    async function update(zone: ProviderZone, name: string, ttl: number | undefined, about: string, signal: AbortSignal, next: (records: Array<{ value?: string[] }>) => Array<{ value?: string[] }> | undefined): Promise<void> {
      for (let attempt = 0; ; attempt++) {
        const read = await call('GET', recordUrl(zone, name), about, signal, { accept: [404] });
        const set = read.status === 404 ? undefined : (read.body as TxtRecordSet);
        const records = next(set?.properties?.TXTRecords ?? []);
        if (records === undefined) return;
        const condition: Record<string, string> = set?.etag ? { 'if-match': set.etag } : { 'if-none-match': '*' };
        const response =
          records.length === 0
            ? await call('DELETE', recordUrl(zone, name), about, signal, { headers: condition, accept: [404, 412] })
            : await call('PUT', recordUrl(zone, name), about, signal, { headers: condition, body: { properties: { TTL: ttl ?? set?.properties?.TTL ?? 60, TXTRecords: records } }, accept: [412] });
        if (response.status !== 412) return;
        if (attempt >= CONFLICT_RETRIES) throw new DnsProviderError(PROVIDER, `${about}: HTTP 412: the record set kept changing underneath us: ${armMessage(response)}`, { status: 412 });
        deps.logger?.info(`${PROVIDER}: the record set changed while we wrote it, reading it again`, { about });
      }
    }

    return {
      async findZone(name, signal) {
        if (options.zoneName !== undefined) {
          if (!inZone(name, options.zoneName)) throw new ConfigError(`${PROVIDER}: zoneName ${options.zoneName} does not hold ${name}`, 'set zoneName (AZURE_ZONE_NAME) to the zone of this domain, or leave it out');
          return { id: plainName(options.zoneName), name: plainName(options.zoneName) };
        }
        const about = `finding the zone of ${name}`;
        const zones: Array<{ name: string; properties?: { zoneType?: string } }> = [];
        for (let url: string | undefined = `${zonesUrl}?api-version=${API_VERSION}`; url !== undefined; ) {
          const body = (await call('GET', url, about, signal)).body as { value?: typeof zones; nextLink?: string } | undefined;
          zones.push(...(body?.value ?? []));
          url = body?.nextLink;
        }
        // A private zone answers only inside its virtual networks, never to the CA.
        const zone = longestZone(name, zones.filter((z) => z.properties?.zoneType !== 'Private'), (z) => z.name);
        if (!zone) throw new DnsProviderError(PROVIDER, `no public DNS zone holding ${name} in the resource group`, { hint: 'check subscriptionId and resourceGroup (AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP), or set zoneName' });
        return { id: zone.name, name: plainName(zone.name) };
      },

      async createTxt(record, signal) {
        const about = `creating TXT ${record.name} in zone ${record.zone.name}`;
        await serialised(record.name.toLowerCase(), () => update(record.zone, record.name, record.ttl, about, signal, (records) => (records.some((r) => text(r) === record.value) ? undefined : [...records, { value: [record.value] }])));
        return { ...record };
      },

      async deleteTxt(record, signal) {
        const about = `deleting TXT ${record.name} in zone ${record.zone.name}`;
        await serialised(record.name.toLowerCase(), () =>
          update(record.zone, record.name, undefined, about, signal, (records) => {
            const rest = records.filter((r) => text(r) !== record.value);
            return rest.length === records.length ? undefined : rest;
          }),
        );
      },
    };
  },
});

async function requestToken(tenantId: string, clientId: string, clientSecret: string, deps: ProviderDeps, signal: AbortSignal) {
  const about = `getting an access token for client ${clientId} in tenant ${tenantId}`;
  const body = new URLSearchParams({ client_id: clientId, scope: SCOPE, client_secret: clientSecret, grant_type: 'client_credentials' }).toString();
  const url = `${LOGIN}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
  const response = await providerRequest(PROVIDER, { method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, about }, deps, signal, { accept: [400, 401, 403] });
  const issued = response.status < 400 ? readTokenResponse(response.body) : undefined;
  if (issued) return issued;
  const { error, error_description: description } = (response.body ?? {}) as { error?: string; error_description?: string };
  // Microsoft's descriptions end with trace and correlation IDs on further lines: the first line says it.
  throw new DnsProviderError(PROVIDER, `${about}: HTTP ${response.status}: ${error ?? 'no access token in the answer'}${description ? `: ${description.split(/\r?\n/)[0]}` : ''}`, {
    status: response.status,
    hint: 'the service principal was refused: check tenantId, clientId and clientSecret (and that the secret has not expired)',
  });
}

function armMessage(response: ProviderResponse): string {
  const error = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return error?.code ? `${error.code}: ${error.message ?? ''}` : response.text.slice(0, 300);
}
