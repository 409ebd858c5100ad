/**
 * Is a self-signed certificate a root (a trust anchor clients are given) or a leaf (what a server
 * presents)? The CA bit does not say: `openssl req -x509` sets CA:TRUE by default, and that is the
 * most common self-signed server certificate. What does say:
 * - it is served as a leaf (position 0 of what a proxy or endpoint serves): a leaf;
 * - it names a host (a DNS or IP subjectAltName, or a host-like common name): a leaf;
 * - a trust store holds it and nothing serves it (inventory/trust-stores.ts): a root;
 * - otherwise the CA bit decides: CA:TRUE is a root, CA:FALSE (or none) a leaf.
 * One home for the rule: the self-signed and weak-signature checks and the trust-store
 * classification all ask here.
 */
import { isIP } from 'node:net';
import type { CertificateSource } from '../inventory/model.js';
import type { CertificateInfo } from '../x509/certificate.js';

/** What the rule reads: the certificate, and where the inventory found it when it knows. */
export type PlacedCertificate = CertificateInfo & { sources?: readonly CertificateSource[]; trustAnchor?: boolean };

// A DNS name as certificates carry it: labels of letters, digits, '-' and '_', an optional leading
// wildcard, a last label that is not all digits (so "1.2" or a version string is not a host).
const HOST_NAME = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

/** A DNS or IP subjectAltName, or, failing those, a common name that is a host name, an IP address or `localhost`. */
export function namesHost(cert: CertificateInfo): boolean {
  if (cert.sans.some(isHostSan)) return true;
  const cn = cert.commonName?.trim();
  if (!cn) return false;
  return cn.toLowerCase() === 'localhost' || isIP(cn) !== 0 || HOST_NAME.test(cn);
}

/** SANs are listed bare for DNS names and IP addresses, with a `kind:` prefix for every other kind. */
function isHostSan(san: string): boolean {
  if (isIP(san) !== 0) return true;
  return !/^[a-z0-9]+:/i.test(san) && HOST_NAME.test(san);
}

/** Served by a proxy or an endpoint as the first certificate of its chain. */
export function servedAsLeaf(sources: readonly CertificateSource[] | undefined): boolean {
  return (sources ?? []).some((s) => s.kind !== 'file' && s.chainPosition === 0);
}

export function isSelfSignedLeaf(cert: PlacedCertificate): boolean {
  if (!cert.selfSigned) return false;
  if (servedAsLeaf(cert.sources)) return true;
  if (cert.trustAnchor === true) return false;
  return !cert.isCA || namesHost(cert);
}

/** A self-signed certificate that is not a leaf: clients never verify its own signature. */
export function isSelfSignedRoot(cert: PlacedCertificate): boolean {
  return cert.selfSigned && !isSelfSignedLeaf(cert);
}
