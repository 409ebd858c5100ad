/**
 * deSEC (desec.io API v1): a token as "Authorization: Token", the zone from the API itself
 * (GET /domains/?owns_qname= answers the one domain responsible for a name, with its minimum TTL),
 * and one RRset per name and type holding every TXT value: adding ours is read, add, write back
 * (PATCH, or create the set); removing ours writes back the others (an empty set deletes it), so
 * another value at the name survives. Read-modify-write of one name is serialised within a client.
 * deSEC's minimum TTL is 3600 s unless the domain says otherwise; it throttles hard (429 with
 * Retry-After, often a minute), so its waits are allowed longer than other providers'.
 */
import { z } from 'zod';
import { noZoneError, requireSecret } from './client-errors.js';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord } from './descriptor.js';
import type { HttpOptions } from './http.js';
import { providerRequest } from './http.js';
import { keyedQueue, quoteTxt, unquoteTxt } from './txt-set.js';
import { plainName, relativeName } from './zone-match.js';

const PROVIDER = 'desec';
const TOKEN_ENV = ['DESEC_TOKEN'] as const;
const API = 'https://desec.io/api/v1';
/** deSEC's default minimum TTL for a domain. */
const MINIMUM_TTL = 3600;
/** Its throttles ask for up to a few minutes ("dns_api_per_domain_expensive" and the like); an hourly one fails at once, naming the wait. */
const THROTTLE: HttpOptions = { maxRetries: 6, maxRetryAfterMs: 5 * 60_000 };

interface RRset {
  ttl?: number;
  records?: string[];
}

export const desecProvider = defineProvider({
  name: PROVIDER,
  title: 'deSEC',
  apiReference: 'https://desec.readthedocs.io/en/latest/dns/rrsets.html',
  options: z.strictObject({}),
  plainOptions: [],
  secrets: [{ key: 'token', legoEnv: TOKEN_ENV, description: 'API token (one restricted to the domain is enough)' }],
  minimumTtl: MINIMUM_TTL,
  create(config, deps): DnsProviderClient {
    const token = requireSecret(PROVIDER, config.secrets, 'token', TOKEN_ENV);
    const headers = { authorization: `Token ${token}` };
    const serial = keyedQueue();
    /** Each zone's minimum TTL as the API gave it with the zone. */
    const minimumTtl = new Map<string, number>();
    const rrsetUrl = (record: PlacedTxtRecord) => `${API}/domains/${encodeURIComponent(record.zone.id)}/rrsets/${encodeURIComponent(relativeName(record.name, record.zone.name))}/TXT/`;
    const read = async (record: PlacedTxtRecord, verb: string, signal: AbortSignal): Promise<RRset | undefined> => {
      const response = await providerRequest(PROVIDER, { method: 'GET', url: rrsetUrl(record), headers, about: about(verb, record) }, deps, signal, { ...THROTTLE, accept: [404] });
      return response.status === 404 ? undefined : (response.body as RRset);
    };
    return {
      async findZone(name, signal) {
        const response = await providerRequest(PROVIDER, { method: 'GET', url: `${API}/domains/?owns_qname=${encodeURIComponent(plainName(name))}`, headers, about: `finding the zone of ${plainName(name)}` }, deps, signal, THROTTLE);
        const domains = (response.body as Array<{ name: string; minimum_ttl?: number }> | undefined) ?? [];
        const domain = domains[0];
        if (!domain) throw noZoneError(PROVIDER, name, 0);
        const zone = { id: domain.name, name: plainName(domain.name) };
        if (domain.minimum_ttl !== undefined) minimumTtl.set(zone.name, domain.minimum_ttl);
        return zone;
      },
      createTxt: (record, signal) =>
        serial(rrsetUrl(record), async () => {
          const current = await read(record, 'creating', signal);
          const ttl = Math.max(record.ttl, minimumTtl.get(record.zone.name) ?? MINIMUM_TTL);
          if (!current) {
            const sub = relativeName(record.name, record.zone.name);
            await providerRequest(
              PROVIDER,
              // The apex is "@" in the URL and "" in the body.
              { method: 'POST', url: `${API}/domains/${encodeURIComponent(record.zone.id)}/rrsets/`, headers, body: { subname: sub === '@' ? '' : sub, type: 'TXT', ttl, records: [quoteTxt(record.value)] }, about: about('creating', record) },
              deps,
              signal,
              THROTTLE,
            );
          } else if (!(current.records ?? []).some((v) => unquoteTxt(v) === record.value)) {
            await providerRequest(PROVIDER, { method: 'PATCH', url: rrsetUrl(record), headers, body: { records: [...(current.records ?? []), quoteTxt(record.value)] }, about: about('creating', record) }, deps, signal, THROTTLE);
          }
          return { ...record, ttl };
        }),
      deleteTxt: (record, signal) =>
        serial(rrsetUrl(record), async () => {
          const records = (await read(record, 'deleting', signal))?.records ?? [];
          const others = records.filter((v) => unquoteTxt(v) !== record.value);
          if (others.length === records.length) return;
          // An empty list deletes the RRset (deSEC's "Deleting an RRset" via PATCH).
          await providerRequest(PROVIDER, { method: 'PATCH', url: rrsetUrl(record), headers, body: { records: others }, about: about('deleting', record) }, deps, signal, { ...THROTTLE, accept: [404] });
        }),
    };
  },
});

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}
