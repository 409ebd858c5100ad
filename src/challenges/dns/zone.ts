/**
 * Where a challenge record lives and who serves it: the zone (from the SOA an authoritative server
 * returns for the name) and the zone's name servers (its NS records, with addresses the configured
 * server itself gives: glue or in-zone A records). We never ask a recursive resolver, so what we
 * see is what the CA's resolver will find on the authoritative servers.
 */
import type { Logger } from '../../logger.js';
import { ChallengeError } from '../errors.js';
import type { DnsClient } from './client.js';
import type { DnsServer } from './transport.js';
import { absoluteName, stringRecords, type DecodedMessage } from './wire.js';

export function challengeRecordName(domain: string): string {
  return absoluteName(`_acme-challenge.${domain.replace(/^\*\./, '')}`);
}

/** The zone holding `name`: the owner of the SOA record in the answer (name is the apex) or authority section. */
export async function findZone(client: DnsClient, name: string, signal: AbortSignal): Promise<string> {
  const { rcode, message } = await client.query(name, 'SOA', signal);
  if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') {
    const soa = [...(message.answers ?? []), ...(message.authorities ?? [])].find((r) => r.type === 'SOA');
    if (soa) return absoluteName(soa.name);
  }
  const what = rcode === 'NOERROR' || rcode === 'NXDOMAIN' ? `${rcode} without an SOA record` : rcode;
  throw new ChallengeError(`cannot find the zone of ${name}: ${client.label} answered ${what}`, {
    hint: `check that ${client.label} is authoritative for the domain, or set \`zone:\``,
  });
}

/**
 * The zone's name servers we can reach without a resolver: the configured server, plus each NS
 * whose address the configured server gives. An NS at the configured server's address is that
 * server (same port: a test or a non-standard port); others are asked on port 53.
 */
export async function authoritativeServers(client: DnsClient, zone: string, signal: AbortSignal, logger: Logger): Promise<DnsServer[]> {
  const servers = new Map<string, DnsServer>([[`${client.server.host}|${client.server.port}`, client.server]]);
  let nsNames: string[];
  try {
    const { message } = await client.query(zone, 'NS', signal);
    nsNames = stringRecords(message.answers, 'NS').map((r) => absoluteName(r.data));
    for (const ns of nsNames) {
      const addresses = await nameServerAddresses(client, ns, message, signal);
      if (addresses.length === 0) logger.debug('dns-01: name server address unknown to the configured server; not checking it', { zone, nameServer: ns });
      for (const host of addresses) {
        const server = host === client.server.host ? client.server : { host, port: 53 };
        servers.set(`${server.host}|${server.port}`, server);
      }
    }
  } catch (err) {
    if (signal.aborted) throw err;
    logger.debug('dns-01: cannot list the zone name servers; checking the configured server only', { zone, error: (err as Error).message });
  }
  return [...servers.values()];
}

async function nameServerAddresses(client: DnsClient, ns: string, nsAnswer: DecodedMessage, signal: AbortSignal): Promise<string[]> {
  const glue = (type: 'A' | 'AAAA') => stringRecords(nsAnswer.additionals, type).filter((r) => absoluteName(r.name) === ns).map((r) => r.data);
  if (glue('A').length > 0) return glue('A');
  const { rcode, message } = await client.query(ns, 'A', signal);
  const asked = rcode === 'NOERROR' ? stringRecords(message.answers, 'A').map((r) => r.data) : [];
  // IPv6 only when the name server has no IPv4 address: a host without IPv6 routes would wait in vain.
  return asked.length > 0 ? asked : glue('AAAA');
}
