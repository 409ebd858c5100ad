/**
 * Issuance against a real Pebble: an order for two names solved with http-01 (a tiny responder
 * on Pebble's httpPort), a wildcard through dns-01 (challtestsrv TXT records), the chain, a
 * failed validation, revocation by account key and by certificate key, profiles and ARI on a CA
 * without them, and how long one issuance takes.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcmeClient,
  AcmeProfileError,
  AcmeValidationError,
  certificateIdentifier,
  createCsr,
  issueCertificate,
  type AcmeClientOptions,
} from '../../src/acme/index.js';
import type { ChallengeSolver, ChallengeTask } from '../../src/challenges/types.js';
import { recordingLogger } from '../../src/logger.js';
import { findPemBlocks } from '../../src/x509/pem.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startHttp01Responder, startPebble, type Http01Responder, type RunningPebble } from '../helpers/pebble.js';

function pemCertificates(pem: string): X509Certificate[] {
  return findPemBlocks(pem).filter((b) => b.type === 'CERTIFICATE').map((b) => new X509Certificate(b.der));
}

describe('ACME issuance against Pebble', () => {
  let pebble: RunningPebble;
  let responder: Http01Responder;
  let client: AcmeClient;
  const logger = recordingLogger();

  const clientOptions = async (): Promise<AcmeClientOptions> => ({
    directoryUrl: pebble.directoryUrl,
    caBundlePem: pebble.caBundle,
    accountKeyPem: await generatePrivateKey('ec-p256'),
    logger,
  });

  beforeAll(async () => {
    pebble = await startPebble();
    responder = await startHttp01Responder(pebble.httpPort);
    client = new AcmeClient(await clientOptions());
    await client.ensureAccount({ contact: ['ops@example.test'], termsAgreed: true });
  });
  afterAll(async () => {
    client?.close();
    await responder?.close();
    await pebble?.stop();
  });

  it('issues a certificate for two names with http-01, step by step', async () => {
    const names = ['www.two.test', 'two.test'];
    const order = await client.order({ identifiers: names });
    expect(order.status).toBe('pending');
    expect(order.identifiers.sort()).toEqual([...names].sort());
    expect(order.authorizations.map((a) => a.identifier).sort()).toEqual([...names].sort());

    const hitsBefore = responder.hits;
    for (const authz of order.authorizations) {
      const challenge = authz.challenges.find((c) => c.type === 'http-01')!;
      expect(challenge.task.domain).toBe(authz.identifier);
      expect(challenge.task.keyAuthorization).toBe(`${challenge.task.token}.${client.accountKeyThumbprint}`);
      await responder.present(challenge.task);
      expect((await client.answer(challenge.url)).status).toMatch(/pending|processing|valid/);
    }
    for (const authz of order.authorizations) {
      expect((await client.waitForAuthorization(authz.url)).status).toBe('valid');
    }
    // Pebble validates each challenge from three perspectives: the responder really answered.
    expect(responder.hits - hitsBefore).toBeGreaterThanOrEqual(names.length);

    const ready = await client.waitForOrder(order.url);
    expect(ready.status).toBe('ready');
    const keyPem = await generatePrivateKey('ec-p256');
    const finalized = await client.finalize(ready, await createCsr(names, keyPem));
    const valid = await client.waitForOrder(order.url, { first: finalized });
    expect(valid.status).toBe('valid');

    const chainPem = await client.downloadCertificate(valid);
    const [leaf, intermediate, ...rest] = pemCertificates(chainPem);
    expect(rest).toEqual([]);
    expect(leaf!.subjectAltName).toBe('DNS:www.two.test, DNS:two.test');
    expect(leaf!.checkPrivateKey((await import('node:crypto')).createPrivateKey(keyPem))).toBe(true);
    expect(leaf!.checkIssued(intermediate!)).toBe(true);
    expect(intermediate!.raw.equals(pemCertificates(await pebble.intermediatesPem())[0]!.raw)).toBe(true);
    // certificateValidityPeriod 45 days: the lifetimes certfleet plans around.
    const lifetimeDays = (Date.parse(leaf!.validTo) - Date.parse(leaf!.validFrom)) / 86_400_000;
    expect(Math.round(lifetimeDays)).toBe(45);
  });

  it('issues a wildcard with dns-01 through challtestsrv TXT records', async () => {
    const dnsSolver: ChallengeSolver = {
      type: 'dns-01',
      present: (task: ChallengeTask) => pebble.setTxt(`_acme-challenge.${task.domain}`, task.dnsTxtValue),
      cleanup: (task: ChallengeTask) => pebble.clearTxt(`_acme-challenge.${task.domain}`),
    };
    const names = ['*.wild.test'];
    const keyPem = await generatePrivateKey('ec-p384');
    const issued = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, keyPem) }, { solvers: { 'dns-01': dnsSolver } });
    const [leaf] = pemCertificates(issued.certificatePem);
    expect(leaf!.subjectAltName).toBe('DNS:*.wild.test');
  });

  it('reports a failed validation with the CA\'s reason', async () => {
    const silent: ChallengeSolver = { type: 'http-01', present: async () => {}, cleanup: async () => {} };
    const names = ['nobody-answers.test'];
    const started = Date.now();
    const err = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': silent } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeValidationError);
    const failure = err as AcmeValidationError;
    expect(failure.identifier).toBe('nobody-answers.test');
    expect(failure.challengeType).toBe('http-01');
    expect(failure.problem?.type).toMatch(/unauthorized|connection/);
    expect(failure.message).toContain('404');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('revokes with the account key and with the certificate key', async () => {
    const issueOne = async (name: string) => {
      const keyPem = await generatePrivateKey('ec-p256');
      const issued = await issueCertificate(client, { identifiers: [name], csrDer: await createCsr([name], keyPem) }, { solvers: { 'http-01': responder } });
      return { keyPem, pem: issued.certificatePem, serial: pemCertificates(issued.certificatePem)[0]!.serialNumber.toLowerCase() };
    };
    const byAccount = await issueOne('revoke-account.test');
    const byKey = await issueOne('revoke-key.test');
    expect((await pebble.certStatus(byAccount.serial))?.Status).toBe('Valid');

    await client.revoke(byAccount.pem, { reason: 'superseded' });
    const accountStatus = await pebble.certStatus(byAccount.serial);
    expect(accountStatus?.Status).toBe('Revoked');
    expect(accountStatus?.Reason).toBe(4);

    // Another account, no rights over the certificate: only the certificate's key can revoke it.
    const stranger = new AcmeClient(await clientOptions());
    try {
      await expect(stranger.revoke(byKey.pem, { withKey: await generatePrivateKey('ec-p256') })).rejects.toThrow(/not the certificate's key/);
      await stranger.revoke(byKey.pem, { reason: 'keyCompromise', withKey: byKey.keyPem });
    } finally {
      stranger.close();
    }
    const keyStatus = await pebble.certStatus(byKey.serial);
    expect(keyStatus?.Status).toBe('Revoked');
    expect(keyStatus?.Reason).toBe(1);
  });

  it('refuses a profile on a CA that offers none, before ordering', async () => {
    const err = await client.order({ identifiers: ['profile.test'], profile: 'shortlived' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProfileError);
    expect((err as AcmeProfileError).available).toEqual([]);
    expect((err as Error).message).toMatch(/offers no profiles/);
    expect((await client.directoryMeta()).profiles).toBeUndefined();
  });

  it('has no renewal information on Pebble 2.4, and orders with `replaces` all the same', async () => {
    const names = ['ari.test'];
    const first = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
    expect((await client.directoryMeta()).renewalInfo).toBe(false);
    expect(await client.renewalInfo(first.certificatePem)).toBeUndefined();
    const replaces = certificateIdentifier(findPemBlocks(first.certificatePem)[0]!.der);
    const second = await issueCertificate(client, { identifiers: names, replaces, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
    expect(second.certificatePem).toContain('BEGIN CERTIFICATE');
  });

  it('issues one certificate in well under a second (measured)', async () => {
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const names = [`speed-${i}.test`];
      const csrDer = await createCsr(names, await generatePrivateKey('ec-p256'));
      const issued = await issueCertificate(client, { identifiers: names, csrDer }, { solvers: { 'http-01': responder } });
      times.push(issued.elapsedMs);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    logger.info('issuance timing', { medianMs: Math.round(median), minMs: Math.round(times[0]!), maxMs: Math.round(times[times.length - 1]!) });
    process.stderr.write(`acme issuance against local Pebble: median ${median.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (n=${times.length})\n`);
    expect(median).toBeLessThan(1000);
    // Keep-alive and the nonce pool: ~8 signed requests per issuance over a handful of connections,
    // with (almost) no HEAD /new-nonce round trips.
    const stats = client.stats();
    expect(stats.pooledNonces).toBeGreaterThan(50);
    expect(stats.connections).toBeLessThan(10);
    expect(stats.requests).toBeGreaterThan(100);
  });

  it('never logs key material', () => {
    const text = JSON.stringify(logger.lines);
    expect(text).not.toMatch(/PRIVATE KEY/);
  });
});
