/**
 * Cloudflare: API v4 with an API token (Bearer; DNS:Edit, plus Zone:Read for the lookup, which may
 * be a second token as in lego) or the legacy account email + global API key. Each TXT value is its
 * own record with an id, so adding ours never touches another value at the name and deleting by id
 * removes exactly ours.
 */
import { z } from 'zod';
import { defineProvider, type PlacedTxtRecord, type ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest, type ProviderResponse } from './http.js';
import { unquoteTxt } from './txt-set.js';
import { zoneCandidates } from './zone-match.js';

const PROVIDER = 'cloudflare';
const API = 'https://api.cloudflare.com/client/v4';
/** Cloudflare's answer when the same name, type and content already exist. */
const IDENTICAL_RECORD = 81058;
const PAGE_SIZE = 100;

interface Envelope<T> {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string }>;
  result?: T;
  result_info?: { page?: number; total_pages?: number };
}

interface CloudflareRecord {
  id: string;
  name: string;
  type: string;
  content: string;
}

export const cloudflareProvider = defineProvider({
  name: 'cloudflare',
  title: 'Cloudflare',
  apiReference: 'https://developers.cloudflare.com/api/resources/dns/subresources/records/',
  options: z.object({}),
  plainOptions: [],
  secrets: [
    { key: 'dnsApiToken', legoEnv: ['CLOUDFLARE_DNS_API_TOKEN', 'CF_DNS_API_TOKEN'], optional: true, description: 'API token with Zone.DNS:Edit on the zone' },
    { key: 'zoneApiToken', legoEnv: ['CLOUDFLARE_ZONE_API_TOKEN', 'CF_ZONE_API_TOKEN'], optional: true, description: 'API token with Zone:Read, for the zone lookup (default: dnsApiToken)' },
    { key: 'email', legoEnv: ['CLOUDFLARE_EMAIL', 'CF_API_EMAIL'], optional: true, description: 'account email, with apiKey (legacy global API key)' },
    { key: 'apiKey', legoEnv: ['CLOUDFLARE_API_KEY', 'CF_API_KEY'], optional: true, description: 'global API key, with email (legacy; prefer dnsApiToken)' },
  ],
  secretsSufficient: (s) => Boolean(s.dnsApiToken) || (Boolean(s.email) && Boolean(s.apiKey)),
  // lego's default; Cloudflare refuses TTLs below its plan's floor.
  minimumTtl: 120,
  create({ secrets }, deps) {
    const legacy: Record<string, string> = secrets.email && secrets.apiKey ? { 'x-auth-email': secrets.email, 'x-auth-key': secrets.apiKey } : {};
    const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : legacy);
    const editHeaders = bearer(secrets.dnsApiToken);
    const readHeaders = bearer(secrets.zoneApiToken ?? secrets.dnsApiToken);

    async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, about: string, signal: AbortSignal, body?: unknown, accept?: number[]): Promise<{ response: ProviderResponse; envelope: Envelope<T> }> {
      const headers = method === 'GET' && path.startsWith('/zones?') ? readHeaders : editHeaders;
      const response = await providerRequest(PROVIDER, { method, url: `${API}${path}`, headers, body, about }, deps, signal, { accept });
      const envelope = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as Envelope<T>;
      // Cloudflare reports some refusals as success: false inside a 2xx.
      if (response.status < 400 && envelope.success === false) throw new DnsProviderError(PROVIDER, `${about}: ${messages(envelope)}`, { status: response.status });
      return { response, envelope };
    }

    /** Every TXT record at `name` whose text is `value` (paged: a busy name may hold many). */
    async function matching(zone: ProviderZone, name: string, value: string, about: string, signal: AbortSignal): Promise<CloudflareRecord[]> {
      const found: CloudflareRecord[] = [];
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({ type: 'TXT', name, per_page: String(PAGE_SIZE), page: String(page) });
        const { envelope } = await call<CloudflareRecord[]>('GET', `/zones/${encodeURIComponent(zone.id)}/dns_records?${query}`, about, signal);
        for (const record of envelope.result ?? []) if (record.type === 'TXT' && unquoteTxt(record.content) === value) found.push(record);
        if (page >= (envelope.result_info?.total_pages ?? 1)) return found;
      }
    }

    return {
      async findZone(name, signal) {
        for (const candidate of zoneCandidates(name)) {
          const query = new URLSearchParams({ name: candidate });
          const { envelope } = await call<Array<{ id: string; name: string }>>('GET', `/zones?${query}`, `finding the zone of ${name} (asking for ${candidate})`, signal);
          const zone = envelope.result?.find((z) => z.name.toLowerCase() === candidate);
          if (zone) return { id: zone.id, name: candidate };
        }
        throw new DnsProviderError(PROVIDER, `no zone holding ${name} is visible to this credential`, {
          hint: 'check that the zone is in this Cloudflare account and that the token has Zone:Read on it (zoneApiToken or dnsApiToken)',
        });
      },

      async createTxt(record, signal) {
        const about = `creating TXT ${record.name} in zone ${record.zone.name}`;
        const { response, envelope } = await call<CloudflareRecord>('POST', `/zones/${encodeURIComponent(record.zone.id)}/dns_records`, about, signal, { type: 'TXT', name: record.name, content: record.value, ttl: record.ttl }, [400]);
        if (response.status === 400) {
          // Left by an earlier run that did not clean up: the same value, so it is ours to use and delete.
          if (!envelope.errors?.some((e) => e.code === IDENTICAL_RECORD)) throw new DnsProviderError(PROVIDER, `${about}: HTTP 400: ${messages(envelope)}`, { status: 400 });
          const [existing] = await matching(record.zone, record.name, record.value, about, signal);
          return { ...record, ...(existing ? { id: existing.id } : {}) };
        }
        const id = envelope.result?.id;
        if (typeof id !== 'string') throw new DnsProviderError(PROVIDER, `${about}: the answer names no record id`, { status: response.status });
        return { ...record, id };
      },

      async deleteTxt(record: PlacedTxtRecord, signal) {
        const about = `deleting TXT ${record.name} in zone ${record.zone.name}`;
        const ids = record.id !== undefined ? [record.id] : (await matching(record.zone, record.name, record.value, about, signal)).map((r) => r.id);
        for (const id of ids) {
          // 404: already gone, which is what cleanup wants.
          await call('DELETE', `/zones/${encodeURIComponent(record.zone.id)}/dns_records/${encodeURIComponent(id)}`, about, signal, undefined, [404]);
        }
      },
    };
  },
});

function messages(envelope: Envelope<unknown>): string {
  const list = (envelope.errors ?? []).map((e) => `${e.message ?? 'error'}${e.code === undefined ? '' : ` (${e.code})`}`);
  return list.length > 0 ? list.join('; ') : 'the API reported a failure';
}
