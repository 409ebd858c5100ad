/**
 * Where a challenge record lives and who serves it: the zone (from the SOA record in the answer)
 * and the zone's name servers (its NS records, with their addresses). Asked of either a configured
 * authoritative server (without recursion: glue or in-zone A records give the addresses) or a
 * recursive resolver, which only finds the servers: the record itself is always read from the
 * authoritative servers, so what we see is what the CA's resolver will find there.
 */
import type { Logger } from '../../logger.js';
import { ChallengeError } from '../errors.js';
import type { QueryResult } from './client.js';
import type { DnsServer } from './transport.js';
import { absoluteName, stringRecords, type DecodedMessage } from './wire.js';

/** What zone lookups need of a client: a DnsClient (one server) or a ResolverClient (resolvers in turn). */
export interface DnsQuerier {
  readonly server: DnsServer;
  readonly label: string;
  /** A resolver (asked to recurse) rather than an authoritative server: only changes what messages suggest. */
  readonly recursive?: boolean;
  query(name: string, type: 'SOA' | 'NS' | 'A' | 'AAAA', signal: AbortSignal): Promise<QueryResult>;
}

export function challengeRecordName(domain: string): string {
  return absoluteName(`_acme-challenge.${domain.replace(/^\*\./, '')}`);
}

/** The zone holding `name`: the owner of the SOA record in the answer (name is the apex) or authority section. */
export async function findZone(client: DnsQuerier, name: string, signal: AbortSignal): Promise<string> {
  const { rcode, message } = await client.query(name, 'SOA', signal);
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') {
    const soa = [...(message.answers ?? []), ...(message.authorities ?? [])].find((r) => r.type === 'SOA');
    if (soa) return absoluteName(soa.name);
  }
  const what = rcode === 'NOERROR' || rcode === 'NXDOMAIN' ? `${rcode} without an SOA record` : rcode;
  throw new ChallengeError(`cannot find the zone of ${name}: ${client.label} answered ${what}`, {
    hint: client.recursive
      ? `check that resolver ${client.label} can resolve the domain (set \`resolver:\` to one that can, or \`server:\` to an authoritative server of the zone)`
      : `check that ${client.label} is authoritative for the domain, or set \`zone:\`; if the domain's DNS is elsewhere and its _acme-challenge a CNAME into a zone of ${client.label}, set \`resolver:\` to follow it`,
  });
}

const MAX_CNAMES = 8;

/** Where a challenge's TXT record is written and read, as locateRecord() finds it. */
export interface LocatedRecord {
  /** The end of the CNAME chain (the asked name itself when it is no CNAME). */
  name: string;
  zone: string;
  /** Every name followed, the asked name first and `name` last: one entry when there was no CNAME. */
  chain: string[];
}

export interface LocateOptions {
  /** Follow a CNAME at the asked name (default true); false: the record is the asked name (lego's LEGO_DISABLE_CNAME_SUPPORT). */
  followCname?: boolean;
  /** The zone to use for the record, as configured (`zone:`): no SOA lookup, but the chain is still followed. */
  zone?: string;
}

/**
 * Where the TXT record for `name` goes: `name` itself, or the end of its CNAME chain when the
 * challenge is delegated (`_acme-challenge.www CNAME _acme-challenge.other.example.net.`, as with
 * acme-dns), which is where a CA's resolver follows it to. Then the zone holding that name
 * (findZone), unless one is given. One home for the rule: every dns-01 solver (rfc2136, exec, the
 * providers) calls it. A hop whose answer holds no CNAME for the name (NODATA, NXDOMAIN, or a
 * server that refuses: not its zone) ends the chain; a loop or a chain longer than 8 is an error.
 */
export async function locateRecord(client: DnsQuerier, name: string, signal: AbortSignal, options: LocateOptions = {}): Promise<LocatedRecord> {
  const chain = [absoluteName(name)];
  if (options.followCname !== false) {
    for (;;) {
      const current = chain[chain.length - 1] as string;
      const { message } = await client.query(current, 'SOA', signal);
      const alias = stringRecords(message.answers, 'CNAME').find((r) => absoluteName(r.name).toLowerCase() === current.toLowerCase());
      if (!alias) break;
      const target = absoluteName(alias.data);
      if (chain.some((seen) => seen.toLowerCase() === target.toLowerCase())) {
        throw new ChallengeError(`${chain[0]} is a CNAME loop: ${[...chain, target].join(' -> ')} (seen through ${client.label})`, {
          hint: 'point the _acme-challenge CNAME at a name that holds TXT records, or set followCname: false to write the record at the name itself',
        });
      }
      chain.push(target);
      if (chain.length > MAX_CNAMES + 1) {
        throw new ChallengeError(`${chain[0]} is a chain of more than ${MAX_CNAMES} CNAME records (seen through ${client.label})`, { hint: 'shorten the _acme-challenge CNAME chain' });
      }
    }
  }
  const end = chain[chain.length - 1] as string;
  const zone = options.zone !== undefined ? absoluteName(options.zone) : await findZone(client, end, signal);
  return { name: end, zone, chain };
}

/** "_acme-challenge.a.example. is a CNAME to _acme-challenge.other.example.net." (through every hop), for logs and messages. */
export function describeDelegation(record: LocatedRecord): string {
  return `${record.chain[0]} is a CNAME to ${record.chain.slice(1).join(' -> ')}`;
}

/**
 * The zone's name servers. Through an authoritative server: that server, plus each NS whose
 * address it gives (glue or in-zone A records). Through a resolver (`includeAsked: false`): each
 * NS at the addresses the resolver finds, never the resolver itself, which is not authoritative.
 * An NS at the asked server's address is that server (same port: a test or a non-standard port);
 * others are asked on port 53.
 */
export async function authoritativeServers(
  client: DnsQuerier,
  zone: string,
  signal: AbortSignal,
  logger: Logger,
  options: { includeAsked?: boolean } = {},
): Promise<DnsServer[]> {
  const includeAsked = options.includeAsked ?? true;
  const servers = new Map<string, DnsServer>(includeAsked ? [[`${client.server.host}|${client.server.port}`, client.server]] : []);
  let nsNames: string[];
  try {
    const { message } = await client.query(zone, 'NS', signal);
    nsNames = stringRecords(message.answers, 'NS').map((r) => absoluteName(r.data));
    for (const ns of nsNames) {
      const addresses = await nameServerAddresses(client, ns, message, signal);
      if (addresses.length === 0) logger.debug(`dns-01: name server address unknown to ${client.label}; not checking it`, { zone, nameServer: ns });
      for (const host of addresses) {
        const server = host === client.server.host ? client.server : { host, port: 53 };
        servers.set(`${server.host}|${server.port}`, server);
      }
    }
  } catch (err) {
    if (signal.aborted || !includeAsked) throw err;
    logger.debug('dns-01: cannot list the zone name servers; checking the configured server only', { zone, error: (err as Error).message });
  }
  if (servers.size === 0) {
    throw new ChallengeError(`cannot find the name servers of zone ${zone}: ${client.label} gave no NS record with an address`, {
      hint: 'set `resolver:` to a resolver that can see the zone, or `server:` to one of its authoritative servers',
    });
  }
  return [...servers.values()];
}

async function nameServerAddresses(client: DnsQuerier, ns: string, nsAnswer: DecodedMessage, signal: AbortSignal): Promise<string[]> {
  const glue = (type: 'A' | 'AAAA') => stringRecords(nsAnswer.additionals, type).filter((r) => absoluteName(r.name) === ns).map((r) => r.data);
  if (glue('A').length > 0) return glue('A');
  const { rcode, message } = await client.query(ns, 'A', signal);
  const asked = rcode === 'NOERROR' ? stringRecords(message.answers, 'A').map((r) => r.data) : [];
  // IPv6 only when the name server has no IPv4 address: a host without IPv6 routes would wait in vain.
  return asked.length > 0 ? asked : glue('AAAA');
}
