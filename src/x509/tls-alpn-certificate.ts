/**
 * The tls-alpn-01 challenge certificate (RFC 8737 section 3): self-signed, exactly one dNSName SAN
 * (the identifier being validated), and the critical id-pe-acmeIdentifier extension whose value is
 * the DER OCTET STRING of SHA-256(key authorization). A fresh P-256 key per certificate: it is
 * thrown away with the challenge and never leaves the process.
 */
import { createHash, KeyObject, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509 (reflect-metadata and its ASN.1 schemas with it) takes ~100 ms to load: loaded
 * by the first challenge certificate, not by every `renew` run that imports the solvers.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}

export const ACME_IDENTIFIER_OID = '1.3.6.1.5.5.7.1.31';

export interface TlsAlpnCertificate {
  certPem: string;
  /** PKCS#8 PEM: only for the TLS listener's SecureContext; never log it. */
  keyPem: string;
}

/** DER OCTET STRING (tag 0x04, short length) wrapping the 32-byte SHA-256 digest. */
export function acmeIdentifierValue(keyAuthorization: string): Uint8Array<ArrayBuffer> {
  const digest = createHash('sha256').update(keyAuthorization, 'utf8').digest();
  return Uint8Array.from([0x04, digest.length, ...digest]);
}

export async function createTlsAlpnCertificate(domain: string, keyAuthorization: string, now: Date = new Date()): Promise<TlsAlpnCertificate> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const x509 = await loadX509();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(16)).reduce((hex, b) => hex + b.toString(16).padStart(2, '0'), '7f'),
    name: 'CN=ACME tls-alpn-01 challenge',
    // Validators check the extension, not the dates; a small margin absorbs clock skew.
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 7 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }]),
      new x509.Extension(ACME_IDENTIFIER_OID, true, acmeIdentifierValue(keyAuthorization)),
    ],
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { certPem: cert.toString('pem'), keyPem };
}
