/**
 * The certificate signing request sent at finalization (RFC 8555 7.4: DER, base64url in the
 * request). Every identifier goes into the subjectAltName (dNSName, or iPAddress per RFC 8738);
 * the first DNS name short enough (64 characters) is also the CN, which CAs copy or ignore.
 *
 * PKCS#10 (RFC 2986) written directly over node:crypto with the key as a KeyObject: the key is
 * decoded at most once per request (never when the caller already holds a KeyObject), and the
 * DER is what @peculiar/x509 made before, byte for byte (test/unit/acme/csr.test.ts compares).
 */
import { createPublicKey, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, nullValue, octetString, oid, sequence, set, smallInteger, tlv, unsignedInteger } from './der-writer.js';
import { AcmeError } from './errors.js';
import { readPrivateKey } from './private-key.js';

const MAX_CN_LENGTH = 64;

const OID_COMMON_NAME = '2.5.4.3';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/**
 * SubjectPublicKeyInfo (RFC 5480 for EC, RFC 3279 for RSA) built from the key's JWK: OpenSSL's
 * SPKI encoder costs ~0.18 ms a key, the JWK export ~0.01 ms. The same bytes as export({ type:
 * 'spki' }) (csr.test.ts compares).
 */
export function subjectPublicKeyInfo(key: KeyObject): Buffer {
  const jwk = createPublicKey(key).export({ format: 'jwk' });
  const bytes = (member: string | undefined) => Buffer.from(member ?? '', 'base64url');
  if (jwk.kty === 'EC') {
    // Only P-256 or P-384 get here: signingFor has refused every other curve.
    const curve = jwk.crv === 'P-256' ? '1.2.840.10045.3.1.7' : '1.3.132.0.34';
    const point = Buffer.concat([Buffer.from([0x04]), bytes(jwk.x), bytes(jwk.y)]);
    return sequence(sequence(oid('1.2.840.10045.2.1'), oid(curve)), bitString(point));
  }
  // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, both positive.
  const rsa = sequence(unsignedInteger(bytes(jwk.n)), unsignedInteger(bytes(jwk.e)));
  return sequence(sequence(oid('1.2.840.113549.1.1.1'), nullValue()), bitString(rsa));
}

interface Signing {
  /** node:crypto digest name. */
  hash: 'sha256' | 'sha384';
  /** AlgorithmIdentifier of the signature (RFC 4055 / RFC 5758). */
  algorithm: Buffer;
}

function signingFor(key: KeyObject): Signing {
  if (key.type !== 'private') throw new AcmeError('a CSR is signed with the certificate\'s private key, not a public key');
  if (key.asymmetricKeyType === 'rsa') {
    // sha256WithRSAEncryption; RSA AlgorithmIdentifiers carry an explicit NULL parameter.
    return { hash: 'sha256', algorithm: sequence(oid('1.2.840.113549.1.1.11'), nullValue()) };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    // ecdsa-with-SHA256 / ecdsa-with-SHA384, no parameters (RFC 5758 3.2).
    if (curve === 'prime256v1') return { hash: 'sha256', algorithm: sequence(oid('1.2.840.10045.4.3.2')) };
    if (curve === 'secp384r1') return { hash: 'sha384', algorithm: sequence(oid('1.2.840.10045.4.3.3')) };
    throw new AcmeError(`certificate keys on curve ${curve ?? 'unknown'} are not supported (use P-256 or P-384)`);
  }
  throw new AcmeError(`certificate keys of type ${key.asymmetricKeyType ?? 'unknown'} are not supported (use EC or RSA)`);
}

/** PrintableString when every character allows it (X.680 41.4), else UTF8String: as @peculiar/x509 chose. */
function directoryString(text: string): Buffer {
  return tlv(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text) ? 0x13 : 0x0c, Buffer.from(text, 'utf8'));
}

/** The 4 or 16 bytes of an address `isIP` accepted (IPv6 with `::` and a dotted IPv4 tail). */
export function ipAddressBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // A zone (`fe80::1%eth0`) means something only on one host: a CA cannot validate it.
  if (isIP(ip) !== 6 || ip.includes('%')) throw new AcmeError(`not an IP address a certificate can name: ${ip}`);
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const front = groups(head);
  const back = groups(tail);
  const words = tail === undefined ? front : [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  const bytes = Buffer.alloc(16);
  words.forEach((word, i) => bytes.writeUInt16BE(word, i * 2));
  return bytes;
}

function subjectAltName(identifiers: string[]): Buffer {
  // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING, both IMPLICIT (RFC 5280 4.2.1.6).
  const names = identifiers.map((id) => {
    if (isIP(id)) return tlv(0x87, ipAddressBytes(id));
    // IA5String: an internationalised name goes in as its A-label (xn--...), never as UTF-8.
    if (/[^\x21-\x7e]/.test(id)) throw new AcmeError(`the identifier ${JSON.stringify(id)} is not an ASCII DNS name (write an internationalised name as its xn-- form)`);
    return tlv(0x82, Buffer.from(id, 'ascii'));
  });
  return sequence(oid(OID_SUBJECT_ALT_NAME), octetString(sequence(...names)));
}

/**
 * DER of a PKCS#10 request for `identifiers`, signed with the certificate key: a KeyObject, or
 * PEM text decoded here once.
 */
export async function createCsr(identifiers: string[], key: KeyObject | string): Promise<Uint8Array> {
  if (identifiers.length === 0) throw new AcmeError('a certificate needs at least one identifier');
  const privateKey = typeof key === 'string' ? readPrivateKey(key, 'the certificate key') : key;
  const signing = signingFor(privateKey);
  const commonName = identifiers.find((id) => isIP(id) === 0 && id.length <= MAX_CN_LENGTH);
  const subject = commonName ? sequence(set(sequence(oid(OID_COMMON_NAME), directoryString(commonName)))) : sequence();
  const spki = subjectPublicKeyInfo(privateKey);
  const extensionRequest = sequence(oid(OID_EXTENSION_REQUEST), set(sequence(subjectAltName(identifiers))));
  // CertificationRequestInfo: version 0, subject, SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF.
  const info = sequence(smallInteger(0), subject, spki, tlv(0xa0, extensionRequest));
  // ECDSA signatures come out as the DER Ecdsa-Sig-Value X.509 wants (node's default dsaEncoding).
  const signature = sign(signing.hash, info, privateKey);
  return new Uint8Array(sequence(info, signing.algorithm, bitString(signature)));
}
