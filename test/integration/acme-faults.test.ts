/**
 * When the CA misbehaves, the error says so within seconds and names the real cause: Pebble
 * stopped in the middle of an order (ECONNREFUSED), a server that never answers (our deadline),
 * an HTTPS certificate nobody trusts (hint: caBundle), a URL that is not an ACME directory, and
 * Pebble rejecting half of all nonces (badNonce retried, issuance still succeeds).
 */
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient, AcmeError, AcmeProblemError, AcmeTransportError, createCsr, issueCertificate } from '../../src/acme/index.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startHttp01Responder, startPebble, type Http01Responder, type RunningPebble } from '../helpers/pebble.js';

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function expectRealCause(err: unknown, code: string): void {
  expect(err).toBeInstanceOf(AcmeTransportError);
  const transport = err as AcmeTransportError;
  expect(transport.causeCode).toBe(code);
  expect(transport.message).toContain(code);
  expect(transport.message).not.toMatch(/reading 'config'/);
  expect((transport.cause as { code?: string }).code).toBe(code);
}

describe('the CA stopped in the middle of an order', () => {
  let pebble: RunningPebble;
  let responder: Http01Responder;
  beforeAll(async () => {
    pebble = await startPebble();
    responder = await startHttp01Responder(pebble.httpPort);
  });
  afterAll(async () => {
    await responder?.close();
    await pebble?.stop();
  });

  it('fails with ECONNREFUSED within seconds, then works again once the CA is back', async () => {
    const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, accountKeyPem: await generatePrivateKey('ec-p256') });
    try {
      await client.ensureAccount({ termsAgreed: true });
      const order = await client.order({ identifiers: ['stopped.test'] });
      const challenge = order.authorizations[0]!.challenges.find((c) => c.type === 'http-01')!;
      await responder.present(challenge.task);

      await pebble.stopCa();
      const started = Date.now();
      const err = await client.answer(challenge.url).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3000);
      expectRealCause(err, 'ECONNREFUSED');
      expect((err as AcmeTransportError).hint).toMatch(/running/);
      expect((err as AcmeTransportError).exitCode).toBe(1);

      // The next run: Pebble is back (knowing nothing), the same client registers again and issues.
      await pebble.restart();
      const names = ['back.test'];
      const issued = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
      expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
    } finally {
      client.close();
    }
  });
});

describe('transport failures name their cause', () => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    // Accepts and never answers: only our deadline ends the request.
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const notAcme = createHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>hello</html>');
  });
  let silentPort = 0;
  let notAcmePort = 0;
  let pebble: RunningPebble;
  beforeAll(async () => {
    silentPort = await listen(silent);
    notAcmePort = await listen(notAcme as unknown as Server);
    pebble = await startPebble();
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    silent.close();
    notAcme.closeAllConnections();
    notAcme.close();
    await pebble?.stop();
  });

  it('a closed port: ECONNREFUSED at once', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new AcmeClient({ directoryUrl: `https://127.0.0.1:${port}/dir`, accountKeyPem: await generatePrivateKey('ec-p256') });
    const started = Date.now();
    const err = await client.directoryMeta().catch((e: unknown) => e);
    client.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expectRealCause(err, 'ECONNREFUSED');
  });

  it('a server that never answers: our deadline, not minutes of retries', async () => {
    const client = new AcmeClient({ directoryUrl: `https://127.0.0.1:${silentPort}/dir`, accountKeyPem: await generatePrivateKey('ec-p256'), requestTimeoutMs: 300 });
    const started = Date.now();
    const err = await client.directoryMeta().catch((e: unknown) => e);
    client.close();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expectRealCause(err, 'ETIMEDOUT');
  });

  it('an untrusted HTTPS certificate: the TLS reason and a hint about caBundle', async () => {
    const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    const err = await client.directoryMeta().catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(AcmeTransportError);
    expect((err as AcmeTransportError).causeCode).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    expect((err as AcmeTransportError).hint).toMatch(/caBundle/);
  });

  it('a URL that is not an ACME directory', async () => {
    const client = new AcmeClient({ directoryUrl: `http://127.0.0.1:${notAcmePort}/`, accountKeyPem: await generatePrivateKey('ec-p256') });
    const err = await client.directoryMeta().catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as AcmeError).message).toMatch(/is not an ACME directory/);
  });
});

describe('badNonce: Pebble rejecting half of all good nonces', () => {
  let pebble: RunningPebble;
  let responder: Http01Responder;
  beforeAll(async () => {
    pebble = await startPebble({ nonceRejectPercent: 50 });
    responder = await startHttp01Responder(pebble.httpPort);
  });
  afterAll(async () => {
    await responder?.close();
    await pebble?.stop();
  });

  it('retries with the fresh nonce and issues anyway', async () => {
    // At 50% a request fails only after retries+1 rejections in a row: 2^-31 with the default 30
    // retries; these three orders send a few dozen signed requests, so a failure here means the retry is
    // broken, not bad luck (acme-bad-nonce.test.ts has the arithmetic).
    const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, accountKeyPem: await generatePrivateKey('ec-p256') });
    try {
      await client.ensureAccount({ termsAgreed: true });
      for (let i = 0; i < 3; i++) {
        const names = [`nonce-${i}.test`, `www.nonce-${i}.test`];
        const issued = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
        expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
      }
      // ~40 signed requests at 50%: no badNonce at all would mean the setting did not take.
      expect(client.stats().badNonces).toBeGreaterThan(5);
    } finally {
      client.close();
    }
  });

  it('without retries the same run fails with badNonce: the retry is what carries it', async () => {
    const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, accountKeyPem: await generatePrivateKey('ec-p256'), badNonceRetries: 0 });
    try {
      // Chance that ~20 signed requests all get through at 50%: about one in a million.
      const err = await (async () => {
        await client.ensureAccount({ termsAgreed: true });
        for (let i = 0; i < 3; i++) {
          const names = [`no-retry-${i}.test`];
          await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
        }
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AcmeProblemError);
      expect((err as AcmeProblemError).type).toBe('badNonce');
    } finally {
      client.close();
    }
  });
});
