import { describe, expect, it } from 'vitest';
import { parseFileContent } from '../../../src/inventory/sources/file-content.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { children, decodeTime, DerError, readTlv } from '../../../src/x509/der.js';
import * as d from '../../helpers/der-builder.js';

function time(der: Uint8Array): number {
  return decodeTime(der, readTlv(der, 0), 'notBefore');
}

describe('decodeTime follows OpenSSL 3 (ossl_asn1_time_to_tm)', () => {
  it.each([
    ['250101000000Z', '2025-01-01T00:00:00.000Z'],
    ['250101000000-0600', '2025-01-01T06:00:00.000Z'], // six hours behind UTC
    ['250101000000+0530', '2024-12-31T18:30:00.000Z'],
    ['2501010000Z', '2025-01-01T00:00:00.000Z'], // seconds left out
    ['491231235959Z', '2049-12-31T23:59:59.000Z'],
    ['500101000000Z', '1950-01-01T00:00:00.000Z'],
  ])('UTCTime %s', (text, iso) => {
    expect(new Date(time(d.utc(text))).toISOString()).toBe(iso);
  });

  it.each([
    ['00010101000000Z', '0001-01-01T00:00:00.000Z'], // not 1901
    ['00990101000000Z', '0099-01-01T00:00:00.000Z'],
    ['20250101000000.999Z', '2025-01-01T00:00:00.000Z'], // fraction read, dropped as OpenSSL does
    ['202501010000Z', '2025-01-01T00:00:00.000Z'],
  ])('GeneralizedTime %s', (text, iso) => {
    expect(new Date(time(d.gen(text))).toISOString()).toBe(iso);
  });

  it.each([
    [d.utc('250101550000Z'), /hour 55 out of range/],
    [d.utc('250101000000'), /no time zone/],
    [d.utc('2501010 0000Z'), /" " where a digit belongs/],
    [d.utc('250101000000-2400'), /zone hours 24 out of range/],
    [d.utc('250101000000Z0'), /1 bytes after the time zone/],
    [d.utc('250230000000Z'), /day 30 out of range for month 2/],
    [d.gen('20250101000000.Z'), /no digits after the decimal point/],
    [d.utc('25010100000.0Z'), /where a digit belongs/], // fractions only in GeneralizedTime
    [d.gen('00010101000000+0100'), /outside 1900-9999/],
  ])('refuses %#, naming the defect and its offset', (der, why) => {
    expect(() => time(der)).toThrow(DerError);
    expect(() => time(der)).toThrow(why);
    expect(() => time(der)).toThrow(/^notBefore at byte \d+: /);
  });
});

describe('every read is bounded by its parent', () => {
  it('a child whose length runs past its parent is an error at the child, not a read into the next field', () => {
    // SEQUENCE(3) { OCTET STRING claiming 5 bytes } followed by more data
    const der = d.raw('3003 0405 0102 0304 0506 0708');
    expect(() => children(der, readTlv(der, 0), 'test')).toThrow('test at byte 2: length 5 runs past the end of its enclosing structure (byte 5)');
  });

  it('names BER encodings DER forbids', () => {
    expect(() => readTlv(d.raw('3080 0000'), 0, 4, 'x')).toThrow('x at byte 0: indefinite length (BER, not DER)');
    expect(() => readTlv(d.raw('30 8103 010203'), 0, 6, 'x')).toThrow('length not in its shortest form');
  });
});

describe('malformed certificates: an error with the field and the offset, never a JavaScript exception', () => {
  it.each([
    ['a BMPString with a surrogate', d.certificate({ subject: d.name([['2.5.4.3', d.bmp('\u{1F600}')]]) }), /^subject at byte \d+: BMPString holds surrogate/],
    ['a BMPString of odd length', d.certificate({ subject: d.name([['2.5.4.3', d.tlv(0x1e, d.raw('00'))]]) }), /^subject at byte \d+: BMPString of 1 bytes/],
    ['a UniversalString beyond Unicode', d.certificate({ subject: d.name([['2.5.4.3', d.tlv(0x1c, d.raw('ffffffff'))]]) }), /^subject at byte \d+: UniversalString holds 0xFFFFFFFF/],
    ['no bytes at all', new Uint8Array(0), /^certificate at byte 0: missing/],
    ['a validity with one time', d.certificate({ notAfter: new Uint8Array(0) }), /^notAfter at byte \d+: missing: the enclosing structure \(byte \d+\) ends before it/],
  ])('%s', (_label, der, message) => {
    expect(() => parseCertificate(der)).toThrow(message);
  });

  it('keeps the certificate when an extension is malformed, and says which and where', () => {
    const der = d.certificate({
      extensions: [
        d.seq(d.oid('1.3.6.1.5.5.7.1.1'), d.octets()), // empty AIA
        d.seq(d.oid('2.5.29.17'), d.octets(d.raw('3009a40730053103'))), // GeneralNames claiming more than the SAN holds
        d.extension('2.5.29.19', d.seq(d.bool(true)), true),
      ],
    });
    const info = parseCertificate(der).info;
    expect(info.isCA).toBe(true); // the extension after the broken ones is still read
    expect(info.sans).toEqual([]);
    expect(info.extensionErrors).toEqual([
      expect.stringMatching(/^authorityInfoAccess at byte \d+: missing/),
      expect.stringMatching(/^subjectAltName at byte \d+: length 9 runs past the end of its enclosing structure/),
    ]);
  });

  it('a malformed .der says what is wrong and where, not "garbage at byte 0"', () => {
    const good = d.certificate();
    const bad = Buffer.from(good);
    const at = bad.indexOf(Buffer.from('250101000000Z', 'latin1'));
    bad.write('250101550000Z', at, 'latin1'); // hour 55
    const result = parseFileContent('/etc/ssl/site.der', bad, []);
    expect(result.certificates).toEqual([]);
    expect(result.errors).toEqual([expect.stringMatching(/^corrupt certificate: notBefore at byte \d+: hour 55 out of range in UTCTime "250101550000Z"$/)]);
    expect(result.unrecognised).toBe(false);
  });

  it('DER that is no certificate at all still reads as unrecognised', () => {
    const result = parseFileContent('/etc/x.der', Buffer.from(d.seq(d.int(1), d.int(2))), []);
    expect(result.unrecognised).toBe(true);
    expect(result.errors[0]).toMatch(/^not a certificate: DER data that is neither a certificate, a private key nor PKCS#12 \(read as a certificate, tbsCertificate at byte 2: expected SEQUENCE, found INTEGER\)$/);
  });
});
