/**
 * certfleet's DER parser against `openssl x509`, field by field, over a corpus built at test time
 * (openssl for real keys and signatures, test/helpers/der-builder.ts for every oddity): for each
 * certificate certfleet reports what OpenSSL reports, or refuses it with an error naming the field,
 * the defect and its byte offset. Nothing here is committed but the recipes.
 */
import { describe, expect, it } from 'vitest';
import { parseCertificate, type CertificateInfo } from '../../src/x509/certificate.js';
import { DerError } from '../../src/x509/der.js';
import { comparableSans, opensslView, type OpensslView } from '../helpers/openssl-view.js';
import { tempDir } from '../helpers/pki.js';
import { buildCorpus } from '../helpers/x509-corpus.js';

const dir = tempDir('certfleet-x509-diff-');

function ours(der: Uint8Array): CertificateInfo | DerError {
  try {
    return parseCertificate(der).info;
  } catch (err) {
    if (err instanceof DerError) return err;
    throw err;
  }
}

/** Field-by-field agreement of certfleet with OpenSSL on a certificate both read. */
function expectAgreement(info: CertificateInfo, view: OpensslView): void {
  expect(info.serialNumber).toBe(view.serial);
  expect(info.subject).toBe(view.subject);
  expect(info.issuer).toBe(view.issuer);
  expect(info.notBefore).toBe(view.notBefore);
  expect(info.notAfter).toBe(view.notAfter);
  expect(info.signatureAlgorithm).toBe(view.signatureAlgorithm);
  expect(info.keyType).toBe(view.keyType);
  if (view.keyBits !== undefined) expect(info.keyBits).toBe(view.keyBits);
  const sanErrors = (info.extensionErrors ?? []).filter((e) => e.startsWith('subjectAltName'));
  const readable = view.sanExtensions.filter((s): s is string[] => s !== undefined).flat();
  if (sanErrors.length === 0) expect(view.sanExtensions.every((s) => s !== undefined)).toBe(true);
  expect(comparableSans(info.sans)).toEqual(readable);
}

describe('certfleet reads certificates as openssl x509 does', () => {
  const cases = buildCorpus(dir);

  it.each(cases.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const view = opensslView(c.der, dir);
    const result = ours(c.der);
    if (c.rejects) {
      expect(result).toBeInstanceOf(DerError);
      expect((result as DerError).message).toMatch(c.rejects);
      // OpenSSL refuses the certificate, or cannot read the very field certfleet names.
      const field = (result as DerError).field;
      if (view.loaded && (field === 'notBefore' || field === 'notAfter')) expect(view[field]).toBe('bad');
      else if (view.loaded) expect(field).toBe('signatureAlgorithm'); // RFC 5280 4.1.1.2: a real defect OpenSSL overlooks
      return;
    }
    expect(view.loaded).toBe(true);
    if (result instanceof DerError) throw result;
    expectAgreement(result, view);
    if (c.extensionError) expect(result.extensionErrors?.join('\n')).toMatch(c.extensionError);
    else expect(result.extensionErrors).toBeUndefined();
  });

  it('covers what the issue lists: explicit EC keys sized, brainpool and secp256k1 named, not EC 0', () => {
    const byLabel = new Map(cases.map((c) => [c.label, ours(c.der)]));
    const explicit = byLabel.get('EC with explicit parameters (prime256v1)') as CertificateInfo;
    expect([explicit.keyType, explicit.keyBits, explicit.curve]).toEqual(['EC', 256, 'explicit']);
    expect((byLabel.get('EC brainpoolP384r1') as CertificateInfo).curve).toBe('brainpoolP384r1');
    expect((byLabel.get('negative serial') as CertificateInfo).serialNumber).toBe('-04316693ed');
    expect((byLabel.get('UTCTime with a zone offset (-0600)') as CertificateInfo).notBefore).toBe('2025-01-01T06:00:00.000Z');
    expect((byLabel.get('GeneralizedTime year 0001 and 9999') as CertificateInfo).notBefore).toBe('0001-01-01T00:00:00.000Z');
    expect((byLabel.get('empty RDN, telephoneNumber, postOfficeBox, an OID OpenSSL does not know') as CertificateInfo).subject)
      .toBe('telephoneNumber=+1 555 0100, postOfficeBox=PO 7, 1.2.3.4.5=x');
    expect((byLabel.get('control characters and a backslash in a name') as CertificateInfo).subject).toBe('CN=a\\0Ab\\\\c\\1B[31m');
  });
});
