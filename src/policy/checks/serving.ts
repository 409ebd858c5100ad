/**
 * Checks of a certificate *as served* by one proxy or endpoint: they need the whole served chain,
 * the names asked for and the key, so they return findings tied to that location.
 */
import type { CertificateInfo } from '../../x509/certificate.js';
import { coversName } from '../../x509/names.js';
import type { TrustAnchors } from '../../x509/trust-anchors.js';
import type { Finding } from '../../inventory/model.js';
import { finding, findingKinds } from '../findings.js';

export function hostnameMismatch(leaf: CertificateInfo, names: readonly string[], location: string): Finding | undefined {
  const uncovered = names.filter((n) => !coversName(leaf.sans, n));
  if (uncovered.length === 0) return undefined;
  const has = leaf.sans.length ? `it covers ${leaf.sans.join(', ')}` : 'it has no subjectAltName';
  return finding(findingKinds.hostnameMismatch, `serves ${uncovered.join(', ')}, which the certificate does not cover (${has})`, location);
}

/**
 * The leaf's issuer must be served, or be a trust anchor. Past the first intermediate we stop:
 * servers are not meant to send the root, and a private root is the client's business.
 */
export function incompleteChain(served: readonly CertificateInfo[], anchors: TrustAnchors, location: string): Finding | undefined {
  const leaf = served[0];
  if (!leaf || leaf.selfSigned || anchors.issued(leaf)) return undefined;
  const issuerServed = served.slice(1).some((c) => issues(c, leaf));
  if (issuerServed) return undefined;
  return finding(
    findingKinds.incompleteChain,
    `serves the leaf without its issuer "${leaf.issuer}" (not a known root; serve the full chain, or pass a private root with --ca)`,
    location,
  );
}

function issues(candidate: CertificateInfo, cert: CertificateInfo): boolean {
  if (candidate.subject !== cert.issuer) return false;
  return candidate.subjectKeyId === undefined || cert.authorityKeyId === undefined || candidate.subjectKeyId === cert.authorityKeyId;
}

export function keyMismatch(leaf: CertificateInfo, key: { fingerprintSha256?: string; path: string } | undefined, location: string): Finding | undefined {
  if (!key) return finding(findingKinds.keyMismatch, 'no private key found for this certificate', location);
  if (key.fingerprintSha256 === undefined || key.fingerprintSha256 === leaf.publicKeyFingerprintSha256) return undefined;
  return finding(findingKinds.keyMismatch, `the private key in ${key.path} does not belong to this certificate`, location);
}

export function untrustedChain(trustError: string, location: string): Finding {
  return finding(findingKinds.untrustedChain, `chain does not validate: ${trustError}`, location);
}
