/**
 * The wait after a record was added through something other than DNS itself (an exec hook, a DNS
 * provider's API): find the zone's authoritative servers through a configured authoritative
 * `server:`, else a `resolver:`, else the system's resolvers, and wait until each of them serves
 * the value. One home for that path, shared by the exec and provider solvers.
 */
import type { Logger } from '../../logger.js';
import { DnsClient } from './client.js';
import { waitForTxt } from './propagation.js';
import { ResolverClient, RESOLV_CONF, readSystemResolvers, type SystemResolvers } from './resolvers.js';
import { formatServer, type DnsServer } from './transport.js';
import { authoritativeServers, type DnsQuerier } from './zone.js';

/** Where the zone's name servers are found, and how long to wait for them. */
export interface RecordLookupOptions {
  /** An authoritative server (config `server:`): asked without recursion for the zone and its NS, and checked itself. */
  server?: DnsServer;
  /** Recursive resolvers that find the zone's NS (config `resolver:`); default: the system's. Ignored with `server`. */
  resolvers?: DnsServer[];
  timeoutMs: number;
  pollIntervalMs: number;
  queryTimeoutMs: number;
}

/** The client zone lookups go through, and how it was chosen (for messages). */
export interface RecordLookup {
  client: DnsQuerier;
  via: string;
  /** The client is an authoritative server, so it is checked too. */
  authoritative: boolean;
  options: RecordLookupOptions;
}

/** The configured authoritative server, else the configured resolvers, else the system's resolvers. */
export async function openRecordLookup(options: RecordLookupOptions, systemResolvers?: SystemResolvers): Promise<RecordLookup> {
  const timeoutMs = options.queryTimeoutMs;
  if (options.server) return { client: new DnsClient(options.server, { timeoutMs }), via: `server ${formatServer(options.server)}`, authoritative: true, options };
  if (options.resolvers && options.resolvers.length > 0) {
    return { client: new ResolverClient(options.resolvers, { timeoutMs }), via: `resolver ${options.resolvers.map(formatServer).join(', ')}`, authoritative: false, options };
  }
  const system = await (systemResolvers ?? readSystemResolvers())();
  return { client: new ResolverClient(system, { timeoutMs }), via: `the system resolver ${system.map(formatServer).join(', ')} (${RESOLV_CONF})`, authoritative: false, options };
}

export interface VisibleWait {
  /** Where the value is read (the end of a CNAME chain) and its zone, as locateRecord() gives them. */
  record: { name: string; zone: string };
  /** The challenge name asked for, when a CNAME led elsewhere (for the message). */
  askedName: string;
  value: string;
  signal: AbortSignal;
  logger: Logger;
  /** The fix to suggest when the value never shows. */
  hint: string;
}

/** Resolves once every authoritative server of the record's zone serves the value; a ChallengeError after the timeout. */
export async function waitUntilVisible(lookup: RecordLookup, wait: VisibleWait): Promise<void> {
  const { record } = wait;
  const servers = await authoritativeServers(lookup.client, record.zone, wait.signal, wait.logger, { includeAsked: lookup.authoritative });
  wait.logger.debug('dns-01: waiting for the TXT record on the authoritative servers', { name: record.name, zone: record.zone, servers: servers.map(formatServer), via: lookup.via });
  await waitForTxt({
    servers,
    name: record.name,
    value: wait.value,
    timeoutMs: lookup.options.timeoutMs,
    pollIntervalMs: lookup.options.pollIntervalMs,
    queryTimeoutMs: lookup.options.queryTimeoutMs,
    signal: wait.signal,
    logger: wait.logger,
    serversFrom: `the name servers of zone ${record.zone}${record.name === wait.askedName ? '' : ` (${wait.askedName} is a CNAME to ${record.name})`}, found through ${lookup.via}`,
    hint: wait.hint,
  });
}
