/**
 * badNonce (RFC 8555 6.5) is retried for every signed request the client sends -- account,
 * order, authorization, challenge, polling, finalize, certificate download, revocation, key
 * change -- the same number of times, with the nonce of the rejection or a fresh one. A fake CA
 * rejects each request a fixed number of times in a row, so nothing here depends on chance.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AcmeClient, AcmeProblemError, createCsr, issueCertificate } from '../../../src/acme/index.js';
import type { ChallengeSolver } from '../../../src/challenges/types.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { startFakeAcme, type FakeAcme, type SignedRequest } from '../../helpers/fake-acme.js';
import { issue } from '../../helpers/pki.js';

const noopSolver: ChallengeSolver = { type: 'http-01', present: async () => undefined, cleanup: async () => undefined };

/** Rejects `times` attempts in a row, accepts one, and again (the client sends one request at a time here). */
function rejectInARow(times: number): (request: SignedRequest) => boolean {
  let streak = 0;
  return () => {
    if (streak < times) {
      streak++;
      return true;
    }
    streak = 0;
    return false;
  };
}

let ca: FakeAcme | undefined;
let client: AcmeClient | undefined;
afterEach(async () => {
  client?.close();
  await ca?.close();
  client = ca = undefined;
});

async function everyKindOfRequest(acme: AcmeClient): Promise<void> {
  await acme.ensureAccount({ termsAgreed: true });
  await acme.accountInfo();
  const names = ['a.test'];
  const issued = await issueCertificate(acme, { identifiers: names, csrDer: await createCsr(names, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': noopSolver } });
  expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
  await acme.revoke((await issue({ commonName: 'r.test', days: 1 })).certPem);
  await acme.rolloverKey(await generatePrivateKey('ec-p256'));
  await acme.deactivateAccount();
}

describe('badNonce retries', () => {
  it('retries every kind of signed request 30 times by default', async () => {
    ca = await startFakeAcme({ rejectNonce: rejectInARow(30), authorizationStatus: 'pending' });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await everyKindOfRequest(client);

    // Each answered request came after exactly 30 rejections of it.
    const answered = ca.requests.filter((r) => !r.badNonce);
    expect(ca.requests.length).toBe(answered.length * 31);
    let streak = 0;
    for (const request of ca.requests) {
      if (request.badNonce) streak++;
      else {
        expect(streak, `${request.path}`).toBe(30);
        streak = 0;
      }
    }
    const kinds = new Set(answered.map((r) => (r.postAsGet ? `${r.kind} (POST-as-GET)` : r.kind)));
    expect([...kinds].sort()).toEqual([
      'acct', 'acct (POST-as-GET)', 'authz (POST-as-GET)', 'cert (POST-as-GET)', 'chall', 'finalize', 'key-change',
      'new-account', 'new-order', 'order (POST-as-GET)', 'revoke',
    ]);
    expect(client.stats().badNonces).toBe(ca.requests.length - answered.length);
  });

  it('gives up after the configured count with the CA\'s badNonce problem, naming the request', async () => {
    ca = await startFakeAcme({ rejectNonce: rejectInARow(31) });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    const err = await client.ensureAccount({ termsAgreed: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeProblemError);
    expect((err as AcmeProblemError).type).toBe('badNonce');
    expect((err as AcmeProblemError).message).toMatch(/looking up the account/);
    expect(ca.requests).toHaveLength(31);

    await ca.close();
    ca = await startFakeAcme({ rejectNonce: rejectInARow(3) });
    client.close();
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256'), badNonceRetries: 2 });
    await expect(client.ensureAccount({ termsAgreed: true })).rejects.toThrow(/badNonce/);
    expect(ca.requests).toHaveLength(3);
  });

  it('fetches a fresh nonce when the badNonce answer carries none', async () => {
    ca = await startFakeAcme({ rejectNonce: rejectInARow(3), badNonceWithoutNonce: true, authorizationStatus: 'pending' });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await everyKindOfRequest(client);
    expect(ca.requests.filter((r) => r.badNonce).length).toBe(3 * ca.requests.filter((r) => !r.badNonce).length);
  });
});
