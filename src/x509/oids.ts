/**
 * Signature algorithms: named as `openssl x509 -text` names them (OpenSSL's long name, the OID
 * where OpenSSL has none), and which are weak (MD2, MD4, MD5, SHA-1).
 */
import { opensslObject } from './openssl-objects.js';

/** Signature algorithms over a broken hash, by OID. */
const weakSignatureOids = new Set([
  '1.2.840.113549.1.1.2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.3', // md4WithRSAEncryption
  '1.2.840.113549.1.1.4', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5', // sha1WithRSAEncryption
  '1.3.14.3.2.3', // md5WithRSA (OIW)
  '1.3.14.3.2.13', // dsaWithSHA (SHA-0)
  '1.3.14.3.2.15', // shaWithRSAEncryption (SHA-0)
  '1.3.14.3.2.27', // dsaWithSHA1-old
  '1.3.14.3.2.29', // sha1WithRSA (OIW)
  '1.3.36.3.3.1.2', // ripemd160WithRSA: 160-bit, retired with SHA-1
  '1.2.840.10045.4.1', // ecdsa-with-SHA1
  '1.2.840.10040.4.3', // dsaWithSHA1
]);

/** The common ones, to skip the table on the hot path. */
const commonNames: Record<string, string> = {
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
};

export function signatureAlgorithm(oid: string): { name: string; weak: boolean } {
  return { name: commonNames[oid] ?? opensslObject(oid)?.ln ?? oid.slice(0, 79), weak: weakSignatureOids.has(oid) };
}

export const extensionOids = {
  authorityKeyIdentifier: '2.5.29.35',
  subjectKeyIdentifier: '2.5.29.14',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  tlsFeature: '1.3.6.1.5.5.7.1.24',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;
