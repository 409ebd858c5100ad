/**
 * The endpoint scanner against real servers on 127.0.0.1: TLS (chains, SNI, versions), STARTTLS
 * dialogues, and the failures a fleet scan meets (silence, plain text, refusal, dead ports).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpointSpec } from '../../src/inventory/sources/endpoint-spec.js';
import type { EndpointObservation, EndpointScanOptions } from '../../src/inventory/sources/endpoint-types.js';
import { describeSocketError, scanEndpoints } from '../../src/inventory/sources/endpoints.js';
import { chain, issue, type Issued } from '../helpers/pki.js';
import {
  closedPort,
  startPlainTextServer,
  startSilentServer,
  startStartTlsServer,
  startTlsServer,
  startUnresponsiveListener,
  type RunningServer,
  type ServerIdentity,
} from '../helpers/tls-servers.js';

let root: Issued;
let intermediate: Issued;
let leaf: Issued;
let otherLeaf: Issued;
let ipLeaf: Issued;
let selfSigned: Issued;
let full: ServerIdentity;
const servers: RunningServer[] = [];

beforeAll(async () => {
  ({ root, intermediate, leaf } = await chain({ commonName: 'leaf.test', sans: ['leaf.test', 'www.leaf.test'] }));
  otherLeaf = await issue({ commonName: 'other.test', sans: ['other.test'] }, intermediate);
  ipLeaf = await issue({ commonName: 'loopback', sans: ['127.0.0.1'] }, intermediate);
  selfSigned = await issue({ commonName: 'self.test', sans: ['self.test'] });
  full = { key: leaf.keyPem, cert: leaf.certPem + intermediate.certPem };
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function track<T extends RunningServer>(server: Promise<T>): Promise<T> {
  const s = await server;
  servers.push(s);
  return s;
}

function options(overrides: Partial<EndpointScanOptions> = {}): EndpointScanOptions {
  return { concurrency: 8, connectTimeoutMs: 2000, handshakeTimeoutMs: 2000, extraCa: [root.der], ...overrides };
}

async function scanOne(spec: string, overrides: Partial<EndpointScanOptions> = {}): Promise<EndpointObservation> {
  const [obs] = await scanEndpoints([parseEndpointSpec(spec)], options(overrides));
  return obs!;
}

function ok(obs: EndpointObservation): Extract<EndpointObservation, { ok: true }> {
  if (!obs.ok) throw new Error(`expected a successful scan, got: ${obs.error}`);
  return obs;
}

function failed(obs: EndpointObservation): string {
  if (obs.ok) throw new Error('expected the scan to fail, it succeeded');
  return obs.error;
}

const fp = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');
const fps = (ders: Uint8Array[]): string[] => ders.map(fp);

describe('plain TLS', () => {
  it('returns the full chain as served (leaf first, no trust anchor added) and trusts it with the extra CA', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`));
    expect(fps(obs.chain)).toEqual(fps([leaf.der, intermediate.der]));
    expect(obs.trusted).toBe(true);
    expect(obs.trustError).toBeUndefined();
    expect(obs.nameMatches).toBe(true);
    expect(obs.protocol).toBe('TLSv1.3');
    expect(obs.elapsedMs).toBeGreaterThan(0);
    expect(obs.chain[0]).toBeInstanceOf(Uint8Array);
  });

  it('accepts the extra CA as PEM as well as DER', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`, { extraCa: [new TextEncoder().encode(root.certPem)] }));
    expect(obs.trusted).toBe(true);
  });

  it('is untrusted without the extra CA, with a reason', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`, { extraCa: [] }));
    expect(obs.trusted).toBe(false);
    expect(obs.trustError).toMatch(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    expect(obs.chain).toHaveLength(2);
  });

  it('keeps the server order and extra certificates of a misordered chain, including a sent root', async () => {
    const server = await track(
      startTlsServer({ identity: { key: leaf.keyPem, cert: leaf.certPem + selfSigned.certPem + root.certPem + intermediate.certPem } }),
    );
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`));
    expect(fps(obs.chain)).toEqual(fps([leaf.der, selfSigned.der, root.der, intermediate.der]));
    expect(obs.trusted).toBe(true);
  });

  it('reports a leaf-only server as untrusted with a chain of one', async () => {
    const server = await track(startTlsServer({ identity: { key: leaf.keyPem, cert: leaf.certPem } }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`));
    expect(fps(obs.chain)).toEqual(fps([leaf.der]));
    expect(obs.trusted).toBe(false);
    expect(obs.trustError).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(obs.nameMatches).toBe(true);
  });

  it('reports a self-signed certificate', async () => {
    const server = await track(startTlsServer({ identity: { key: selfSigned.keyPem, cert: selfSigned.certPem } }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=self.test`));
    expect(fps(obs.chain)).toEqual(fps([selfSigned.der]));
    expect(obs.trusted).toBe(false);
    expect(obs.trustError).toMatch(/self-signed.*DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('sends the SNI asked for and gets the certificate the server picks for it', async () => {
    const server = await track(
      startTlsServer({ identity: full, sniIdentities: { 'other.test': { key: otherLeaf.keyPem, cert: otherLeaf.certPem + intermediate.certPem } } }),
    );
    const [asOther, asLeaf, noSni] = await scanEndpoints(
      [`127.0.0.1:${server.port},sni=other.test`, `127.0.0.1:${server.port},sni=leaf.test`, `127.0.0.1:${server.port}`].map(parseEndpointSpec),
      options({ concurrency: 1 }),
    );
    expect(fp(ok(asOther!).chain[0]!)).toBe(fp(otherLeaf.der));
    expect(ok(asOther!).nameMatches).toBe(true);
    expect(fp(ok(asLeaf!).chain[0]!)).toBe(fp(leaf.der));
    // An IP host sends no SNI (RFC 6066) and is matched against IP SANs: leaf.test has none.
    expect(fp(ok(noSni!).chain[0]!)).toBe(fp(leaf.der));
    expect(ok(noSni!).nameMatches).toBe(false);
    // The server finishes its side of the handshake a moment after the client does.
    await expect.poll(() => server.servernames).toEqual(['other.test', 'leaf.test', false]);
  });

  it('sends a DNS host name as SNI when no sni is given', async () => {
    const server = await track(startTlsServer({ identity: full }));
    // localhost resolves locally (hosts file) to loopback: no query leaves the machine.
    const obs = ok(await scanOne(`localhost:${server.port}`));
    await expect.poll(() => server.servernames).toEqual(['localhost']);
    expect(obs.nameMatches).toBe(false);
  });

  it('matches an IP address against the IP SANs', async () => {
    const server = await track(startTlsServer({ identity: { key: ipLeaf.keyPem, cert: ipLeaf.certPem + intermediate.certPem } }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port}`));
    expect(obs.nameMatches).toBe(true);
    expect(obs.trusted).toBe(true);
  });

  it('scans an IPv6 endpoint, without SNI unless asked', async () => {
    const server = await track(startTlsServer({ identity: full, host: '::1' }));
    const [named, bare] = await scanEndpoints([`[::1]:${server.port},sni=leaf.test`, `[::1]:${server.port}`].map(parseEndpointSpec), options({ concurrency: 1 }));
    expect(ok(named!).nameMatches).toBe(true);
    expect(fps(ok(bare!).chain)).toEqual(fps([leaf.der, intermediate.der]));
    expect(ok(bare!).nameMatches).toBe(false);
    await expect.poll(() => server.servernames).toEqual(['leaf.test', false]);
  });

  it('reports a name mismatch separately from trust', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=wrong.test`));
    expect(obs.nameMatches).toBe(false);
    expect(obs.trusted).toBe(true);
  });

  it('records the negotiated protocol: TLS 1.2 only, TLS 1.3, and a legacy TLS 1.0 server', async () => {
    const tls12 = await track(startTlsServer({ identity: full, maxVersion: 'TLSv1.2' }));
    const tls13 = await track(startTlsServer({ identity: full, minVersion: 'TLSv1.3' }));
    const tls10 = await track(startTlsServer({ identity: full, minVersion: 'TLSv1', maxVersion: 'TLSv1' }));
    const [a, b, c] = await scanEndpoints(
      [tls12, tls13, tls10].map((s) => parseEndpointSpec(`127.0.0.1:${s.port},sni=leaf.test`)),
      options(),
    );
    expect(ok(a!).protocol).toBe('TLSv1.2');
    expect(fps(ok(a!).chain)).toEqual(fps([leaf.der, intermediate.der]));
    expect(ok(b!).protocol).toBe('TLSv1.3');
    expect(ok(c!).protocol).toBe('TLSv1');
    expect(ok(c!).trusted).toBe(true);
  });
});

describe('STARTTLS', () => {
  const protocols = ['smtp', 'imap', 'pop3', 'ftp', 'postgres', 'ldap', 'xmpp'] as const;

  for (const protocol of protocols) {
    it(`${protocol}: upgrades and returns the served chain, with replies split over packets`, async () => {
      const server = await track(startStartTlsServer({ protocol, identity: full, chunked: true }));
      const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test,starttls=${protocol}`));
      expect(fps(obs.chain)).toEqual(fps([leaf.der, intermediate.der]));
      expect(obs.trusted).toBe(true);
      expect(obs.nameMatches).toBe(true);
      await expect.poll(() => server.secured).toBe(1);
    });
  }

  const refusals: Record<(typeof protocols)[number], RegExp> = {
    smtp: /^STARTTLS refused by the server: 454 4\.7\.0 TLS not available$/,
    imap: /^STARTTLS refused by the server: a1 BAD STARTTLS not available$/,
    pop3: /^STARTTLS refused by the server: -ERR STLS not available$/,
    ftp: /^STARTTLS refused by the server: 534 Request denied/,
    postgres: /^STARTTLS refused by the server: PostgreSQL answered 'N'/,
    ldap: /^STARTTLS refused by the server: LDAP result 2 \(protocolError\) StartTLS not supported$/,
    xmpp: /^STARTTLS refused by the server: the XMPP server answered <failure\/>$/,
  };
  for (const protocol of protocols) {
    it(`${protocol}: says so when the server refuses STARTTLS`, async () => {
      const server = await track(startStartTlsServer({ protocol, identity: full, mode: 'refuse' }));
      const error = failed(await scanOne(`127.0.0.1:${server.port},sni=leaf.test,starttls=${protocol}`));
      expect(error).toMatch(refusals[protocol]);
    });
  }

  it('smtp: says so when EHLO does not offer STARTTLS', async () => {
    const server = await track(startStartTlsServer({ protocol: 'smtp', identity: full, mode: 'not-offered' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`))).toMatch(/^STARTTLS not offered by the SMTP server/);
  });

  it('xmpp: says so when the stream features do not offer STARTTLS', async () => {
    const server = await track(startStartTlsServer({ protocol: 'xmpp', identity: full, mode: 'not-offered' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},sni=chat.test,starttls=xmpp`))).toMatch(/^STARTTLS not offered by the XMPP server/);
  });

  it('times out on a server that never greets, naming the step and hinting at implicit TLS', async () => {
    const server = await track(startSilentServer());
    const error = failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`, { handshakeTimeoutMs: 300 }));
    expect(error).toBe(
      'STARTTLS (smtp) timed out after 300ms waiting for the greeting (if this port speaks TLS from the first byte, leave starttls out)',
    );
  });

  it('times out on an implicit-TLS port scanned with starttls (the server waits for a ClientHello)', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const error = failed(await scanOne(`127.0.0.1:${server.port},starttls=imap`, { handshakeTimeoutMs: 300 }));
    expect(error).toMatch(/^STARTTLS \(imap\) timed out after 300ms waiting for the greeting/);
  });

  it('recognises a server that speaks another protocol', async () => {
    const server = await track(startPlainTextServer({ banner: 'SSH-2.0-OpenSSH_9.6\r\n' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`))).toBe("not an SMTP server: it answered 'SSH-2.0-OpenSSH_9.6'");
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=pop3`))).toBe("not a POP3 server: it answered 'SSH-2.0-OpenSSH_9.6'");
  });

  it('reports a server that hangs up mid-dialogue', async () => {
    const server = await track(startPlainTextServer({ banner: '220 mail.test ready\r\n', reply: '' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`))).toBe(
      'the server closed the connection while waiting for the reply to EHLO',
    );
  });

  it('reports a refused EHLO with the server reply', async () => {
    const server = await track(startPlainTextServer({ banner: '220 mail.test ready\r\n', reply: '421 4.3.2 shutting down\r\n' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`))).toBe('EHLO refused by the SMTP server: 421 4.3.2 shutting down');
  });

  it('gives up on a reply that never ends instead of buffering it all', async () => {
    const server = await track(startPlainTextServer({ banner: '220-still going\r\n'.repeat(2000) }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=smtp`))).toBe(
      'the server sent more than 16 KiB without completing the greeting',
    );
  });

  it('rejects data injected after the go-ahead (it would be lost in the handshake)', async () => {
    const server = await track(startPlainTextServer({ banner: '+OK ready\r\n', reply: '+OK go ahead\r\n+OK injected\r\n' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port},starttls=pop3`))).toBe(
      "the server sent unexpected data after agreeing to STARTTLS: '+OK injected'",
    );
  });
});

describe('failures', () => {
  it('a closed port: connection refused', async () => {
    const port = await closedPort();
    expect(failed(await scanOne(`127.0.0.1:${port}`))).toBe('connection refused (ECONNREFUSED)');
  });

  it('a server that accepts and says nothing: TLS handshake timed out', async () => {
    const server = await track(startSilentServer());
    const obs = await scanOne(`127.0.0.1:${server.port}`, { handshakeTimeoutMs: 300 });
    expect(failed(obs)).toBe('TLS handshake timed out after 300ms');
    expect(obs.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(obs.elapsedMs).toBeLessThan(2000);
  });

  it('a listener that never completes the TCP handshake: connection timed out', async () => {
    const listener = await startUnresponsiveListener();
    try {
      const obs = await scanOne(`127.0.0.1:${listener.port}`, { connectTimeoutMs: 300 });
      expect(failed(obs)).toBe('connection timed out after 300ms');
    } finally {
      await listener.close();
    }
  });

  it('a plain-text server on a TLS spec: no TLS', async () => {
    const http = await track(startPlainTextServer({ reply: 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n' }));
    const smtp = await track(startPlainTextServer({ banner: '220 mail.test ESMTP\r\n' }));
    const [a, b] = await scanEndpoints([http, smtp].map((s) => parseEndpointSpec(`127.0.0.1:${s.port}`)), options());
    expect(failed(a!)).toBe('no TLS: the server answered in plain text (ERR_SSL_WRONG_VERSION_NUMBER)');
    expect(failed(b!)).toBe('no TLS: the server answered in plain text (ERR_SSL_WRONG_VERSION_NUMBER)');
  });

  it('a server that hangs up during the handshake', async () => {
    const server = await track(startPlainTextServer({ reply: '' }));
    expect(failed(await scanOne(`127.0.0.1:${server.port}`))).toBe('the server closed the connection during the TLS handshake (ECONNRESET)');
  });

  it('maps lookup failures to words, keeping the code', () => {
    const err = Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.invalid'), { code: 'ENOTFOUND' });
    expect(describeSocketError(err, 'connect')).toBe('host not found (ENOTFOUND)');
    const odd = Object.assign(new Error('connect EWEIRD 1.2.3.4:5'), { code: 'EWEIRD' });
    expect(describeSocketError(odd, 'connect')).toBe('connect EWEIRD 1.2.3.4:5');
  });

  it('rejects an extra CA that is not a certificate', async () => {
    await expect(scanEndpoints([], options({ extraCa: [new TextEncoder().encode('not a cert')] }))).rejects.toThrow(/extra CA #1 is not a certificate/);
  });

  it('rejects a nonsense concurrency', async () => {
    await expect(scanEndpoints([], options({ concurrency: 0 }))).rejects.toThrow(/concurrency/);
  });
});

describe('scheduling', () => {
  it('honours the concurrency bound, keeps results in spec order and reports progress', async () => {
    const server = await track(startTlsServer({ identity: full, holdMs: 60 }));
    const refused = await closedPort();
    const specs = Array.from({ length: 12 }, (_, i) =>
      parseEndpointSpec(i % 4 === 3 ? `127.0.0.1:${refused}` : `127.0.0.1:${server.port},sni=leaf.test`),
    );
    const progress: Array<[number, number]> = [];
    const results = await scanEndpoints(specs, options({ concurrency: 3, onResult: (_obs, done, total) => progress.push([done, total]) }));
    expect(server.maxHeld).toBe(3);
    expect(results.map((r) => r.spec)).toEqual(specs);
    expect(results.map((r) => r.ok)).toEqual(specs.map((_, i) => i % 4 !== 3));
    expect(progress).toEqual(specs.map((_, i) => [i + 1, 12]));
  });

  it('leaves no sockets or timers behind, whatever happened', async () => {
    const good = await track(startTlsServer({ identity: full }));
    const silent = await track(startSilentServer());
    const plain = await track(startPlainTextServer({ banner: '220 hi\r\n' }));
    const smtp = await track(startStartTlsServer({ protocol: 'smtp', identity: full }));
    const refusing = await track(startStartTlsServer({ protocol: 'smtp', identity: full, mode: 'refuse' }));
    const refused = await closedPort();
    const count = (name: string): number => process.getActiveResourcesInfo().filter((r) => r === name).length;
    // Let sockets of earlier tests finish closing so the baseline holds still.
    await new Promise((r) => setTimeout(r, 200));
    const socketsBefore = count('TCPSocketWrap');
    const timersBefore = count('Timeout');
    const specs = [
      `127.0.0.1:${good.port}`,
      `127.0.0.1:${silent.port}`,
      `127.0.0.1:${silent.port},starttls=ftp`,
      `127.0.0.1:${plain.port}`,
      `127.0.0.1:${smtp.port},starttls=smtp`,
      `127.0.0.1:${refusing.port},starttls=smtp`,
      `127.0.0.1:${refused}`,
    ].map(parseEndpointSpec);
    const results = await scanEndpoints(specs, options({ handshakeTimeoutMs: 200 }));
    expect(results.map((r) => r.ok)).toEqual([true, false, false, false, true, false, false]);
    // Each server closes its side once it sees ours gone: all of them must get there.
    await expect.poll(() => [good, silent, plain, smtp, refusing].map((s) => s.open)).toEqual([0, 0, 0, 0, 0]);
    expect(count('TCPSocketWrap')).toBe(socketsBefore);
    expect(count('Timeout')).toBeLessThanOrEqual(timersBefore);
  });
});

describe('the DER we return', () => {
  it('is a parseable certificate whose bytes are exactly the served ones', async () => {
    const server = await track(startTlsServer({ identity: full }));
    const obs = ok(await scanOne(`127.0.0.1:${server.port},sni=leaf.test`));
    const cert = new X509Certificate(obs.chain[0]!);
    expect(cert.subject).toBe('CN=leaf.test');
    expect(Buffer.from(obs.chain[1]!).equals(Buffer.from(intermediate.der))).toBe(true);
  });
});
