/**
 * Linode (Akamai) DNS Manager, API v4: a personal access token as Bearer, the account's domains as
 * zones (paged: page, pages), one record per TXT value, so deleting ours by its id leaves any other
 * value at the same name alone. Linode rounds a TTL up to one of its steps, the smallest 300 s.
 */
import { z } from 'zod';
import { noZoneError, requireSecret } from './client-errors.js';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord, ProviderDeps, ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';
import { longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'linode';
const TOKEN_ENV = ['LINODE_TOKEN'] as const;
const API = 'https://api.linode.com/v4';
/** The largest page the API gives. */
const PAGE_SIZE = 500;

interface Page<T> {
  data?: T[];
  page?: number;
  pages?: number;
}

export const linodeProvider = defineProvider({
  name: PROVIDER,
  title: 'Linode (Akamai)',
  apiReference: 'https://techdocs.akamai.com/linode-api/reference/get-domains',
  options: z.strictObject({}),
  plainOptions: [],
  secrets: [{ key: 'token', legoEnv: TOKEN_ENV, description: 'personal access token with Domains read/write' }],
  minimumTtl: 300,
  create(config, deps): DnsProviderClient {
    const token = requireSecret(PROVIDER, config.secrets, 'token', TOKEN_ENV);
    const headers = { authorization: `Bearer ${token}` };
    const pages = <T>(url: string, about: string, signal: AbortSignal) => allPages<T>(url, headers, about, deps, signal);
    return {
      async findZone(name, signal) {
        const domains = await pages<{ id: number; domain: string }>(`${API}/domains`, `finding the zone of ${plainName(name)}`, signal);
        const zones: ProviderZone[] = domains.map((d) => ({ id: String(d.id), name: plainName(d.domain) }));
        const zone = longestZone(name, zones, (z) => z.name);
        if (!zone) throw noZoneError(PROVIDER, name, zones.length);
        return zone;
      },
      async createTxt(record, signal) {
        const sub = relativeName(record.name, record.zone.name);
        const response = await providerRequest(
          PROVIDER,
          {
            method: 'POST',
            url: recordsUrl(record.zone),
            headers,
            // Linode names the apex "" where others write "@".
            body: { type: 'TXT', name: sub === '@' ? '' : sub, target: record.value, ttl_sec: record.ttl },
            about: about('creating', record),
          },
          deps,
          signal,
        );
        const id = (response.body as { id?: number } | undefined)?.id;
        if (id === undefined) throw new DnsProviderError(PROVIDER, `${about('creating', record)}: the answer has no record id`);
        return { ...record, id: String(id) };
      },
      async deleteTxt(record, signal) {
        let ids = record.id !== undefined ? [record.id] : undefined;
        if (ids === undefined) {
          // A cleanup that lost the id: our value's records at that name, and no other.
          const sub = relativeName(record.name, record.zone.name);
          const all = await pages<{ id: number; type: string; name: string; target: string }>(recordsUrl(record.zone), about('looking up', record), signal);
          // Linode lists names relative to the zone; a record created with its full name may read back that way.
          const names = new Set([sub === '@' ? '' : sub, plainName(record.name)]);
          ids = all.filter((r) => r.type === 'TXT' && names.has(r.name.toLowerCase()) && r.target === record.value).map((r) => String(r.id));
        }
        for (const id of ids) {
          // 404: already gone (a cleanup that ran twice).
          await providerRequest(PROVIDER, { method: 'DELETE', url: `${recordsUrl(record.zone)}/${encodeURIComponent(id)}`, headers, about: about('deleting', record) }, deps, signal, { accept: [404] });
        }
      },
    };
  },
});

function recordsUrl(zone: ProviderZone): string {
  return `${API}/domains/${encodeURIComponent(zone.id)}/records`;
}

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}

async function allPages<T>(url: string, headers: Record<string, string>, about: string, deps: ProviderDeps, signal: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const response = await providerRequest(PROVIDER, { method: 'GET', url: `${url}?page=${page}&page_size=${PAGE_SIZE}`, headers, about }, deps, signal);
    const body = response.body as Page<T>;
    items.push(...(body.data ?? []));
    if (page >= (body.pages ?? 1)) return items;
  }
}
