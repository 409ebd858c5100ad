/** The RFC 8737 challenge certificate, read back with node:crypto and @peculiar/x509. */
import 'reflect-metadata';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { ACME_IDENTIFIER_OID, acmeIdentifierValue, createTlsAlpnCertificate } from '../../../src/x509/tls-alpn-certificate.js';

describe('tls-alpn-01 certificate', () => {
  it('is self-signed, names exactly the domain, and carries the critical acmeIdentifier = OCTET STRING(SHA-256(keyAuthorization))', async () => {
    const keyAuthorization = 'token-abc.thumbprint-xyz';
    const { certPem, keyPem } = await createTlsAlpnCertificate('www.example.test', keyAuthorization);
    const node = new X509Certificate(certPem);
    expect(node.subjectAltName).toBe('DNS:www.example.test');
    expect(node.verify(node.publicKey)).toBe(true);
    expect(node.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(createPrivateKey(keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(new Date(node.validTo).getTime()).toBeGreaterThan(Date.now() + 86_400_000);
    expect(new Date(node.validFrom).getTime()).toBeLessThan(Date.now());

    const parsed = new x509.X509Certificate(certPem);
    const ext = parsed.extensions.find((e) => e.type === ACME_IDENTIFIER_OID);
    expect(ext?.critical).toBe(true);
    const digest = createHash('sha256').update(keyAuthorization).digest();
    expect(Buffer.from(ext?.value ?? new ArrayBuffer(0)).toString('hex')).toBe(`0420${digest.toString('hex')}`);
  });

  it('encodes the extension value as a DER OCTET STRING of 32 bytes', () => {
    const value = acmeIdentifierValue('a.b');
    expect(value.length).toBe(34);
    expect([value[0], value[1]]).toEqual([0x04, 0x20]);
  });

  it('makes a fresh key every time', async () => {
    const a = await createTlsAlpnCertificate('a.example.test', 'x.y');
    const b = await createTlsAlpnCertificate('a.example.test', 'x.y');
    expect(a.keyPem).not.toBe(b.keyPem);
  });
});
