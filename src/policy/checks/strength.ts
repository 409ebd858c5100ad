import { finding, findingKinds } from '../findings.js';
import { isSelfSignedRoot } from '../leaf-or-root.js';
import type { CertificateCheck } from './types.js';

/** The floors the Baseline Requirements (6.1.5) set: RSA 2048, ECDSA P-256. */
const minimumBits: Record<string, number> = { RSA: 2048, EC: 256, DSA: 2048 };

export const weakKey: CertificateCheck = (cert) => {
  const floor = minimumBits[cert.keyType];
  if (floor === undefined || cert.keyBits >= floor) return undefined;
  return finding(findingKinds.weakKey, `${cert.keyType} ${cert.keyBits}-bit key (minimum ${floor})`);
};

export const weakSignature: CertificateCheck = (cert) => {
  // A root's own signature is never checked by clients; only flag what someone verifies. A
  // self-signed leaf's signature is what a client that pins or trusts it checks, so it counts.
  if (!cert.weakSignature || isSelfSignedRoot(cert)) return undefined;
  return finding(findingKinds.weakSignature, `signed with ${cert.signatureAlgorithm}`);
};

export const mustStaple: CertificateCheck = (cert) =>
  cert.mustStaple ? finding(findingKinds.mustStaple, 'has the OCSP Must-Staple extension; OCSP is being switched off by CAs') : undefined;
