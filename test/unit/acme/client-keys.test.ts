/** An unusable account key fails at construction, before any request, without quoting the key. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AcmeClient } from '../../../src/acme/client.js';
import { AcmeError } from '../../../src/acme/errors.js';

// Never contacted: construction does no I/O.
const directoryUrl = 'https://127.0.0.1:9/dir';

describe('AcmeClient account keys', () => {
  it('refuses text that is not a private key, without echoing it', () => {
    const notAKey = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n';
    let err: unknown;
    try {
      new AcmeClient({ directoryUrl, accountKeyPem: notAKey });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as Error).message).toMatch(/cannot be read/);
    expect((err as Error).message).not.toContain('bm90IGEga2V5');
  });

  it('refuses an Ed25519 key, which ACME CAs do not accept for accounts', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(() => new AcmeClient({ directoryUrl, accountKeyPem: ed })).toThrow(/must be EC or RSA/);
  });

  it('takes EC and RSA keys and exposes the RFC 7638 thumbprint', () => {
    for (const key of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
    ]) {
      const client = new AcmeClient({ directoryUrl, accountKeyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string });
      expect(client.accountKeyThumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(client.accountUrl).toBeUndefined();
      client.close();
    }
  });
});
