/**
 * One parsed certificate: the facts every later step needs, as plain data (so it can cross a
 * process boundary and be kept for 100,000 certificates without holding their DER).
 * Read straight from the DER (der.ts, der-names.ts): node:crypto's X509Certificate costs ~110 µs
 * a certificate and does not scale across threads, which made it 70% of an inventory's time.
 * It is still used where a signature must be verified (a self-issued certificate).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { checkAny, checkBitString, checkInteger, children, decodeOid, decodeTime, DerError, expectTlv, integerBits, onlyChild, readTlv, tagName, toHex, type Tlv } from './der.js';
import { decodeName, decodeSubjectAltNames } from './der-names.js';
import { namedCurve } from './ec-curves.js';
import { extensionOids, signatureAlgorithm } from './oids.js';

export type KeyType = 'RSA' | 'EC' | 'Ed25519' | 'Ed448' | 'DSA' | 'unknown';

export interface CertificateInfo {
  fingerprintSha256: string;
  subject: string;
  issuer: string;
  /** Lower-case hex, no leading zero byte; a negative serial as `-` and its magnitude (as `openssl x509 -serial` prints it, modulo case). */
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
  /**
   * Extensions OpenSSL loads the certificate with but which are malformed, duplicated or cannot
   * be read: `subjectAltName at byte 412: ...`. Their facts are left at the defaults.
   */
  extensionErrors?: string[];
}

const DAY_MS = 86_400_000;

export function lifetimeDays(notBeforeMs: number, notAfterMs: number): number {
  return Math.ceil((notAfterMs - notBeforeMs + 1000) / DAY_MS);
}

/**
 * Parse DER bytes (trailing bytes after the certificate are ignored, as OpenSSL ignores them).
 * Throws a DerError naming the field, the defect and its byte offset when they are not a
 * certificate OpenSSL would read the same way.
 */
export function parseCertificate(der: Uint8Array): { info: CertificateInfo } {
  const facts = readDerFacts(der);
  const { subject, issuer } = facts;
  const selfIssued = subject === issuer;
  // Only a self-issued certificate can be self-signed; verifying costs, so ask only then.
  const selfSigned = selfIssued && verifiesItself(der);
  const sig = signatureAlgorithm(facts.signatureOid);
  const info: CertificateInfo = {
    fingerprintSha256: createHash('sha256').update(facts.certEnd === der.length ? der : der.subarray(0, facts.certEnd)).digest('hex'),
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
    signatureAlgorithm: sig.name,
    weakSignature: sig.weak,
    publicKeyFingerprintSha256: facts.spkiSha256,
    isCA: facts.isCA,
    selfIssued,
    selfSigned,
    authorityKeyId: facts.authorityKeyId,
    subjectKeyId: facts.subjectKeyId,
    mustStaple: facts.mustStaple,
    hasOcspUrl: facts.hasOcspUrl,
  };
  if (facts.extensionErrors.length) info.extensionErrors = facts.extensionErrors;
  return { info };
}

function verifiesItself(der: Uint8Array): boolean {
  try {
    const x509 = new X509Certificate(der.subarray(0, readTlv(der, 0, der.length, 'certificate').end));
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
  extensionErrors: string[];
  certEnd: number;
}

function readDerFacts(der: Uint8Array): DerFacts {
  const cert = expectTlv(der, 0, der.length, 0x30, 'certificate');
  const [tbs, sigAlg, sigValue, extra] = children(der, cert, 'certificate');
  if (!tbs || tbs.tag !== 0x30) throw missing('tbsCertificate', tbs, cert, 'SEQUENCE');
  if (!sigAlg || sigAlg.tag !== 0x30) throw missing('signatureAlgorithm', sigAlg, cert, 'SEQUENCE');
  if (!sigValue) throw missing('signatureValue', sigValue, cert, 'BIT STRING');
  checkBitString(der, sigValue, 'signatureValue');
  if (extra) throw new DerError('certificate', extra.header, 'unexpected field after the signature');
  const signatureOid = readAlgorithm(der, sigAlg, 'signatureAlgorithm');

  const fields = children(der, tbs, 'tbsCertificate');
  let i = 0;
  if (fields[0]?.tag === 0xa0) {
    checkInteger(der, onlyChild(der, fields[0], 'version'), 'version');
    i++;
  }
  const serial = fields[i++];
  if (!serial) throw missing('serialNumber', serial, tbs, 'INTEGER');
  checkInteger(der, serial, 'serialNumber');
  const innerSigAlg = fields[i++];
  if (!innerSigAlg || innerSigAlg.tag !== 0x30) throw missing('signature', innerSigAlg, tbs, 'SEQUENCE');
  readAlgorithm(der, innerSigAlg, 'signature');
  if (!sameBytes(der, innerSigAlg, sigAlg)) {
    throw new DerError('signatureAlgorithm', sigAlg.header, `differs from the signature algorithm inside the signed part (byte ${innerSigAlg.header}); RFC 5280 4.1.1.2 requires them identical`);
  }
  const issuerName = fields[i++];
  if (!issuerName) throw missing('issuer', issuerName, tbs, 'Name');
  const issuer = decodeName(der, issuerName, 'issuer');
  const validity = fields[i++];
  if (!validity || validity.tag !== 0x30) throw missing('validity', validity, tbs, 'SEQUENCE');
  const [nb, na, more] = children(der, validity, 'validity');
  if (!nb) throw missing('notBefore', nb, validity, 'Time');
  if (!na) throw missing('notAfter', na, validity, 'Time');
  if (more) throw new DerError('validity', more.header, 'more than two times');
  const notBeforeMs = decodeTime(der, nb, 'notBefore');
  const notAfterMs = decodeTime(der, na, 'notAfter');
  const subjectName = fields[i++];
  if (!subjectName) throw missing('subject', subjectName, tbs, 'Name');
  const subject = decodeName(der, subjectName, 'subject');
  const spki = fields[i++];
  if (!spki || spki.tag !== 0x30) throw missing('subjectPublicKeyInfo', spki, tbs, 'SEQUENCE');
  const key = readPublicKey(der, spki);
  // issuerUniqueID [1] and subjectUniqueID [2]: IMPLICIT BIT STRINGs, in this order, then extensions [3].
  for (const [tag, field] of [[0x81, 'issuerUniqueID'], [0x82, 'subjectUniqueID']] as const) {
    if (fields[i]?.tag === tag) checkBitString(der, { ...fields[i++]!, tag: 0x03 }, field);
  }
  const facts: DerFacts = {
    subject: subject.text,
    issuer: issuer.text,
    commonName: subject.commonName,
    serialNumber: serialText(der, serial),
    sans: [],
    signatureOid,
    notBeforeMs,
    notAfterMs,
    spkiSha256: createHash('sha256').update(der.subarray(spki.header, spki.end)).digest('hex'),
    ...key,
    isCA: false,
    authorityKeyId: undefined,
    subjectKeyId: undefined,
    mustStaple: false,
    hasOcspUrl: false,
    extensionErrors: [],
    certEnd: cert.end,
  };
  if (fields[i]?.tag === 0xa3) readExtensions(der, fields[i++]!, facts);
  if (fields[i]) throw new DerError('tbsCertificate', fields[i]!.header, `unexpected ${tagName(fields[i]!.tag)} where the certificate's fields end`);
  return facts;
}

function missing(field: string, found: Tlv | undefined, parent: Tlv, expected: string): DerError {
  if (!found) return new DerError(field, parent.end, `missing: the enclosing structure (byte ${parent.header}) ends before it`);
  return new DerError(field, found.header, `expected ${expected}, found ${tagName(found.tag)}`);
}

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY OPTIONAL }. */
function readAlgorithm(der: Uint8Array, alg: Tlv, field: string): string {
  const [oid, params, extra] = children(der, alg, field);
  if (!oid) throw new DerError(field, alg.header, 'empty AlgorithmIdentifier');
  if (extra) throw new DerError(field, extra.header, 'AlgorithmIdentifier with more than an algorithm and parameters');
  if (params) checkAny(der, params, `${field} parameters`);
  return decodeOid(der, oid, field);
}

function sameBytes(der: Uint8Array, a: Tlv, b: Tlv): boolean {
  if (a.end - a.header !== b.end - b.header) return false;
  for (let k = 0; k < a.end - a.header; k++) if (der[a.header + k] !== der[b.header + k]) return false;
  return true;
}

const FIELD_KEY = 'subjectPublicKeyInfo';

function readPublicKey(der: Uint8Array, spki: Tlv): Pick<DerFacts, 'keyType' | 'keyBits' | 'curve'> {
  const [alg, bits, extra] = children(der, spki, FIELD_KEY);
  if (!alg || alg.tag !== 0x30) throw missing(FIELD_KEY, alg, spki, 'AlgorithmIdentifier');
  if (!bits) throw missing(FIELD_KEY, bits, spki, 'BIT STRING');
  if (extra) throw new DerError(FIELD_KEY, extra.header, 'more than an algorithm and a key');
  checkBitString(der, bits, FIELD_KEY);
  const oid = readAlgorithm(der, alg, FIELD_KEY);
  const params = children(der, alg, FIELD_KEY)[1];
  if (oid === '1.2.840.113549.1.1.1' || oid === '1.2.840.113549.1.1.10') {
    // BIT STRING: no unused bits, then RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    const field = `${FIELD_KEY} RSA key`;
    if (der[bits.start] !== 0) throw new DerError(field, bits.start, 'key BIT STRING with unused bits');
    const seq = expectTlv(der, bits.start + 1, bits.end, 0x30, field);
    if (seq.end !== bits.end) throw new DerError(field, seq.end, 'bytes after the key');
    const [modulus, exponent, more] = children(der, seq, field);
    if (!modulus || !exponent || more) throw new DerError(field, seq.header, 'not a modulus and an exponent');
    checkInteger(der, modulus, field);
    checkInteger(der, exponent, field);
    if (der[modulus.start]! & 0x80) throw new DerError(field, modulus.start, 'negative modulus');
    return { keyType: 'RSA', keyBits: integerBits(der, modulus), curve: undefined };
  }
  if (oid === '1.2.840.10045.2.1') return readEcParameters(der, params);
  if (oid === '1.3.101.112') return { keyType: 'Ed25519', keyBits: 256, curve: undefined };
  if (oid === '1.3.101.113') return { keyType: 'Ed448', keyBits: 456, curve: undefined };
  if (oid === '1.2.840.10040.4.1') {
    // Dss-Parms ::= SEQUENCE { p, q, g }; absent parameters are inherited from the issuer (size unknown).
    if (!params || params.tag === 0x05) return { keyType: 'DSA', keyBits: 0, curve: undefined };
    const field = `${FIELD_KEY} DSA parameters`;
    if (params.tag !== 0x30) throw new DerError(field, params.header, `expected SEQUENCE, found ${tagName(params.tag)}`);
    const [p, q, g, more] = children(der, params, field);
    if (!p || !q || !g || more) throw new DerError(field, params.header, 'not p, q and g');
    for (const n of [p, q, g]) checkInteger(der, n, field);
    return { keyType: 'DSA', keyBits: integerBits(der, p), curve: undefined };
  }
  return { keyType: 'unknown', keyBits: 0, curve: undefined };
}

/**
 * EC parameters: a named curve (OpenSSL's table) or explicit ECParameters, sized as OpenSSL sizes
 * them (the bit length of the group order). A curve OpenSSL does not know cannot be sized.
 */
export function readEcParameters(der: Uint8Array, params: Tlv | undefined): Pick<DerFacts, 'keyType' | 'keyBits' | 'curve'> {
  const field = `${FIELD_KEY} EC parameters`;
  if (!params) throw new DerError(field, 0, 'missing (an EC key needs a curve)');
  if (params.tag === 0x06) {
    const oid = decodeOid(der, params, field);
    const curve = namedCurve(oid);
    if (!curve) throw new DerError(field, params.header, `named curve ${oid} is not one OpenSSL knows`);
    return { keyType: 'EC', keyBits: curve.bits, curve: curve.name };
  }
  if (params.tag !== 0x30) throw new DerError(field, params.header, `expected a named curve or explicit parameters, found ${tagName(params.tag)}`);
  // ECParameters ::= SEQUENCE { version, fieldID, curve, base, order, cofactor OPTIONAL }
  const [version, fieldId, curve, base, order] = children(der, params, field);
  if (!version || !fieldId || !curve || !base || !order) throw new DerError(field, params.header, 'explicit parameters without version, field, curve, base point and order');
  checkInteger(der, version, field);
  checkInteger(der, order, field);
  if (der[order.start]! & 0x80) throw new DerError(field, order.start, 'negative group order');
  return { keyType: 'EC', keyBits: integerBits(der, order), curve: 'explicit' };
}

/**
 * Extensions ::= SEQUENCE OF Extension. The list's structure must be sound (OpenSSL refuses the
 * certificate otherwise); an extension's value is only read when it is one certfleet uses, and a
 * defect there is recorded against that extension, never read across into the next one.
 */
function readExtensions(der: Uint8Array, wrapper: Tlv, facts: DerFacts): void {
  const list = onlyChild(der, wrapper, 'extensions');
  if (list.tag !== 0x30) throw new DerError('extensions', list.header, `expected SEQUENCE, found ${tagName(list.tag)}`);
  const seen = new Set<string>();
  for (const ext of children(der, list, 'extensions')) {
    if (ext.tag !== 0x30) throw new DerError('extension', ext.header, `expected SEQUENCE, found ${tagName(ext.tag)}`);
    // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const parts = children(der, ext, 'extension');
    if (parts.length < 2 || parts.length > 3) throw new DerError('extension', ext.header, `${parts.length} fields (an OID, an optional critical flag and a value expected)`);
    const oid = decodeOid(der, parts[0]!, 'extension');
    const critical = parts.length === 3 ? parts[1]! : undefined;
    if (critical && critical.tag !== 0x01) throw new DerError(`extension ${oid}`, critical.header, `expected the critical BOOLEAN, found ${tagName(critical.tag)}`);
    if (critical && critical.end - critical.start !== 1) throw new DerError(`extension ${oid}`, critical.header, `critical BOOLEAN of ${critical.end - critical.start} bytes`);
    const value = parts[parts.length - 1]!;
    if (value.tag !== 0x04) throw new DerError(`extension ${oid}`, value.header, `expected the value's OCTET STRING, found ${tagName(value.tag)}`);
    const name = extensionNames[oid];
    if (!name) continue;
    const duplicate = seen.has(oid);
    seen.add(oid);
    try {
      if (duplicate) {
        facts.extensionErrors.push(new DerError(name, ext.header, `a second ${name} extension (RFC 5280 4.2 allows one; OpenSSL's own checks then use neither)`).message);
        // A second SAN's names are still listed, as `openssl x509 -ext subjectAltName` lists them.
        if (oid === extensionOids.subjectAltName) facts.sans.push(...decodeSubjectAltNames(der, value, name));
      } else {
        readExtension(der, oid, value, facts);
      }
    } catch (err) {
      if (!(err instanceof DerError)) throw err;
      facts.extensionErrors.push(err.message);
    }
  }
}

const extensionNames: Record<string, string> = {
  [extensionOids.basicConstraints]: 'basicConstraints',
  [extensionOids.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [extensionOids.subjectAltName]: 'subjectAltName',
  [extensionOids.subjectKeyIdentifier]: 'subjectKeyIdentifier',
  [extensionOids.tlsFeature]: 'tlsFeature',
  [extensionOids.authorityInfoAccess]: 'authorityInfoAccess',
};

function readExtension(der: Uint8Array, oid: string, value: Tlv, facts: DerFacts): void {
  const field = extensionNames[oid]!;
  switch (oid) {
    case extensionOids.basicConstraints: {
      const seq = sequenceIn(der, value, field);
      const first = children(der, seq, field)[0];
      if (first?.tag === 0x01 && first.end - first.start !== 1) throw new DerError(field, first.header, 'cA BOOLEAN of the wrong length');
      facts.isCA = first?.tag === 0x01 && der[first.start] !== 0;
      break;
    }
    case extensionOids.authorityKeyIdentifier: {
      const seq = sequenceIn(der, value, field);
      const keyId = children(der, seq, field).find((t) => t.tag === 0x80);
      if (keyId) facts.authorityKeyId = toHex(der, keyId);
      break;
    }
    case extensionOids.subjectAltName:
      facts.sans = decodeSubjectAltNames(der, value, field);
      break;
    case extensionOids.subjectKeyIdentifier: {
      const id = onlyChild(der, value, field);
      if (id.tag !== 0x04) throw new DerError(field, id.header, `expected OCTET STRING, found ${tagName(id.tag)}`);
      facts.subjectKeyId = toHex(der, id);
      break;
    }
    case extensionOids.tlsFeature: {
      const seq = sequenceIn(der, value, field);
      facts.mustStaple = children(der, seq, field).some((t) => t.tag === 0x02 && t.end - t.start === 1 && der[t.start] === 5);
      break;
    }
    case extensionOids.authorityInfoAccess: {
      const seq = sequenceIn(der, value, field);
      facts.hasOcspUrl = children(der, seq, field).some((ad) => {
        if (ad.tag !== 0x30) throw new DerError(field, ad.header, `expected AccessDescription (SEQUENCE), found ${tagName(ad.tag)}`);
        const [method, location] = children(der, ad, field);
        if (!method || !location) throw new DerError(field, ad.header, 'AccessDescription without a method and a location');
        return decodeOid(der, method, field) === '1.3.6.1.5.5.7.48.1';
      });
      break;
    }
  }
}

/** The SEQUENCE an extension's OCTET STRING must hold, and nothing after it. */
function sequenceIn(der: Uint8Array, octetString: Tlv, field: string): Tlv {
  const seq = onlyChild(der, octetString, field);
  if (seq.tag !== 0x30) throw new DerError(field, seq.header, `expected SEQUENCE, found ${tagName(seq.tag)}`);
  return seq;
}

/**
 * The serial as `openssl x509 -serial` prints it, lower-case: the magnitude's bytes in hex without
 * sign padding, `-` before a negative one (RFC 5280 forbids them; they exist).
 */
function serialText(der: Uint8Array, serial: Tlv): string {
  if (!(der[serial.start]! & 0x80)) {
    let start = serial.start;
    while (start < serial.end - 1 && der[start] === 0) start++;
    return Buffer.from(der.buffer, der.byteOffset + start, serial.end - start).toString('hex');
  }
  // Two's complement: magnitude = ~bytes + 1
  const mag = Buffer.alloc(serial.end - serial.start);
  let carry = 1;
  for (let k = mag.length - 1; k >= 0; k--) {
    const v = (~der[serial.start + k]! & 0xff) + carry;
    mag[k] = v & 0xff;
    carry = v >> 8;
  }
  let start = 0;
  while (start < mag.length - 1 && mag[start] === 0) start++;
  return `-${mag.subarray(start).toString('hex')}`;
}
