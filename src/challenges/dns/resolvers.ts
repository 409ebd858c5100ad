/**
 * The recursive resolvers that find a zone's name servers when no authoritative server is
 * configured: the ones the config names, else the system's, read from /etc/resolv.conf through an
 * injectable reader (the core reads no environment; tests point it at a loopback server). Asked in
 * order: the next one only when one does not answer at all, as the C library does.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { ChallengeError } from '../errors.js';
import { DnsClient, type QueryResult } from './client.js';
import { formatServer, type DnsServer } from './transport.js';

export const RESOLV_CONF = '/etc/resolv.conf';

/** Where the system resolvers come from; the default reads /etc/resolv.conf. */
export type SystemResolvers = () => Promise<DnsServer[]>;

/**
 * `nameserver ADDRESS` lines, in order, port 53 (resolv.conf has no port). Without any, the C
 * library asks the local machine, and so do we.
 */
export function parseResolvConf(text: string): DnsServer[] {
  const servers: DnsServer[] = [];
  for (const line of text.split('\n')) {
    const [keyword, address] = line.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (keyword !== 'nameserver' || address === undefined) continue;
    // A link-local IPv6 address may carry its interface (fe80::1%eth0); the socket takes it as is.
    if (isIP(address.replace(/%.*$/, '')) !== 0) servers.push({ host: address, port: 53 });
  }
  return servers.length > 0 ? servers : [{ host: '127.0.0.1', port: 53 }];
}

export function readSystemResolvers(read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8')): SystemResolvers {
  return async () => {
    let text: string;
    try {
      text = await read(RESOLV_CONF);
    } catch (err) {
      throw new ChallengeError(`cannot read the system resolvers from ${RESOLV_CONF}: ${(err as Error).message}`, {
        hint: 'name one in the challenge config (`resolver: 127.0.0.1:53`), or set `server:` to an authoritative server of the zone',
        cause: err,
      });
    }
    return parseResolvConf(text);
  };
}

/**
 * Recursive queries to a list of resolvers. `server` and `label` name the one that answered last
 * (the first until one fails), so messages and the same-host rule of authoritativeServers() see
 * the resolver actually used.
 */
export class ResolverClient {
  readonly recursive = true;
  private readonly clients: DnsClient[];
  private current = 0;

  constructor(servers: readonly DnsServer[], options: { timeoutMs: number }) {
    if (servers.length === 0) throw new ChallengeError('no DNS resolver to ask');
    this.clients = servers.map((s) => new DnsClient(s, { timeoutMs: options.timeoutMs, recursive: true }));
  }

  get server(): DnsServer {
    return (this.clients[this.current] as DnsClient).server;
  }

  get label(): string {
    return formatServer(this.server);
  }

  async query(name: string, type: 'SOA' | 'TXT' | 'NS' | 'A' | 'AAAA', signal: AbortSignal): Promise<QueryResult> {
    let lastError: unknown;
    for (let tried = 0; tried < this.clients.length; tried++) {
      const index = (this.current + tried) % this.clients.length;
      try {
        const result = await (this.clients[index] as DnsClient).query(name, type, signal);
        this.current = index;
        return result;
      } catch (err) {
        if (signal.aborted) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }
}
