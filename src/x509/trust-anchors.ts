/**
 * Trust anchors (the system roots Node ships, plus the user's --ca files), indexed by subject and
 * key id so a chain check can ask "is this certificate's issuer a root?" without DER in hand.
 */
import { rootCertificates } from 'node:tls';
import { parseCertificate, type CertificateInfo } from './certificate.js';
import { certificatePemTypes, findPemBlocks } from './pem.js';

export class TrustAnchors {
  private readonly bySubject = new Map<string, Array<string | undefined>>();

  constructor(anchors: Iterable<CertificateInfo>) {
    for (const a of anchors) {
      const ids = this.bySubject.get(a.subject) ?? [];
      ids.push(a.subjectKeyId);
      this.bySubject.set(a.subject, ids);
    }
  }

  /** The system roots plus extra PEM/DER certificates (a private CA). */
  static withSystemRoots(extra: readonly Uint8Array[] = []): TrustAnchors {
    return new TrustAnchors([...rootCertificates.flatMap(parsePemCertificates), ...extra.flatMap(parseAnyCertificates)]);
  }

  /** Whether `cert` was issued by one of these anchors (by name, and key id when both have one). */
  issued(cert: CertificateInfo): boolean {
    const ids = this.bySubject.get(cert.issuer);
    if (!ids) return false;
    return ids.some((id) => id === undefined || cert.authorityKeyId === undefined || id === cert.authorityKeyId);
  }

  /** Whether `cert` is itself one of these anchors. */
  contains(cert: CertificateInfo): boolean {
    const ids = this.bySubject.get(cert.subject);
    return ids !== undefined && ids.some((id) => id === undefined || id === cert.subjectKeyId);
  }
}

function parsePemCertificates(text: string): CertificateInfo[] {
  return findPemBlocks(text)
    .filter((b) => certificatePemTypes.has(b.type))
    .flatMap((b) => {
      try {
        return [parseCertificate(b.der).info];
      } catch {
        return [];
      }
    });
}

function parseAnyCertificates(data: Uint8Array): CertificateInfo[] {
  const buf = Buffer.from(data);
  if (buf.includes('-----BEGIN ')) return parsePemCertificates(buf.toString('latin1'));
  try {
    return [parseCertificate(buf).info];
  } catch {
    return [];
  }
}
