/**
 * For selection tests (revoke/replace/drill by serial): a managed certificate with nothing but its
 * name and domain, and a stored version of a test-made leaf made current.
 */
import type { ResolvedChallengeConfig } from '../../src/challenges/config.js';
import type { ManagedCertificate } from '../../src/renewal/managed.js';
import { versionId, type CertificateStore } from '../../src/store/certificate-store.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import type { Issued } from './pki.js';

export function bareManaged(name: string): ManagedCertificate {
  return {
    name,
    domains: [`${name}.example.com`],
    keyType: 'ec-p256',
    reuseKey: false,
    ca: { directoryUrl: 'https://127.0.0.1:14000/dir', requestTimeoutMs: 1000, contact: [], acceptTermsOfService: true },
    challenge: {} as ResolvedChallengeConfig,
    pre: [],
    post: [],
    verify: [],
    verifyTimeoutMs: 1000,
    verifyCa: [],
  };
}

/** Store `leaf` (chain: `ca`) as a version of `name` issued at `at`, make it current, and return its id. */
export async function addCurrentVersion(store: CertificateStore, name: string, leaf: Issued, ca: Issued, at: string): Promise<string> {
  const info = parseCertificate(leaf.der).info;
  const id = versionId(new Date(at), info.serialNumber);
  await store.addVersion(
    name,
    { id, serialNumber: info.serialNumber, fingerprintSha256: info.fingerprintSha256, notBefore: info.notBefore, notAfter: info.notAfter, domains: info.sans, issuedAt: at },
    { certPem: leaf.certPem, chainPem: ca.certPem, fullchainPem: leaf.certPem + ca.certPem, keyPem: leaf.keyPem },
  );
  await store.setCurrent(name, id);
  return id;
}
