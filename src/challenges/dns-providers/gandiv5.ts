/**
 * Gandi LiveDNS (API v5): a personal access token as Bearer (or lego's deprecated API key as
 * "Apikey"), the LiveDNS domains as zones (paged: page, per_page), and one RRSet per name and type
 * holding every TXT value: adding ours is read, add, write the set back; removing ours writes back
 * the others (or deletes the set when ours was the last), so another value at the name survives.
 * Read-modify-write of one name is serialised within a client (example.com and *.example.com share
 * _acme-challenge.example.com).
 */
import { z } from 'zod';
import { noZoneError } from './client-errors.js';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord, ProviderDeps, ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';
import { keyedQueue, quoteTxt, unquoteTxt } from './txt-set.js';
import { longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'gandiv5';
const API = 'https://api.gandi.net/v5/livedns';
/** The largest page the API gives. */
const PAGE_SIZE = 100;

interface RRSet {
  rrset_ttl?: number;
  rrset_values?: string[];
}

export const gandiv5Provider = defineProvider({
  name: PROVIDER,
  title: 'Gandi LiveDNS',
  apiReference: 'https://api.gandi.net/docs/livedns/',
  options: z.strictObject({}),
  plainOptions: [],
  secrets: [
    { key: 'personalAccessToken', legoEnv: ['GANDIV5_PERSONAL_ACCESS_TOKEN'], optional: true, description: 'personal access token with "Manage domain name technical configurations"' },
    { key: 'apiKey', legoEnv: ['GANDIV5_API_KEY'], optional: true, description: 'API key (deprecated by Gandi; instead of the token)' },
  ],
  secretsSufficient: (s) => Boolean(s.personalAccessToken || s.apiKey),
  // LiveDNS refuses a TTL under 300 s.
  minimumTtl: 300,
  create(config, deps): DnsProviderClient {
    const { personalAccessToken, apiKey } = config.secrets;
    if (!personalAccessToken && !apiKey) throw new DnsProviderError(PROVIDER, 'needs personalAccessToken or apiKey', { hint: 'set GANDIV5_PERSONAL_ACCESS_TOKEN' });
    const headers = { authorization: personalAccessToken ? `Bearer ${personalAccessToken}` : `Apikey ${apiKey}` };
    const serial = keyedQueue();
    const read = async (record: PlacedTxtRecord, verb: string, signal: AbortSignal): Promise<RRSet | undefined> => {
      const response = await providerRequest(PROVIDER, { method: 'GET', url: rrsetUrl(record), headers, about: about(verb, record) }, deps, signal, { accept: [404] });
      return response.status === 404 ? undefined : (response.body as RRSet);
    };
    const write = (record: PlacedTxtRecord, verb: string, rrset: Required<RRSet>, signal: AbortSignal) =>
      providerRequest(PROVIDER, { method: 'PUT', url: rrsetUrl(record), headers, body: rrset, about: about(verb, record) }, deps, signal);
    return {
      async findZone(name, signal) {
        const zones = await listZones(headers, name, deps, signal);
        const zone = longestZone(name, zones, (z) => z.name);
        if (!zone) throw noZoneError(PROVIDER, name, zones.length);
        return zone;
      },
      createTxt: (record, signal) =>
        serial(rrsetUrl(record), async () => {
          const values = (await read(record, 'creating', signal))?.rrset_values ?? [];
          if (!values.some((v) => unquoteTxt(v) === record.value)) await write(record, 'creating', { rrset_ttl: record.ttl, rrset_values: [...values, quoteTxt(record.value)] }, signal);
          return { ...record };
        }),
      deleteTxt: (record, signal) =>
        serial(rrsetUrl(record), async () => {
          const current = await read(record, 'deleting', signal);
          const values = current?.rrset_values ?? [];
          const others = values.filter((v) => unquoteTxt(v) !== record.value);
          if (others.length === values.length) return;
          if (others.length > 0) {
            await write(record, 'deleting', { rrset_ttl: current?.rrset_ttl ?? record.ttl, rrset_values: others }, signal);
            return;
          }
          await providerRequest(PROVIDER, { method: 'DELETE', url: rrsetUrl(record), headers, about: about('deleting', record) }, deps, signal, { accept: [404] });
        }),
    };
  },
});

function rrsetUrl(record: PlacedTxtRecord): string {
  return `${API}/domains/${encodeURIComponent(record.zone.id)}/records/${encodeURIComponent(relativeName(record.name, record.zone.name))}/TXT`;
}

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}

/** Every LiveDNS domain of the credential: pages until a short page (or the Total-Count is reached). */
async function listZones(headers: Record<string, string>, name: string, deps: ProviderDeps, signal: AbortSignal): Promise<ProviderZone[]> {
  const zones: ProviderZone[] = [];
  for (let page = 1; ; page++) {
    const response = await providerRequest(PROVIDER, { method: 'GET', url: `${API}/domains?per_page=${PAGE_SIZE}&page=${page}`, headers, about: `finding the zone of ${plainName(name)}` }, deps, signal);
    const domains = (response.body as Array<{ fqdn: string }> | undefined) ?? [];
    for (const d of domains) zones.push({ id: d.fqdn, name: plainName(d.fqdn) });
    const total = Number(response.headers.get('total-count') ?? Number.NaN);
    if (domains.length < PAGE_SIZE || zones.length >= total) return zones;
  }
}
