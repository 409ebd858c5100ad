/**
 * One parsed certificate: the facts every later step needs, as plain data (so it can cross a
 * process boundary and be kept for 100,000 certificates without holding their DER).
 * Read straight from the DER (der.ts, der-names.ts): node:crypto's X509Certificate costs ~110 µs
 * a certificate and does not scale across threads, which made it 70% of an inventory's time.
 * It is still used where a signature must be verified (a self-issued certificate).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { children, decodeOid, decodeTime, readTlv, toHex, type Tlv } from './der.js';
import { decodeName, decodeSubjectAltNames } from './der-names.js';
import { curveBits, extensionOids, signatureAlgorithms } from './oids.js';

export type KeyType = 'RSA' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA' | 'unknown';

export interface CertificateInfo {
  fingerprintSha256: string;
  subject: string;
  issuer: string;
  /** Lower-case hex, no leading zero byte (as `openssl x509 -serial` prints it, modulo case). */
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** Whole days, BR style: (notAfter - notBefore + 1 s), any part of a day counting as a day. */
  lifetimeDays: number;
  sans: string[];
  commonName: string | undefined;
  keyType: KeyType;
  keyBits: number;
  curve: string | undefined;
  signatureAlgorithm: string;
  weakSignature: boolean;
  publicKeyFingerprintSha256: string;
  isCA: boolean;
  selfIssued: boolean;
  selfSigned: boolean;
  authorityKeyId: string | undefined;
  subjectKeyId: string | undefined;
  mustStaple: boolean;
  hasOcspUrl: boolean;
}

const ecCurveNames: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
  '1.3.132.0.10': 'secp256k1',
  '1.3.132.0.33': 'secp224r1',
  '1.2.840.10045.3.1.1': 'prime192v1',
};

const DAY_MS = 86_400_000;

export function lifetimeDays(notBeforeMs: number, notAfterMs: number): number {
  return Math.ceil((notAfterMs - notBeforeMs + 1000) / DAY_MS);
}

/** Parse DER bytes. Throws with a short reason if they are not a certificate. */
export function parseCertificate(der: Uint8Array): { info: CertificateInfo } {
  const facts = readDerFacts(der);
  const { subject, issuer } = facts;
  const selfIssued = subject === issuer;
  // Only a self-issued certificate can be self-signed; verifying costs, so ask only then.
  const selfSigned = selfIssued && verifiesItself(der);
  const sig = signatureAlgorithms[facts.signatureOid];
  const info: CertificateInfo = {
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    subject,
    issuer,
    serialNumber: facts.serialNumber,
    notBefore: new Date(facts.notBeforeMs).toISOString(),
    notAfter: new Date(facts.notAfterMs).toISOString(),
    lifetimeDays: lifetimeDays(facts.notBeforeMs, facts.notAfterMs),
    sans: facts.sans,
    commonName: facts.commonName,
    keyType: facts.keyType,
    keyBits: facts.keyBits,
    curve: facts.curve,
    signatureAlgorithm: sig?.name ?? facts.signatureOid,
    weakSignature: sig?.weak ?? false,
    publicKeyFingerprintSha256: facts.spkiSha256,
    isCA: facts.isCA,
    selfIssued,
    selfSigned,
    authorityKeyId: facts.authorityKeyId,
    subjectKeyId: facts.subjectKeyId,
    mustStaple: facts.mustStaple,
    hasOcspUrl: facts.hasOcspUrl,
  };
  return { info };
}

function verifiesItself(der: Uint8Array): boolean {
  try {
    const x509 = new X509Certificate(der);
    return x509.verify(x509.publicKey);
  } catch {
    return false;
  }
}

interface DerFacts {
  subject: string;
  issuer: string;
  commonName: string | undefined;
  serialNumber: string;
  sans: string[];
  signatureOid: string;
  notBeforeMs: number;
  notAfterMs: number;
  spkiSha256: string;
  keyType: KeyType;
  keyBits: number;
  curve: string | undefined;
  isCA: boolean;
  authorityKeyId: string | undefined;
  subjectKeyId: string | undefined;
  mustStaple: boolean;
  hasOcspUrl: boolean;
}

function readDerFacts(der: Uint8Array): DerFacts {
  const cert = readTlv(der, 0);
  const [tbs, sigAlg] = children(der, cert);
  if (!tbs || !sigAlg) throw new Error('not a certificate structure');
  const algChildren = children(der, sigAlg);
  const signatureOid = decodeOid(der, algChildren[0]!);
  let fields = children(der, tbs);
  if (fields[0]?.tag === 0xa0) fields = fields.slice(1); // explicit version
  const [serial, , issuerName, validity, subjectName, spki, ...rest] = fields;
  if (!serial || serial.tag !== 0x02 || !issuerName || !validity || !subjectName || !spki) throw new Error('not a certificate structure');
  const [nb, na] = children(der, validity);
  const key = readPublicKey(der, spki);
  const subject = decodeName(der, subjectName);
  const facts: DerFacts = {
    subject: subject.text,
    issuer: decodeName(der, issuerName).text,
    commonName: subject.commonName,
    serialNumber: serialHex(der, serial),
    sans: [],
    signatureOid,
    notBeforeMs: decodeTime(der, nb!),
    notAfterMs: decodeTime(der, na!),
    spkiSha256: createHash('sha256').update(der.subarray(spki.header, spki.end)).digest('hex'),
    ...key,
    isCA: false,
    authorityKeyId: undefined,
    subjectKeyId: undefined,
    mustStaple: false,
    hasOcspUrl: false,
  };
  const extWrapper = rest.find((t) => t.tag === 0xa3);
  if (extWrapper) readExtensions(der, extWrapper, facts);
  return facts;
}

function readPublicKey(der: Uint8Array, spki: Tlv): Pick<DerFacts, 'keyType' | 'keyBits' | 'curve'> {
  const [alg, bits] = children(der, spki);
  const [oidTlv, params] = children(der, alg!);
  const oid = decodeOid(der, oidTlv!);
  if (oid === '1.2.840.113549.1.1.1' || oid === '1.2.840.113549.1.1.10') {
    // BIT STRING: one unused-bits byte, then RSAPublicKey ::= SEQUENCE { modulus, exponent }
    const seq = readTlv(der, bits!.start + 1);
    const modulus = children(der, seq)[0]!;
    let start = modulus.start;
    while (start < modulus.end && der[start] === 0) start++;
    const lead = der[start] ?? 0;
    const keyBits = (modulus.end - start) * 8 - (lead === 0 ? 8 : Math.clz32(lead) - 24);
    return { keyType: 'RSA', keyBits, curve: undefined };
  }
  if (oid === '1.2.840.10045.2.1') {
    const curve = params && params.tag === 0x06 ? ecCurveNames[decodeOid(der, params)] : undefined;
    return { keyType: 'EC', keyBits: curve ? (curveBits[curve] ?? 0) : 0, curve: curve ?? 'unknown' };
  }
  if (oid === '1.3.101.112') return { keyType: 'Ed25519', keyBits: 256, curve: undefined };
  if (oid === '1.3.101.113') return { keyType: 'Ed448', keyBits: 456, curve: undefined };
  if (oid === '1.2.840.10040.4.1') {
    const p = params ? children(der, params)[0] : undefined;
    return { keyType: 'DSA', keyBits: p ? (p.end - p.start - (der[p.start] === 0 ? 1 : 0)) * 8 : 0, curve: undefined };
  }
  return { keyType: 'unknown', keyBits: 0, curve: undefined };
}

function readExtensions(der: Uint8Array, wrapper: Tlv, facts: DerFacts): void {
  const list = readTlv(der, wrapper.start);
  for (const ext of children(der, list)) {
    const parts = children(der, ext);
    const oid = decodeOid(der, parts[0]!);
    const value = parts[parts.length - 1]!; // OCTET STRING (critical flag may sit between)
    switch (oid) {
      case extensionOids.basicConstraints: {
        const seq = readTlv(der, value.start);
        const first = children(der, seq)[0];
        facts.isCA = first?.tag === 0x01 && der[first.start] !== 0;
        break;
      }
      case extensionOids.authorityKeyIdentifier: {
        const seq = readTlv(der, value.start);
        const keyId = children(der, seq).find((t) => t.tag === 0x80);
        if (keyId) facts.authorityKeyId = toHex(der, keyId);
        break;
      }
      case extensionOids.subjectAltName:
        facts.sans = decodeSubjectAltNames(der, value);
        break;
      case extensionOids.subjectKeyIdentifier:
        facts.subjectKeyId = toHex(der, readTlv(der, value.start));
        break;
      case extensionOids.tlsFeature: {
        const seq = readTlv(der, value.start);
        facts.mustStaple = children(der, seq).some((t) => t.tag === 0x02 && t.end - t.start === 1 && der[t.start] === 5);
        break;
      }
      case extensionOids.authorityInfoAccess: {
        const seq = readTlv(der, value.start);
        facts.hasOcspUrl = children(der, seq).some((ad) => {
          const method = children(der, ad)[0];
          return method !== undefined && decodeOid(der, method) === '1.3.6.1.5.5.7.48.1';
        });
        break;
      }
    }
  }
}

/** Lower-case hex of a positive INTEGER without its sign-padding zero byte (as Node and openssl print it). */
function serialHex(der: Uint8Array, serial: Tlv): string {
  let start = serial.start;
  while (start < serial.end - 1 && der[start] === 0) start++;
  return Buffer.from(der.subarray(start, serial.end)).toString('hex');
}
