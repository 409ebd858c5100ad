/**
 * The X.509 corpus of the differential and mutation tests, built at test time: real keys and
 * signatures from openssl, every oddity from der-builder. Each case says whether certfleet must
 * agree with `openssl x509` or refuse it (and with what error).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as d from './der-builder.js';

/** A self-signed certificate made by `openssl req -x509` with a key made by `genkey` arguments. */
function opensslCert(dir: string, label: string, genkey: string[], req: string[] = []): Uint8Array {
  const key = join(dir, `${label}.key`);
  const out = join(dir, `${label}.der`);
  execFileSync('openssl', [...genkey, '-out', key], { stdio: 'ignore' });
  execFileSync('openssl', ['req', '-x509', '-new', '-key', key, '-days', '30', '-subj', `/CN=${label}.test`, '-outform', 'DER', '-out', out, ...req], { stdio: 'ignore' });
  return new Uint8Array(readFileSync(out));
}

const ecKey = (curve: string, ...more: string[]): string[] => ['genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, ...more];

/** The SubjectPublicKeyInfo of a certificate (to put real keys of every kind into built certificates). */
function spkiOf(der: Uint8Array): Uint8Array {
  const tbsStart = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
  const fields = topLevel(der, tbsStart);
  return der.subarray(fields[6]!.header, fields[6]!.end);
}

function topLevel(der: Uint8Array, tbsHeader: number): Array<{ header: number; end: number }> {
  const read = (pos: number): { header: number; start: number; end: number } => {
    const l = der[pos + 1]!;
    const n = l & 0x80 ? l & 0x7f : 0;
    let len = n ? 0 : l;
    for (let i = 0; i < n; i++) len = len * 256 + der[pos + 2 + i]!;
    return { header: pos, start: pos + 2 + n, end: pos + 2 + n + len };
  };
  const tbs = read(tbsHeader);
  const out = [];
  for (let pos = tbs.start; pos < tbs.end; ) {
    const t = read(pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export interface Case {
  label: string;
  der: Uint8Array;
  /** Expected certfleet error (field and defect); otherwise certfleet must agree with OpenSSL. */
  rejects?: RegExp;
  /** An extension certfleet reports as unreadable while keeping the certificate. */
  extensionError?: RegExp;
}

export function buildCorpus(dir: string): Case[] {
  const rsa = opensslCert(dir, 'rsa', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-addext', 'subjectAltName=DNS:rsa.test,DNS:xn--bcher-kva.test,IP:192.0.2.1,IP:2001:db8::1,email:ops@rsa.test,URI:https://rsa.test/']);
  const certs: Case[] = [
    { label: 'RSA 2048 with DNS, IDN, IP, email and URI SANs', der: rsa },
    { label: 'RSA 2048 signed with SHA-1', der: opensslCert(dir, 'rsa-sha1', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-sha1']) },
    { label: 'RSA-PSS key and signature', der: opensslCert(dir, 'pss', ['genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048']) },
    { label: 'RSA key, PSS signature', der: opensslCert(dir, 'pss-sig', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], ['-sigopt', 'rsa_padding_mode:pss']) },
    { label: 'EC prime256v1', der: opensslCert(dir, 'p256', ecKey('prime256v1')) },
    { label: 'EC secp384r1', der: opensslCert(dir, 'p384', ecKey('secp384r1')) },
    { label: 'EC secp521r1', der: opensslCert(dir, 'p521', ecKey('secp521r1')) },
    { label: 'EC brainpoolP256r1', der: opensslCert(dir, 'bp256', ecKey('brainpoolP256r1')) },
    { label: 'EC brainpoolP384r1', der: opensslCert(dir, 'bp384', ecKey('brainpoolP384r1')) },
    { label: 'EC secp256k1', der: opensslCert(dir, 'k256', ecKey('secp256k1')) },
    { label: 'EC secp224k1 (order 225 bits)', der: opensslCert(dir, 'k224', ecKey('secp224k1')) },
    { label: 'EC with explicit parameters (prime256v1)', der: opensslCert(dir, 'explicit', ecKey('prime256v1', '-pkeyopt', 'ec_param_enc:explicit')) },
    { label: 'Ed25519', der: opensslCert(dir, 'ed25519', ['genpkey', '-algorithm', 'ED25519']) },
    { label: 'Ed448', der: opensslCert(dir, 'ed448', ['genpkey', '-algorithm', 'ED448']) },
    { label: 'DSA 2048 (dsa_with_SHA256)', der: opensslCert(dir, 'dsa', ['genpkey', '-paramfile', dsaParams()]) },
    { label: 'long serial (40 bytes) and otherName/UPN SANs, unknown critical extension', der: opensslCert(dir, 'long', ecKey('prime256v1'), ['-set_serial', `0x7${'ab'.repeat(39)}c`, '-addext', 'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:upn@long.test,otherName:1.2.3.4;UTF8:x,DNS:long.test', '-addext', '1.2.3.4.5=critical,ASN1:UTF8String:unknown']) },
    { label: 'multi-valued RDN, DC and UID', der: opensslCert(dir, 'multi', ecKey('prime256v1'), ['-multivalue-rdn', '-subj', '/DC=test/DC=example/CN=host+UID=42']) },
    { label: 'UTF-8 and Latin names', der: opensslCert(dir, 'utf8', ecKey('prime256v1'), ['-utf8', '-subj', '/C=DE/O=Müller & Söhne, GmbH/CN=shop.müller.test']) },
  ];
  const key = spkiOf(certs[4]!.der);
  const rsaKey = spkiOf(rsa);
  const b = (label: string, fields: d.CertificateFields, extra: Partial<Case> = {}): Case => ({ label, der: d.certificate({ spki: key, ...fields }), ...extra });
  const san = (...names: Array<[number, string | Uint8Array]>): Uint8Array => d.extension('2.5.29.17', d.sanValue(...names));
  certs.push(
    // times
    b('UTCTime with a zone offset (-0600)', { notBefore: d.utc('250101000000-0600'), notAfter: d.utc('260101120000+0530') }),
    b('UTCTime without seconds', { notBefore: d.utc('2501010000Z'), notAfter: d.utc('2601011200+0100') }),
    b('UTCTime 49/50 boundary', { notBefore: d.utc('500101000000Z'), notAfter: d.utc('491231235959Z') }),
    b('GeneralizedTime year 0001 and 9999', { notBefore: d.gen('00010101000000Z'), notAfter: d.gen('99991231235959Z') }),
    b('GeneralizedTime fraction, no seconds, offset', { notBefore: d.gen('20250101000000.123Z'), notAfter: d.gen('205001011200+1200') }),
    b('GeneralizedTime year 0001 with an offset (OpenSSL: bad time)', { notBefore: d.gen('00010101000000+0100') }, { rejects: /notBefore at byte \d+: year 0 after applying the zone offset/ }),
    b('hour 55 (OpenSSL: bad time)', { notBefore: d.utc('250101550000Z') }, { rejects: /notBefore at byte \d+: hour 55 out of range/ }),
    b('no Z (OpenSSL: bad time)', { notAfter: d.utc('260101000000') }, { rejects: /notAfter at byte \d+: no time zone/ }),
    b('space inside (OpenSSL: bad time)', { notBefore: d.utc('2501010 0000Z') }, { rejects: /notBefore at byte \d+: " " where a digit belongs/ }),
    b('February 29 of a non-leap year', { notBefore: d.utc('250229000000Z') }, { rejects: /notBefore at byte \d+: day 29 out of range for month 2/ }),
    // serials
    b('negative serial', { serial: d.int(-0x04316693edn) }),
    b('serial zero', { serial: d.int(0) }),
    b('padded serial (OpenSSL refuses the certificate)', { serial: d.raw('0203000102') }, { rejects: /serialNumber at byte \d+: INTEGER with a redundant leading byte/ }),
    // names
    b('empty RDN, telephoneNumber, postOfficeBox, an OID OpenSSL does not know', {
      subject: d.seq(d.set(d.seq(d.oid('2.5.4.20'), d.printable('+1 555 0100'))), d.set(), d.set(d.seq(d.oid('2.5.4.18'), d.printable('PO 7'))), d.set(d.seq(d.oid('1.2.3.4.5'), d.utf8('x')))),
    }),
    b('empty subject', { subject: d.seq() }),
    b('BMPString, UniversalString, T61String names', {
      subject: d.name([['2.5.4.3', d.bmp('Grüße aus Köln')]], [['2.5.4.10', d.tlv(0x1c, d.raw('000000410001F600'))]], [['2.5.4.7', d.str(0x14, 'Z\u00fcrich')]]),
    }),
    b('control characters and a backslash in a name', { subject: d.name([['2.5.4.3', d.utf8('a\nb\\c\u001b[31m')]]) }),
    b('a SEQUENCE as an attribute value (printed as hex)', { subject: d.name([['2.5.4.3', d.seq(d.int(1))]]) }),
    b('BMPString with a surrogate pair (OpenSSL refuses the certificate)', { subject: d.name([['2.5.4.3', d.bmp('a\u{1F600}')]]) }, { rejects: /subject at byte \d+: BMPString holds surrogate U\+D83D/ }),
    b('BMPString of odd length', { subject: d.name([['2.5.4.3', d.tlv(0x1e, d.raw('004100'))]]) }, { rejects: /subject at byte \d+: BMPString of 3 bytes/ }),
    b('UniversalString beyond Unicode', { issuer: d.name([['2.5.4.3', d.tlv(0x1c, d.raw('ffffffff'))]]) }, { rejects: /issuer at byte \d+: UniversalString holds 0xFFFFFFFF/ }),
    b('invalid UTF-8', { subject: d.name([['2.5.4.3', d.tlv(0x0c, d.raw('41c3'))]]) }, { rejects: /subject at byte \d+: invalid UTF-8/ }),
    b('an INTEGER as an attribute value', { subject: d.name([['2.5.4.3', d.int(5)]]) }, { rejects: /subject at byte \d+: attribute value of type INTEGER/ }),
    // SANs and extensions
    b('IP SANs of odd lengths, registeredID, dirName, x400Address', {
      extensions: [d.extension('2.5.29.17', d.seq(d.ctxPrim(7, d.raw('0102030405')), d.ctxPrim(7, d.raw('')), d.ctxPrim(7, d.raw('7f000001')), d.ctxPrim(8, d.raw('2b06010505070301')), d.ctx(4, d.cn('dir.test')), d.ctx(3, d.seq())))],
    }),
    b('two subjectAltName extensions', { extensions: [san([2, 'a.test']), san([2, 'b.test'])] }, { extensionError: /subjectAltName at byte \d+: a second subjectAltName extension/ }),
    b('empty subjectAltName OCTET STRING', { extensions: [d.seq(d.oid('2.5.29.17'), d.octets()), d.extension('2.5.29.19', d.seq(d.bool(true)), true)] }, { extensionError: /subjectAltName at byte \d+: missing/ }),
    b('SAN whose dirName would run into the next extension', {
      extensions: [d.seq(d.oid('2.5.29.17'), d.octets(d.raw('3009a40730053103'))), d.extension('2.5.29.14', d.octets(d.raw('0102')))],
    }, { extensionError: /subjectAltName at byte \d+: length \d+ runs past the end of its enclosing structure/ }),
    b('empty AIA OCTET STRING', { extensions: [d.seq(d.oid('1.3.6.1.5.5.7.1.1'), d.octets()), san([2, 'kept.test'])] }, { extensionError: /authorityInfoAccess at byte \d+: missing/ }),
    b('unknown critical extension', { extensions: [d.extension('1.2.3.4', d.utf8('x'), true), san([2, 'crit.test'])] }),
    // versions and algorithms
    b('v1 certificate (no version field)', { version: null, spki: rsaKey, signature: d.sha256WithRsa() }),
    b('v1 with an explicit version 0', { version: 0 }),
    b('dsa_with_SHA256 signature OID', { signature: d.seq(d.oid('2.16.840.1.101.3.4.3.2')) }),
    b('GOST signature OID', { signature: d.seq(d.oid('1.2.643.2.2.3')) }),
    b('an algorithm OpenSSL does not know', { signature: d.seq(d.oid('1.2.3.4.5.6')) }),
    b('outer and inner signature algorithms differ', { outerSignature: d.sha256WithRsa() }, { rejects: /signatureAlgorithm at byte \d+: differs from the signature algorithm inside/ }),
  );
  return certs;

  function dsaParams(): string {
    const file = join(dir, 'dsa.param');
    execFileSync('openssl', ['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', file], { stdio: 'ignore' });
    return file;
  }
}

