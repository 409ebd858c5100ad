/**
 * DigitalOcean DNS (API v2): a personal access token as Bearer, the account's domains as zones
 * (paged: links.pages.next), one record per TXT value, so deleting ours by its id leaves any other
 * value at the same name alone.
 */
import { z } from 'zod';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord, ProviderDeps, ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';
import { noZoneError, requireSecret } from './client-errors.js';
import { longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'digitalocean';
const TOKEN_ENV = ['DO_AUTH_TOKEN'] as const;
/** The largest page the API gives (the default is 20). */
const PAGE_SIZE = 200;

const options = z.strictObject({
  /** DO_API_URL in lego: another base URL (a proxy); the API's paths are appended to it. */
  apiUrl: z.url().default('https://api.digitalocean.com'),
});

interface DomainsPage {
  domains?: Array<{ name: string }>;
  links?: { pages?: { next?: string } };
}

export const digitaloceanProvider = defineProvider({
  name: PROVIDER,
  title: 'DigitalOcean',
  apiReference: 'https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records',
  options,
  plainOptions: [{ key: 'apiUrl', legoEnv: ['DO_API_URL'], description: 'API base URL (default https://api.digitalocean.com)' }],
  secrets: [{ key: 'authToken', legoEnv: TOKEN_ENV, description: 'personal access token with write access to Domains' }],
  // The API refuses a TTL under 30 s.
  minimumTtl: 30,
  create(config, deps): DnsProviderClient {
    const token = requireSecret(PROVIDER, config.secrets, 'authToken', TOKEN_ENV);
    const base = config.options.apiUrl.replace(/\/+$/, '');
    const headers = { authorization: `Bearer ${token}` };
    return {
      async findZone(name, signal) {
        const zones: ProviderZone[] = [];
        let url: string | undefined = `${base}/v2/domains?per_page=${PAGE_SIZE}`;
        while (url !== undefined) {
          const response = await providerRequest(PROVIDER, { method: 'GET', url, headers, about: `finding the zone of ${plainName(name)}` }, deps, signal);
          const page = response.body as DomainsPage;
          for (const domain of page.domains ?? []) zones.push({ id: domain.name, name: plainName(domain.name) });
          url = nextPage(page.links?.pages?.next, url);
        }
        const zone = longestZone(name, zones, (z) => z.name);
        if (!zone) throw noZoneError(PROVIDER, name, zones.length);
        return zone;
      },
      async createTxt(record, signal) {
        const response = await providerRequest(
          PROVIDER,
          {
            method: 'POST',
            url: recordsUrl(base, record.zone),
            headers,
            // "@" is the apex in DigitalOcean's record names, as relativeName gives it.
            body: { type: 'TXT', name: relativeName(record.name, record.zone.name), data: record.value, ttl: record.ttl },
            about: about('creating', record),
          },
          deps,
          signal,
        );
        const id = (response.body as { domain_record?: { id?: number } } | undefined)?.domain_record?.id;
        if (id === undefined) throw new DnsProviderError(PROVIDER, `${about('creating', record)}: the answer has no domain_record.id`);
        return { ...record, id: String(id) };
      },
      async deleteTxt(record, signal) {
        const ids = record.id !== undefined ? [record.id] : await findIds(base, headers, record, deps, signal);
        for (const id of ids) {
          // 404: already gone (a cleanup that ran twice); nothing else at that name is touched.
          await providerRequest(PROVIDER, { method: 'DELETE', url: `${recordsUrl(base, record.zone)}/${encodeURIComponent(id)}`, headers, about: about('deleting', record) }, deps, signal, { accept: [404] });
        }
      },
    };
  },
});

function recordsUrl(base: string, zone: ProviderZone): string {
  return `${base}/v2/domains/${encodeURIComponent(zone.id)}/records`;
}

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}

/**
 * The next page of a listing, built on our base URL from the page number in links.pages.next (as
 * DigitalOcean's own clients do): the token never follows a link to another origin, and a DO_API_URL
 * proxy keeps being used.
 */
function nextPage(next: string | undefined, current: string): string | undefined {
  const page = next ? new URL(next, current).searchParams.get('page') : null;
  if (page === null || !/^\d+$/.test(page)) return undefined;
  const url = new URL(current);
  url.searchParams.set('page', page);
  return url.href;
}

/** Without the id (a cleanup that lost it): our value's records at that name, by the API's name and type filter. */
async function findIds(base: string, headers: Record<string, string>, record: PlacedTxtRecord, deps: ProviderDeps, signal: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  let url: string | undefined = `${recordsUrl(base, record.zone)}?type=TXT&name=${encodeURIComponent(plainName(record.name))}&per_page=${PAGE_SIZE}`;
  while (url !== undefined) {
    const response = await providerRequest(PROVIDER, { method: 'GET', url, headers, about: about('looking up', record) }, deps, signal);
    const page = response.body as { domain_records?: Array<{ id: number; type: string; data: string }>; links?: DomainsPage['links'] };
    for (const r of page.domain_records ?? []) if (r.type === 'TXT' && r.data === record.value) ids.push(String(r.id));
    url = nextPage(page.links?.pages?.next, url);
  }
  return ids;
}
