/**
 * A caller that gave up on an order (a runner whose lease another runner took over) must not have
 * it finalized: the certificate would be one it cannot store, its key thrown away, and a CA
 * rate-limit unit spent for nothing. The last check is right before finalize, after every wait.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AcmeClient, createCsr, issueCertificate } from '../../../src/acme/index.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { startFakeAcme, type FakeAcme } from '../../helpers/fake-acme.js';

let ca: FakeAcme | undefined;
let client: AcmeClient | undefined;
afterEach(async () => {
  client?.close();
  await ca?.close();
  client = ca = undefined;
});

describe('issueCertificate with an aborted signal', () => {
  it('does not finalize an order whose caller gave up, and throws the reason it gave', async () => {
    // Authorizations already valid (reused): nothing to present or wait for before finalize.
    ca = await startFakeAcme({ authorizationStatus: 'valid' });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await client.ensureAccount({ termsAgreed: true });
    const gaveUp = new AbortController();
    const reason = new Error('this runner lost its lease');
    gaveUp.abort(reason);
    const identifiers = ['www.test'];
    const err = await issueCertificate(client, { identifiers, csrDer: await createCsr(identifiers, await generatePrivateKey('ec-p256')) }, { solvers: {}, signal: gaveUp.signal }).catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(ca.requests.filter((r) => r.kind === 'finalize')).toEqual([]);
  });
});
