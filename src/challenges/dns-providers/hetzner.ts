/**
 * Hetzner DNS through the Hetzner Cloud API (api.hetzner.cloud/v1, zones and RRSets), which lego's
 * `hetzner` provider uses since v4.27 with HETZNER_API_TOKEN. The older DNS Console API
 * (dns.hetzner.com, HETZNER_API_KEY, deprecated by lego and by Hetzner) is not supported.
 * A project's API token as Bearer; the project's zones (paged: meta.pagination.next_page).
 * add_records and remove_records change only the values they name, so another value at the same
 * name survives both; each returns an action, which is followed until it succeeds or fails.
 */
import { z } from 'zod';
import { noZoneError, requireSecret } from './client-errors.js';
import { defineProvider } from './descriptor.js';
import type { DnsProviderClient, PlacedTxtRecord, ProviderDeps, ProviderZone } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';
import { quoteTxt } from './txt-set.js';
import { longestZone, plainName, relativeName } from './zone-match.js';

const PROVIDER = 'hetzner';
const TOKEN_ENV = ['HETZNER_API_TOKEN'] as const;
const API = 'https://api.hetzner.cloud/v1';
/** The largest page the API gives. */
const PAGE_SIZE = 100;
/** An RRSet action takes a second or two; this bounds the wait for one (each poll 1 s apart). */
const ACTION_POLLS = 60;
const ACTION_POLL_MS = 1000;

interface Action {
  id: number;
  status: 'running' | 'success' | 'error';
  error?: { code?: string; message?: string } | null;
}

export const hetznerProvider = defineProvider({
  name: PROVIDER,
  title: 'Hetzner',
  apiReference: 'https://docs.hetzner.cloud/reference/cloud#zone-rrsets',
  options: z.strictObject({}),
  plainOptions: [],
  secrets: [{ key: 'apiToken', legoEnv: TOKEN_ENV, description: 'Hetzner Cloud API token (read & write) of the project that holds the zone' }],
  minimumTtl: 60,
  create(config, deps): DnsProviderClient {
    const token = requireSecret(PROVIDER, config.secrets, 'apiToken', TOKEN_ENV);
    const headers = { authorization: `Bearer ${token}` };
    const change = async (action: 'add_records' | 'remove_records', record: PlacedTxtRecord, signal: AbortSignal): Promise<void> => {
      const verb = action === 'add_records' ? 'creating' : 'deleting';
      const values = [{ value: quoteTxt(record.value) }];
      const response = await providerRequest(
        PROVIDER,
        {
          method: 'POST',
          url: `${API}/zones/${encodeURIComponent(record.zone.id)}/rrsets/${encodeURIComponent(relativeName(record.name, record.zone.name))}/TXT/actions/${action}`,
          headers,
          body: action === 'add_records' ? { ttl: record.ttl, records: values } : { records: values },
          about: about(verb, record),
        },
        deps,
        signal,
        // remove_records on a set that is already gone: nothing left to remove.
        action === 'remove_records' ? { accept: [404] } : {},
      );
      if (response.status === 404) return;
      await waitForAction((response.body as { action?: Action } | undefined)?.action, headers, about(verb, record), deps, signal);
    };
    return {
      async findZone(name, signal) {
        const zones: ProviderZone[] = [];
        for (let page: number | null | undefined = 1; page; ) {
          const response = await providerRequest(PROVIDER, { method: 'GET', url: `${API}/zones?page=${page}&per_page=${PAGE_SIZE}`, headers, about: `finding the zone of ${plainName(name)}` }, deps, signal);
          const body = response.body as { zones?: Array<{ id: number; name: string }>; meta?: { pagination?: { next_page?: number | null } } };
          for (const z of body.zones ?? []) zones.push({ id: String(z.id), name: plainName(z.name) });
          page = body.meta?.pagination?.next_page;
        }
        const zone = longestZone(name, zones, (z) => z.name);
        if (!zone) throw noZoneError(PROVIDER, name, zones.length);
        return zone;
      },
      async createTxt(record, signal) {
        await change('add_records', record, signal);
        return { ...record };
      },
      async deleteTxt(record, signal) {
        await change('remove_records', record, signal);
      },
    };
  },
});

function about(verb: string, record: PlacedTxtRecord): string {
  return `${verb} TXT ${plainName(record.name)} in zone ${record.zone.name}`;
}

/** Follows an action until it leaves "running": an "error" is the provider's refusal, named as one. */
async function waitForAction(first: Action | undefined, headers: Record<string, string>, what: string, deps: ProviderDeps, signal: AbortSignal): Promise<void> {
  if (!first) throw new DnsProviderError(PROVIDER, `${what}: the answer has no action`);
  let action = first;
  for (let poll = 0; action.status === 'running'; poll++) {
    if (poll >= ACTION_POLLS) throw new DnsProviderError(PROVIDER, `${what}: action ${action.id} still running after ${(ACTION_POLLS * ACTION_POLL_MS) / 1000} s`);
    await deps.sleep(ACTION_POLL_MS, signal);
    const response = await providerRequest(PROVIDER, { method: 'GET', url: `${API}/actions/${action.id}`, headers, about: `${what} (action ${action.id})` }, deps, signal);
    const next = (response.body as { action?: Action } | undefined)?.action;
    if (!next) throw new DnsProviderError(PROVIDER, `${what}: action ${action.id} has no status`);
    action = next;
  }
  if (action.status === 'error') {
    throw new DnsProviderError(PROVIDER, `${what}: action ${action.id} failed: ${action.error?.code ?? 'error'}: ${action.error?.message ?? 'no message'}`);
  }
}
