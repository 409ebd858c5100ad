/**
 * The CA's side of dns-persist-01 for the fake ACME server, written from
 * draft-ietf-acme-dns-persist-02 (https://www.ietf.org/archive/id/draft-ietf-acme-dns-persist-02.txt)
 * and independent of certfleet's code: the TXT records at `_validation-persist.<identifier>` are
 * read from BIND with dns-packet, each parsed as an RFC 8659 issue-value, and accepted when the
 * issuer domain name is one of the CA's and accounturi is the hashed URI of section 4.1 for the
 * requesting account (the domain's or the domain-omitted `*` form). Otherwise the problem type the
 * draft's section 9.3.1 names: `unauthorized` (no record for this CA, another account, expired),
 * `malformed` (a record that does not parse).
 */
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface PersistCa {
  issuerDomainNames: string[];
  accountHashPrefix: string;
  /** The authoritative server the CA asks (the test's BIND). */
  dnsServer: { host: string; port: number };
}

export type PersistVerdict = { ok: true } | { ok: false; type: 'unauthorized' | 'malformed'; detail: string };

/** RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace. */
export function thumbprint(jwk: Record<string, unknown>): string {
  const members = jwk.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : jwk.kty === 'RSA' ? ['e', 'kty', 'n'] : ['crv', 'kty', 'x'];
  return createHash('sha256').update(`{${members.map((m) => `"${m}":"${String(jwk[m])}"`).join(',')}}`).digest('base64url');
}

export function hashedUri(prefix: string, domain: string, key: string, accountUrl: string): string {
  const digest = createHash('sha256').update(Buffer.concat([Buffer.from([domain.length]), Buffer.from(domain), Buffer.from(key), Buffer.from(accountUrl)])).digest('base64url');
  return `${prefix}sha-256/${digest}`;
}

async function txtRecords(server: PersistCa['dnsServer'], name: string): Promise<string[]> {
  const socket = createSocket('udp4');
  try {
    const id = Math.floor(Math.random() * 65535);
    const answer = new Promise<dnsPacket.DecodedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${server.host}:${server.port}`)), 2_000);
      socket.on('message', (buf) => {
        const packet = dnsPacket.decode(buf);
        if (packet.id !== id) return;
        clearTimeout(timer);
        resolve(packet);
      });
    });
    socket.send(dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type: 'TXT', name, class: 'IN' }] }), server.port, server.host);
    const packet = await answer;
    return (packet.answers ?? [])
      .filter((a): a is dnsPacket.TxtAnswer => a.type === 'TXT' && a.name.toLowerCase() === name.toLowerCase())
      .map((a) => (Array.isArray(a.data) ? a.data : [a.data]).map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join(''));
  } finally {
    socket.close();
  }
}

export async function validatePersistRecord(ca: PersistCa, identifier: string, accountUrl: string, jwk: Record<string, unknown>): Promise<PersistVerdict> {
  const name = `_validation-persist.${identifier}`;
  const records = await txtRecords(ca.dnsServer, name);
  const key = thumbprint(jwk);
  const accepted = [hashedUri(ca.accountHashPrefix, identifier, key, accountUrl), hashedUri(ca.accountHashPrefix, '*', key, accountUrl)];
  let why = `no TXT record at ${name} names ${ca.issuerDomainNames.join(' or ')}`;
  for (const record of records) {
    const [issuer = '', ...params] = record.split(';').map((p) => p.trim());
    if (!ca.issuerDomainNames.includes(issuer.toLowerCase().replace(/\.$/, ''))) continue;
    const tags = new Map<string, string>();
    for (const param of params.filter((p) => p !== '')) {
      const eq = param.indexOf('=');
      if (eq < 1 || tags.has(param.slice(0, eq).trim().toLowerCase())) return { ok: false, type: 'malformed', detail: `${name}: malformed record "${record}"` };
      tags.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim());
    }
    const until = tags.get('persistuntil');
    if (until !== undefined && !/^\d+$/.test(until)) return { ok: false, type: 'malformed', detail: `${name}: persistUntil is not an integer` };
    if (!accepted.includes(tags.get('accounturi') ?? '')) {
      why = `${name}: accounturi does not identify the requesting account`;
      continue;
    }
    if (until !== undefined && Number(until) < Date.now() / 1000) {
      why = `${name}: persistUntil has passed`;
      continue;
    }
    return { ok: true };
  }
  return { ok: false, type: 'unauthorized', detail: why };
}
