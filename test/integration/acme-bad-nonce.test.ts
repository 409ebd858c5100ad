/**
 * Pebble rejecting half of all good nonces (PEBBLE_WFE_NONCEREJECT=50): 60 issuances, a few at a
 * time, all succeed with the default badNonce retries.
 *
 * The arithmetic. Each attempt is rejected independently with p = 1/2 (measured here: 49.9% of
 * 26,696 attempts), so a signed request fails only after retries+1 rejections in a row: p^(r+1).
 * An issuance sends ~9 signed requests (measured: 13,389 over 1,500 issuances), 60 send ~540.
 * With the old default of 10 retries that is 540 x 2^-11 = 0.26 failed requests per run (a run
 * failed 23% of the time; "2 of 60" was bad luck, not a request left unretried: every failure
 * seen had been sent 11 times). With the default of 30: 540 x 2^-31 = 2.5e-7 per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient, createCsr, issueCertificate } from '../../src/acme/index.js';
import { mapConcurrently } from '../../src/concurrency.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { startHttp01Responder, startPebble, type Http01Responder, type RunningPebble } from '../helpers/pebble.js';

describe('badNonce at 50%: 60 issuances with the default retries', () => {
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

  it('issues every one', async () => {
    const client = new AcmeClient({ directoryUrl: pebble.directoryUrl, caBundlePem: pebble.caBundle, accountKeyPem: await generatePrivateKey('ec-p256') });
    try {
      await client.ensureAccount({ termsAgreed: true });
      const certificateKey = await generatePrivateKey('ec-p256');
      const failures: string[] = [];
      await mapConcurrently(Array.from({ length: 60 }, (_, i) => i), 4, async (i) => {
        const names = [`nonce-${i}.test`];
        try {
          const issued = await issueCertificate(client, { identifiers: names, csrDer: await createCsr(names, certificateKey) }, { solvers: { 'http-01': responder } });
          if (!issued.certificatePem.includes('BEGIN CERTIFICATE')) failures.push(`${i}: no certificate`);
        } catch (err) {
          failures.push(`${i}: ${(err as Error).message}`);
        }
      });
      expect(failures).toEqual([]);
      // Half of ~1,000 attempts: the rejection really was on (a far lower count would mean it was not).
      expect(client.stats().badNonces).toBeGreaterThan(250);
    } finally {
      client.close();
    }
  }, 60_000);
});
