/**
 * verifyServed against real TLS servers on loopback whose answer changes per connection: the cases
 * a graceful reload or a load balancer with one backend left behind produce.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpointSpec } from '../../src/inventory/sources/endpoint-spec.js';
import { verifyServed } from '../../src/renewal/verify.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { issue, type Issued } from '../helpers/pki.js';

let oldCert: Issued;
let newCert: Issued;
let newSerial: string;
const servers: Array<{ server: Server; sockets: Set<Socket> }> = [];

/** A TLS server whose certificate for the n-th connection (0-based) is `pick(n)`. */
async function serve(pick: (n: number) => Issued): Promise<{ port: number; connections: () => number }> {
  const contexts = new Map<Issued, SecureContext>();
  const contextOf = (id: Issued) => contexts.get(id) ?? contexts.set(id, createSecureContext({ key: id.keyPem, cert: id.certPem })).get(id)!;
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const tls = new TLSSocket(socket, { isServer: true, secureContext: contextOf(pick(n++)) });
    tls.on('error', () => tls.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push({ server, sockets });
  return { port: (server.address() as AddressInfo).port, connections: () => n };
}

const verify = (port: number, timeoutMs: number, confirmations?: number) =>
  verifyServed([parseEndpointSpec(`127.0.0.1:${port}`)], { expectedSerial: newSerial, timeoutMs, extraCa: [], pollMs: 50, ...(confirmations ? { confirmations } : {}) });

beforeAll(async () => {
  oldCert = await issue({ commonName: 'old.example.test', sans: ['old.example.test'] });
  newCert = await issue({ commonName: 'new.example.test', sans: ['new.example.test'] });
  newSerial = parseCertificate(newCert.der).info.serialNumber;
});

afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
});

describe('verifyServed', () => {
  it('confirms the new serial on three handshakes in a row', async () => {
    const server = await serve(() => newCert);
    const outcome = await verify(server.port, 3000);
    expect(outcome.ok).toBe(true);
    expect(outcome.results[0]!.detail).toMatch(/3 handshakes in a row/);
    expect(server.connections()).toBe(3);
  });

  it('waits out a reload: old certificate first, then the new one', async () => {
    const server = await serve((n) => (n < 4 ? oldCert : newCert));
    const outcome = await verify(server.port, 5000);
    expect(outcome.ok, outcome.results[0]!.detail).toBe(true);
    expect(server.connections()).toBe(7);
  });

  it('a backend left behind (old and new in turn) is a failure that says so', async () => {
    const server = await serve((n) => (n % 2 === 0 ? newCert : oldCert));
    const outcome = await verify(server.port, 1000);
    expect(outcome.ok).toBe(false);
    expect(outcome.results[0]!.detail).toMatch(/new serial .* on some handshakes and serial .* on others/);
    // With one confirmation the same server would have passed: that is the gap this closes.
    expect((await verify((await serve((n) => (n % 2 === 0 ? newCert : oldCert))).port, 1000, 1)).ok).toBe(true);
  });

  it('never the new certificate: says what is served instead', async () => {
    const server = await serve(() => oldCert);
    const outcome = await verify(server.port, 600);
    expect(outcome.ok).toBe(false);
    expect(outcome.results[0]!.detail).toMatch(new RegExp(`still serves serial [0-9a-f]+, expected ${newSerial}`));
  });
});
