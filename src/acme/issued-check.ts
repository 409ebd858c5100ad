/**
 * Is the certificate the CA sent back the one that was ordered? RFC 8555 §7.4 makes it the
 * certificate for the order's identifiers and the CSR's key; a CA that sends something else (a
 * bug, a mix-up between orders) must not get it stored or deployed: a leaf for another key fails
 * the web server's reload at best, and one for other names is an outage. cert-manager and Caddy
 * check the key the same way before they use a certificate.
 *
 * Checked on the leaf, once per issuance: its public key, its dNSName/iPAddress names (no more,
 * no fewer), its validity now, and that the chain's first certificate issued it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeDomain, resolveDomainName } from '../config/domain-names.js';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.js';
import { children, expectTlv } from '../x509/der.js';
import { certificatePemTypes, findPemBlocks } from '../x509/pem.js';
import { ipAddressBytes } from './csr.js';
import { AcmeError } from './errors.js';

/**
 * How far a CA's clock may run ahead of ours before a notBefore in the future is its error. Public
 * CAs backdate notBefore (Let's Encrypt by an hour), so a correct leaf is valid at once.
 */
export const ISSUED_CLOCK_SKEW_MS = 5 * 60_000;

export interface OrderedCertificate {
  /** The order the certificate was downloaded for (named in the message). */
  orderUrl: string;
  /** The identifiers ordered: DNS names (A-labels, or U-labels converted here) and IP addresses. */
  identifiers: readonly string[];
  /** The CSR sent at finalization: its key is the one the certificate must certify. */
  csrDer: Uint8Array;
  now: Date;
}

/**
 * Throws an AcmeError (`acme-issued-mismatch`, exit 1 as other failed orders) naming the order and
 * everything that differs, when `certificatePem` (leaf first, then the chain) is not what was ordered.
 */
export function checkIssuedCertificate(certificatePem: string, ordered: OrderedCertificate): void {
  const [leaf, issuer] = findPemBlocks(certificatePem).filter((b) => certificatePemTypes.has(b.type));
  if (!leaf) throw mismatch(ordered, 'the CA returned no certificate');
  const info = readCertificate(leaf.der, 'certificate', ordered);
  const problems = [
    keyProblem(info, ordered.csrDer),
    namesProblem(info, ordered.identifiers),
    validityProblem(info, ordered.now),
    issuer ? issuerProblem(leaf.der, info, issuer.der, ordered) : undefined,
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw mismatch(ordered, `the CA returned a certificate (serial ${info.serialNumber}) that is not what was ordered: ${problems.join('; ')}`);
}

function mismatch(ordered: OrderedCertificate, detail: string): AcmeError {
  return new AcmeError(`order ${ordered.orderUrl}: ${detail}`, {
    code: 'acme-issued-mismatch',
    hint: 'nothing was stored or deployed: the certificate in place stays current and the order is tried again on the next run; if it happens again, report it to the CA',
  });
}

function readCertificate(der: Uint8Array, what: string, ordered: OrderedCertificate): CertificateInfo {
  try {
    return parseCertificate(der).info;
  } catch (err) {
    throw mismatch(ordered, `the CA returned a ${what} certfleet cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `SHA256:` and the first 16 hex digits: enough to tell two keys apart in a message. */
const short = (sha256: string) => `SHA256:${sha256.slice(0, 16)}`;

function keyProblem(info: CertificateInfo, csrDer: Uint8Array): string | undefined {
  const wanted = csrKeySha256(csrDer);
  // Hashes of the DER SubjectPublicKeyInfo as written in each: equal exactly when the bytes are.
  if (info.publicKeyFingerprintSha256 === wanted) return undefined;
  return `it certifies key ${short(info.publicKeyFingerprintSha256)} but the CSR's key is ${short(wanted)}`;
}

/** SHA-256 of the CSR's SubjectPublicKeyInfo DER (RFC 2986: CertificationRequestInfo's third field). */
function csrKeySha256(csrDer: Uint8Array): string {
  const request = expectTlv(csrDer, 0, csrDer.length, 0x30, 'certification request');
  const [info] = children(csrDer, request, 'certification request');
  const spki = info?.tag === 0x30 ? children(csrDer, info, 'certificationRequestInfo')[2] : undefined;
  if (spki?.tag !== 0x30) throw new AcmeError('the CSR has no subjectPublicKeyInfo');
  return createHash('sha256').update(csrDer.subarray(spki.header, spki.end)).digest('hex');
}

function namesProblem(info: CertificateInfo, identifiers: readonly string[]): string | undefined {
  const wanted = new Map(identifiers.map((id) => [nameKey(id), id]));
  const got = new Map(info.sans.filter(isDnsOrIp).map((san) => [nameKey(san), san]));
  const missing = [...wanted].filter(([key]) => !got.has(key)).map(([, id]) => id);
  const extra = [...got].filter(([key]) => !wanted.has(key)).map(([, san]) => san);
  if (missing.length === 0 && extra.length === 0) return undefined;
  const parts = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...(extra.length ? [`extra ${extra.join(', ')}`] : [])];
  // A subjectAltName the parser could not read leaves no names: say why.
  const unread = info.extensionErrors?.length ? ` (${info.extensionErrors.join('; ')})` : '';
  return `names differ: ${parts.join(', ')}${unread}`;
}

/**
 * dNSName and iPAddress entries (certificate.ts gives them bare; other kinds carry a prefix such
 * as `email:` or `uri:`, and an iPAddress of a wrong length is `ip:#<hex>`, kept as an extra name).
 * A dNSName that spells an IP address cannot be told from an iPAddress here; no CA issues one.
 */
function isDnsOrIp(san: string): boolean {
  if (isIP(san) !== 0 || san.startsWith('ip:#')) return true;
  return !/^(email|uri|dirname|rid|othername):/.test(san) && san !== 'x400name' && san !== 'edipartyname';
}

/** One form per name: IP addresses by their bytes, DNS names lower case as A-labels (domain-names.ts). */
function nameKey(name: string): string {
  if (isIP(name) !== 0) return `ip:${ipAddressBytes(name).toString('hex')}`;
  if (name.startsWith('ip:#')) return name;
  const resolved = resolveDomainName(name);
  return `dns:${'name' in resolved ? resolved.name : normalizeDomain(name)}`;
}

function validityProblem(info: CertificateInfo, now: Date): string | undefined {
  const at = now.getTime();
  if (Date.parse(info.notBefore) > at + ISSUED_CLOCK_SKEW_MS) return `it is not valid before ${info.notBefore} (now ${now.toISOString()})`;
  if (Date.parse(info.notAfter) <= at) return `it expired at ${info.notAfter} (now ${now.toISOString()})`;
  return undefined;
}

function issuerProblem(leafDer: Uint8Array, info: CertificateInfo, issuerDer: Uint8Array, ordered: OrderedCertificate): string | undefined {
  const issuer = readCertificate(issuerDer, 'chain certificate', ordered);
  if (info.issuer !== issuer.subject) return `its issuer is "${info.issuer}" but the chain's first certificate is "${issuer.subject}"`;
  try {
    if (new X509Certificate(certificateOnly(leafDer)).verify(new X509Certificate(certificateOnly(issuerDer)).publicKey)) return undefined;
    return `its signature does not verify with the key of the chain's first certificate ("${issuer.subject}")`;
  } catch (err) {
    return `its signature cannot be checked against the chain's first certificate ("${issuer.subject}"): ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The certificate's own bytes: parseCertificate ignores trailing bytes, OpenSSL's X509Certificate may not. */
function certificateOnly(der: Uint8Array): Uint8Array {
  return der.subarray(0, expectTlv(der, 0, der.length, 0x30, 'certificate').end);
}
