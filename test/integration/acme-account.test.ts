/**
 * ACME accounts against a real Pebble: register, find again by key, contact update, key
 * rollover, deactivation, registering again after a Pebble restart (Pebble keeps nothing), and
 * External Account Binding on a Pebble that requires it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient, AcmeProblemError, createCsr, issueCertificate, type AcmeClientOptions } from '../../src/acme/index.js';
import { recordingLogger } from '../../src/logger.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startHttp01Responder, startPebble, type Http01Responder, type RunningPebble } from '../helpers/pebble.js';

const clients: AcmeClient[] = [];

function clientFor(pebble: RunningPebble, options: Partial<AcmeClientOptions> & { accountKeyPem: string }): AcmeClient {
  const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, ...options });
  clients.push(client);
  return client;
}

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});

describe('ACME accounts against Pebble', () => {
  let pebble: RunningPebble;
  beforeAll(async () => {
    pebble = await startPebble();
  });
  afterAll(async () => {
    await pebble?.stop();
  });

  it('registers an account, then finds the same one by its key', async () => {
    const key = await generatePrivateKey('ec-p256');
    const first = clientFor(pebble, { accountKeyPem: key });
    const created = await first.ensureAccount({ contact: ['ops@example.test'], termsAgreed: true });
    expect(created.created).toBe(true);
    expect(created.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(created.contact).toEqual(['mailto:ops@example.test']);

    // A second process with the same key and no stored URL recovers the account, not a new one.
    const again = clientFor(pebble, { accountKeyPem: key });
    const found = await again.ensureAccount({ contact: ['ops@example.test'], termsAgreed: true });
    expect(found.created).toBe(false);
    expect(found.url).toBe(created.url);
    expect((await again.accountInfo()).status).toBe('valid');
  });

  it('updates the contact when the configuration changed it', async () => {
    const key = await generatePrivateKey('ec-p256');
    await clientFor(pebble, { accountKeyPem: key }).ensureAccount({ contact: ['old@example.test'], termsAgreed: true });
    const client = clientFor(pebble, { accountKeyPem: key });
    const info = await client.ensureAccount({ contact: ['new@example.test'], termsAgreed: true });
    expect(info.contact).toEqual(['mailto:new@example.test']);
    expect((await client.accountInfo()).contact).toEqual(['mailto:new@example.test']);
  });

  it('rolls the account key over: the new key finds the account, the old one no longer does', async () => {
    const oldKey = await generatePrivateKey('ec-p256');
    const newKey = await generatePrivateKey('ec-p384');
    const client = clientFor(pebble, { accountKeyPem: oldKey });
    const account = await client.ensureAccount({ termsAgreed: true });
    const thumbprintBefore = client.accountKeyThumbprint;
    await client.rolloverKey(newKey);
    expect(client.accountKeyThumbprint).not.toBe(thumbprintBefore);
    expect((await client.accountInfo()).url).toBe(account.url);

    const withNewKey = clientFor(pebble, { accountKeyPem: newKey });
    expect((await withNewKey.ensureAccount({ termsAgreed: true })).url).toBe(account.url);
    const withOldKey = clientFor(pebble, { accountKeyPem: oldKey });
    const reRegistered = await withOldKey.ensureAccount({ termsAgreed: true });
    expect(reRegistered.created).toBe(true);
    expect(reRegistered.url).not.toBe(account.url);
  });

  it('deactivates an account, after which the CA refuses it', async () => {
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256') });
    await client.ensureAccount({ termsAgreed: true });
    expect((await client.deactivateAccount()).status).toBe('deactivated');
    const err = await client.order({ identifiers: ['after-deactivation.test'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect((err as AcmeProblemError).type).toBe('unauthorized');
    expect((err as AcmeProblemError).status).toBe(403);
  });

  it('says what is missing when no account was registered first', async () => {
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256') });
    await expect(client.order({ identifiers: ['x.test'] })).rejects.toThrow(/ensureAccount\(\)/);
  });
});

describe('ACME accounts when Pebble restarts (it keeps no state)', () => {
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

  it('registers again when the CA has forgotten the account', async () => {
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256') });
    const before = await client.ensureAccount({ termsAgreed: true });
    await pebble.restart();
    const after = await client.ensureAccount({ termsAgreed: true });
    expect(after.created).toBe(true);
    expect(after.url).not.toBe(before.url);
  });

  it('registers again in the middle of a run, then orders', async () => {
    const logger = recordingLogger();
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256'), logger });
    const before = await client.ensureAccount({ termsAgreed: true });
    await pebble.restart();
    const names = ['after-restart.test'];
    const issued = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': responder } });
    expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
    expect(client.accountUrl).not.toBe(before.url);
    expect(logger.lines.some((l) => l.level === 'warn' && /forgotten/.test(l.message))).toBe(true);
  });
});

describe('External Account Binding against a Pebble that requires it', () => {
  const kid = 'certfleet-kid-1';
  // A throwaway HMAC key made here (base64url, 48 bytes), like the ones CAs hand out.
  const hmacKey = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37 + 11) & 0xff)).toString('base64url');
  let pebble: RunningPebble;
  beforeAll(async () => {
    pebble = await startPebble({ externalAccountMACKeys: { [kid]: hmacKey } });
  });
  afterAll(async () => {
    await pebble?.stop();
  });

  it('announces the requirement in the directory', async () => {
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256') });
    expect((await client.directoryMeta()).externalAccountRequired).toBe(true);
  });

  it('fails with externalAccountRequired and a hint without EAB', async () => {
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256') });
    const err = await client.ensureAccount({ termsAgreed: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect((err as AcmeProblemError).type).toBe('externalAccountRequired');
    expect((err as AcmeProblemError).hint).toMatch(/eab/);
  });

  it('fails with a wrong HMAC key, and the key is never in the message or the log', async () => {
    const logger = recordingLogger();
    const wrongKey = Buffer.alloc(48, 7).toString('base64url');
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256'), logger });
    const err = await client.ensureAccount({ termsAgreed: true, eab: { kid, hmacKey: wrongKey } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect((err as AcmeProblemError).type).toBe('unauthorized');
    expect((err as AcmeProblemError).hint).toMatch(/EAB kid and HMAC key/);
    const everything = `${(err as Error).message} ${(err as AcmeProblemError).hint ?? ''} ${JSON.stringify(logger.lines)}`;
    expect(everything).not.toContain(wrongKey);
  });

  it('registers with the right kid and HMAC key', async () => {
    const logger = recordingLogger();
    const client = clientFor(pebble, { accountKeyPem: await generatePrivateKey('ec-p256'), logger });
    const account = await client.ensureAccount({ termsAgreed: true, eab: { kid, hmacKey } });
    expect(account.created).toBe(true);
    expect(JSON.stringify(logger.lines)).not.toContain(hmacKey);
  });
});
