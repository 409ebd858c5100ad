/**
 * The ACME transport over real loopback servers: bodies parsed by content type, the nonce pool
 * (fresh nonces kept, HEAD and badNonce ones not), one retry when a kept-alive connection turns
 * out to be closed, and no retry otherwise.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeTransportError } from '../../../src/acme/errors.js';
import { AcmeTransport } from '../../../src/acme/transport.js';
import { silentLogger } from '../../../src/logger.js';

async function listen(server: Server | HttpServer): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const transport = () => new AcmeTransport({ requestTimeoutMs: 2000, userAgent: 'certfleet-test', logger: silentLogger });

describe('AcmeTransport', () => {
  let nonceCounter = 0;
  const seen: Array<{ method: string; contentType: string | undefined; userAgent: string | undefined; body: string }> = [];
  const acme = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, contentType: req.headers['content-type'], userAgent: req.headers['user-agent'], body: Buffer.concat(chunks).toString() });
      const nonce = `nonce-${++nonceCounter}`;
      if (req.url === '/problem') {
        res.writeHead(400, { 'Content-Type': 'application/problem+json', 'Replay-Nonce': nonce }).end(JSON.stringify({ type: 'urn:ietf:params:acme:error:badNonce', detail: 'stale' }));
      } else if (req.url === '/pem') {
        res.writeHead(200, { 'Content-Type': 'application/pem-certificate-chain', 'Replay-Nonce': nonce }).end('-----BEGIN CERTIFICATE-----\n');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Replay-Nonce': nonce }).end(JSON.stringify({ ok: req.url }));
      }
    });
  });
  let acmePort = 0;

  // Answers the first request on each connection (keep-alive), resets the connection on the second.
  const sockets = new Set<Socket>();
  let connections = 0;
  const flaky = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let requests = 0;
    socket.on('error', () => {});
    socket.on('data', () => {
      requests++;
      if (requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}');
      else socket.resetAndDestroy();
    });
  });
  let flakyPort = 0;

  beforeAll(async () => {
    acmePort = await listen(acme);
    flakyPort = await listen(flaky);
  });
  afterAll(() => {
    acme.closeAllConnections();
    acme.close();
    for (const s of sockets) s.destroy();
    flaky.close();
  });

  it('parses JSON bodies, keeps PEM as text, sends JOSE bodies with a User-Agent', async () => {
    const t = transport();
    const json = await t.request(`http://127.0.0.1:${acmePort}/thing`, 'post', { protected: 'p', payload: '', signature: 's' });
    expect(json.data).toEqual({ ok: '/thing' });
    const pem = await t.request(`http://127.0.0.1:${acmePort}/pem`, 'post', { protected: 'p', payload: '', signature: 's' });
    expect(pem.data).toBe('-----BEGIN CERTIFICATE-----\n');
    const last = seen[seen.length - 1]!;
    expect(last).toMatchObject({ method: 'POST', contentType: 'application/jose+json', userAgent: 'certfleet-test' });
    expect(JSON.parse(last.body)).toEqual({ protected: 'p', payload: '', signature: 's' });
    t.close();
  });

  it('pools nonces from answers, but not from HEAD or badNonce answers', async () => {
    const t = transport();
    const base = `http://127.0.0.1:${acmePort}`;
    await t.request(`${base}/new-nonce`, 'head');
    expect(t.takeNonce()).toBeUndefined();
    await t.request(`${base}/a`, 'post', {});
    const fresh = `nonce-${nonceCounter}`;
    await t.request(`${base}/problem`, 'post', {});
    expect(t.stats().badNonces).toBe(1);
    expect(t.takeNonce()).toBe(fresh);
    expect(t.takeNonce()).toBeUndefined();
    expect(t.stats().pooledNonces).toBe(1);
    t.close();
  });

  it('sends a request once more when a kept-alive connection was closed under it', async () => {
    const t = transport();
    const before = connections;
    await t.request(`http://127.0.0.1:${flakyPort}/one`, 'get');
    const second = await t.request(`http://127.0.0.1:${flakyPort}/two`, 'get');
    expect(second.status).toBe(200);
    expect(t.stats().staleConnectionRetries).toBe(1);
    expect(connections - before).toBe(2);
    t.close();
  });

  it('does not retry a reset on a fresh connection', async () => {
    const reset = createServer((socket) => socket.resetAndDestroy());
    const port = await listen(reset);
    const t = transport();
    const err = await t.request(`http://127.0.0.1:${port}/`, 'get').catch((e: unknown) => e);
    t.close();
    reset.close();
    expect(err).toBeInstanceOf(AcmeTransportError);
    expect((err as AcmeTransportError).causeCode).toBe('ECONNRESET');
    expect(t.stats().staleConnectionRetries).toBe(0);
  });
});
