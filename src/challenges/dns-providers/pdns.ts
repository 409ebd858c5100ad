/**
 * PowerDNS Authoritative through its HTTP API (lego's `pdns`): the zone is the longest of the
 * server's zones that is a suffix of the name, and the TXT record is changed with a PATCH of the
 * zone's rrsets. The API replaces a whole rrset (name + type) at once, so adding or removing our
 * value reads the rrset first and writes it back with the other values kept: the wildcard's value,
 * another runner's. The read-modify-writes of one zone are serialised within this client: two
 * challenges for one name (a wildcard and its base domain) would otherwise overwrite each other,
 * and PowerDNS on its sqlite3 backend answers concurrent PATCHes of a zone with HTTP 500
 * ("database is locked", measured with pdns 4.7). Another process (another runner) can still hit
 * that lock: such a 500 is retried, the rrset read again, a few times after short waits. The API has
 * no conditional write, so two processes changing one name at the same moment can still lose a value.
 */
import { z } from 'zod';
import { defineProvider, type DnsProviderClient, type PlacedTxtRecord, type ProviderDeps, type ProviderZone, type TxtRecordRequest } from './descriptor.js';
import { DnsProviderError, providerRequest } from './http.js';

const NAME = 'pdns';
/** How often a write the backend refused as "database is locked" is read and written again, and the first wait (doubling). */
const LOCKED_RETRIES = 4;
const LOCKED_FIRST_WAIT_MS = 100;

function isDatabaseLocked(err: unknown): boolean {
  return err instanceof DnsProviderError && err.status === 500 && /database is locked/i.test(err.message);
}

interface PdnsZone {
  id: string;
  name: string;
}

interface PdnsRecord {
  content: string;
  disabled?: boolean;
}

interface PdnsRrset {
  name: string;
  type: string;
  ttl: number;
  records: PdnsRecord[];
}

const options = z.object({
  /** The API's base URL, as lego's PDNS_API_URL: http://127.0.0.1:8081 (the /api/v1 path is added). */
  apiUrl: z.url({ protocol: /^https?$/, error: 'the API\'s base URL, e.g. http://127.0.0.1:8081' }),
  serverName: z.string().min(1).default('localhost'),
});

/** "example.com" -> "example.com." (the API's names are absolute). */
const absolute = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();
const relative = (name: string) => name.replace(/\.$/, '').toLowerCase();
/** TXT content as the API writes it: one quoted string (an ACME value has no quotes or backslashes). */
const quoted = (value: string) => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

export const pdnsProvider = defineProvider({
  name: NAME,
  aliases: ['powerdns'],
  title: 'PowerDNS Authoritative',
  apiReference: 'https://doc.powerdns.com/authoritative/http-api/zone.html',
  options,
  plainOptions: [
    { key: 'apiUrl', legoEnv: ['PDNS_API_URL'], description: 'the API base URL, e.g. http://127.0.0.1:8081 (the webserver/api address)' },
    { key: 'serverName', legoEnv: ['PDNS_SERVER_NAME'], description: 'the server id in the API path (default localhost)' },
  ],
  secrets: [{ key: 'apiKey', legoEnv: ['PDNS_API_KEY'], description: 'the API key (pdns.conf api-key), sent as X-API-Key' }],
  create(config, deps) {
    const apiKey = config.secrets.apiKey;
    if (apiKey === undefined) throw new DnsProviderError(NAME, 'no API key (apiKey, or PDNS_API_KEY)');
    return new PdnsClient(config.options.apiUrl.replace(/\/+$/, ''), config.options.serverName, apiKey, deps);
  },
});

class PdnsClient implements DnsProviderClient {
  /** Zone id -> the tail of its chain of read-modify-writes. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly baseUrl: string,
    private readonly serverName: string,
    private readonly apiKey: string,
    private readonly deps: ProviderDeps,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl}/api/v1/servers/${encodeURIComponent(this.serverName)}${path}`;
  }

  /** A zone id in a URL: PowerDNS escapes "/" in ids as "=2F"; the rest is percent-encoded. */
  private zoneUrl(zone: ProviderZone): string {
    return this.url(`/zones/${encodeURIComponent(zone.id).replace(/%3D/gi, '=')}`);
  }

  private request(method: 'GET' | 'PATCH', url: string, about: string, signal: AbortSignal, body?: unknown) {
    return providerRequest(NAME, { method, url, about, headers: { 'x-api-key': this.apiKey }, ...(body === undefined ? {} : { body }) }, this.deps, signal);
  }

  async findZone(name: string, signal: AbortSignal): Promise<ProviderZone> {
    const about = `finding the zone of TXT ${relative(name)} (zones of server ${this.serverName})`;
    const { body } = await this.request('GET', this.url('/zones'), about, signal);
    if (!Array.isArray(body)) throw new DnsProviderError(NAME, `${about}: the API answered something other than a list of zones`);
    const fqdn = absolute(name);
    const holding = (body as PdnsZone[])
      .filter((z) => typeof z.name === 'string' && (fqdn === absolute(z.name) || fqdn.endsWith(`.${absolute(z.name)}`)))
      .sort((a, b) => b.name.length - a.name.length)[0];
    if (!holding) {
      const zones = (body as PdnsZone[]).map((z) => relative(z.name));
      throw new DnsProviderError(NAME, `no zone of server ${this.serverName} holds TXT ${relative(name)} (it has ${zones.length === 0 ? 'no zones' : zones.slice(0, 10).join(', ')})`, {
        status: 404,
        hint: 'create the zone on this PowerDNS server, or point apiUrl/serverName at the server that has it; for a zone elsewhere, delegate _acme-challenge with a CNAME into one of these zones',
      });
    }
    return { id: holding.id, name: relative(holding.name) };
  }

  createTxt(record: TxtRecordRequest, signal: AbortSignal): Promise<PlacedTxtRecord> {
    return this.serialisedWithLockRetry(record.zone.id, signal, async () => {
      const about = `adding TXT ${relative(record.name)} in zone ${record.zone.name}`;
      const current = await this.rrset(record, about, signal);
      const content = quoted(record.value);
      const kept = (current?.records ?? []).filter((r) => r.content !== content);
      await this.replace(record, [...kept, { content, disabled: false }], record.ttl, about, signal);
      return { ...record };
    });
  }

  deleteTxt(record: PlacedTxtRecord, signal: AbortSignal): Promise<void> {
    return this.serialisedWithLockRetry(record.zone.id, signal, async () => {
      const about = `deleting TXT ${relative(record.name)} in zone ${record.zone.name}`;
      const current = await this.rrset(record, about, signal);
      if (!current) return;
      const content = quoted(record.value);
      const kept = current.records.filter((r) => r.content !== content);
      if (kept.length === current.records.length) return;
      await this.replace(record, kept, current.ttl, about, signal);
    });
  }

  /** The TXT rrset at the record's name, from the zone (undefined: there is none). */
  private async rrset(record: TxtRecordRequest, about: string, signal: AbortSignal): Promise<PdnsRrset | undefined> {
    const { body } = await this.request('GET', this.zoneUrl(record.zone), about, signal);
    const rrsets = (body as { rrsets?: PdnsRrset[] } | undefined)?.rrsets;
    if (!Array.isArray(rrsets)) throw new DnsProviderError(NAME, `${about}: the zone as the API answered it has no rrsets list`);
    const name = absolute(record.name);
    return rrsets.find((r) => r.type === 'TXT' && absolute(r.name) === name);
  }

  /** Write the TXT rrset: REPLACE with these records, or DELETE the rrset when none are left. */
  private async replace(record: TxtRecordRequest, records: PdnsRecord[], ttl: number, about: string, signal: AbortSignal): Promise<void> {
    const rrset =
      records.length === 0
        ? { name: absolute(record.name), type: 'TXT', changetype: 'DELETE' }
        : { name: absolute(record.name), type: 'TXT', ttl, changetype: 'REPLACE', records: records.map((r) => ({ content: r.content, disabled: r.disabled ?? false })) };
    await this.request('PATCH', this.zoneUrl(record.zone), about, signal, { rrsets: [rrset] });
  }

  /** One read-modify-write of a zone, queued behind this client's others, redone when the backend's database was locked. */
  private serialisedWithLockRetry<T>(key: string, signal: AbortSignal, body: () => Promise<T>): Promise<T> {
    return this.serialised(key, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await body();
        } catch (err) {
          if (attempt > LOCKED_RETRIES || !isDatabaseLocked(err)) throw err;
          this.deps.logger?.info('pdns: the backend database was locked (another writer); reading the rrset again', { attempt });
          await this.deps.sleep(LOCKED_FIRST_WAIT_MS * 2 ** (attempt - 1), signal);
        }
      }
    });
  }

  private serialised<T>(key: string, body: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const result = previous.then(body, body);
    const tail = result.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return result;
  }
}
