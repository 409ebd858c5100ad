/**
 * CSRs for finalization, checked by openssl (an independent parser): the signature verifies,
 * every identifier is in the SAN (DNS and IP), the CN is the first DNS name, all key types work.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCsr } from '../../../src/acme/csr.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';

const run = promisify(execFile);

async function openssl(der: Uint8Array): Promise<string> {
  const child = run('openssl', ['req', '-inform', 'DER', '-noout', '-text', '-verify']);
  child.child.stdin!.end(Buffer.from(der));
  const { stdout, stderr } = await child;
  return `${stdout}\n${stderr}`;
}

describe('createCsr', () => {
  for (const keyType of ['ec-p256', 'ec-p384', 'rsa-2048'] as const) {
    it(`makes a request openssl verifies, with a ${keyType} key`, async () => {
      const der = await createCsr(['www.example.test', 'example.test', '192.0.2.10'], await generatePrivateKey(keyType));
      const text = await openssl(der);
      expect(text).toMatch(/verify OK|Certificate request self-signature verify OK/);
      expect(text).toMatch(/Subject: CN ?= ?www\.example\.test\n/);
      expect(text).toContain('DNS:www.example.test, DNS:example.test, IP Address:192.0.2.10');
    });
  }

  it('leaves the CN out when no DNS name fits in 64 characters', async () => {
    const long = `${'a'.repeat(60)}.example.test`;
    const text = await openssl(await createCsr([long], await generatePrivateKey('ec-p256')));
    expect(text).not.toMatch(/CN ?=/);
    expect(text).toContain(`DNS:${long}`);
  });

  it('refuses no identifiers and unusable keys', async () => {
    await expect(createCsr([], await generatePrivateKey('ec-p256'))).rejects.toThrow(/at least one identifier/);
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(createCsr(['x.test'], ed)).rejects.toThrow(/not supported/);
  });
});
