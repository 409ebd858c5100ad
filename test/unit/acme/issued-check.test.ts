/**
 * checkIssuedCertificate: a certificate the CA returns is accepted only for the CSR's key, exactly
 * the ordered names, valid now, and issued by the chain's first certificate. Every key and
 * certificate is made here at test time (test/helpers/pki.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AcmeError, createCsr } from '../../../src/acme/index.js';
import { checkIssuedCertificate, ISSUED_CLOCK_SKEW_MS, type OrderedCertificate } from '../../../src/acme/issued-check.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { chain, issue, issueForCsr, type Issued } from '../../helpers/pki.js';

const ORDER = 'https://ca.test/order/7';
const names = ['www.example.test', 'example.test'];
let intermediate: Issued;
let csrDer: Uint8Array;
let ordered: OrderedCertificate;

beforeAll(async () => {
  ({ intermediate } = await chain({ commonName: 'unused.test' }));
  csrDer = await createCsr(names, await generatePrivateKey('ec-p256'));
  ordered = { orderUrl: ORDER, identifiers: names, csrDer, now: new Date() };
});

/** The message of the mismatch thrown, after checking it is the typed one. */
function failure(pem: string, expected: OrderedCertificate = ordered): string {
  let thrown: unknown;
  try {
    checkIssuedCertificate(pem, expected);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(AcmeError);
  expect(thrown).toMatchObject({ code: 'acme-issued-mismatch', exitCode: 1 });
  const message = (thrown as Error).message;
  expect(message).toContain(`order ${ORDER}:`);
  return message;
}

const fingerprint = (pem: string) => `SHA256:${parseCertificate(new Uint8Array(Buffer.from(pem.split('-----')[2]!.replace(/\s/g, ''), 'base64'))).info.publicKeyFingerprintSha256.slice(0, 16)}`;

describe('checkIssuedCertificate', () => {
  it('accepts the leaf for the CSR key and the ordered names, with or without its chain', async () => {
    const leaf = await issueForCsr(csrDer, {}, intermediate);
    expect(() => checkIssuedCertificate(leaf.certPem + intermediate.certPem, ordered)).not.toThrow();
    expect(() => checkIssuedCertificate(leaf.certPem, ordered)).not.toThrow();
    const rsaCsr = await createCsr(names, await generatePrivateKey('rsa-2048'));
    const rsaLeaf = await issueForCsr(rsaCsr, {}, intermediate);
    expect(() => checkIssuedCertificate(rsaLeaf.certPem + intermediate.certPem, { ...ordered, csrDer: rsaCsr })).not.toThrow();
  });

  it('compares names case-insensitively, IDNs as A-labels, IP addresses by value', async () => {
    const ids = ['xn--bcher-kva.example', 'www.example.test', '2001:db8::1', '192.0.2.7'];
    const csr = await createCsr(ids, await generatePrivateKey('ec-p256'));
    const leaf = await issueForCsr(csr, { sans: ['XN--BCHER-KVA.example', 'WWW.Example.TEST', '2001:db8::1', '192.0.2.7'] }, intermediate);
    const written = ['bücher.example', 'www.example.test.', '2001:DB8:0:0:0:0:0:1', '192.0.2.7'];
    expect(() => checkIssuedCertificate(leaf.certPem + intermediate.certPem, { ...ordered, identifiers: written, csrDer: csr })).not.toThrow();
  });

  it('refuses a leaf for another key, naming both keys', async () => {
    const other = await issue({ commonName: 'www.example.test', sans: names }, intermediate);
    const message = failure(other.certPem + intermediate.certPem);
    const csrLeaf = await issueForCsr(csrDer, {}, intermediate);
    expect(message).toContain(`it certifies key ${fingerprint(other.certPem)} but the CSR's key is ${fingerprint(csrLeaf.certPem)}`);
    expect(message).not.toContain('names differ');
  });

  it('refuses a leaf missing an ordered name', async () => {
    const leaf = await issueForCsr(csrDer, { sans: ['www.example.test'] }, intermediate);
    expect(failure(leaf.certPem + intermediate.certPem)).toContain('names differ: missing example.test');
  });

  it('refuses a leaf with a name that was not ordered', async () => {
    const leaf = await issueForCsr(csrDer, { sans: [...names, 'fake.test'] }, intermediate);
    const message = failure(leaf.certPem + intermediate.certPem);
    expect(message).toContain('names differ: extra fake.test');
    expect(message).not.toContain('missing');
  });

  it('names every difference of a wrong leaf at once: key, missing and extra names', async () => {
    const wrong = await issue({ commonName: 'fake.test', sans: ['fake.test'], days: 2 });
    const message = failure(wrong.certPem);
    expect(message).toContain(`(serial ${parseCertificate(wrong.der).info.serialNumber})`);
    expect(message).toMatch(/it certifies key SHA256:[0-9a-f]{16} but the CSR's key is SHA256:[0-9a-f]{16}/);
    expect(message).toContain('names differ: missing www.example.test, example.test, extra fake.test');
  });

  it('refuses a leaf not valid yet, beyond the allowed clock skew', async () => {
    const now = ordered.now.getTime();
    const early = await issueForCsr(csrDer, { notBefore: new Date(now + ISSUED_CLOCK_SKEW_MS + 60_000), days: 2 }, intermediate);
    expect(failure(early.certPem + intermediate.certPem)).toContain('it is not valid before');
    // A CA clock a minute ahead is not an error.
    const skewed = await issueForCsr(csrDer, { notBefore: new Date(now + 60_000), days: 2 }, intermediate);
    expect(() => checkIssuedCertificate(skewed.certPem + intermediate.certPem, ordered)).not.toThrow();
  });

  it('refuses an expired leaf', async () => {
    const now = ordered.now.getTime();
    const expired = await issueForCsr(csrDer, { notBefore: new Date(now - 3 * 86_400_000), notAfter: new Date(now - 60_000) }, intermediate);
    expect(failure(expired.certPem + intermediate.certPem)).toContain('it expired at');
  });

  it('refuses a leaf the chain\'s first certificate did not issue: another issuer name, or the same name with another key', async () => {
    const leaf = await issueForCsr(csrDer, {}, intermediate);
    const { intermediate: elsewhere } = await chain({ commonName: 'unused.test' });
    const otherName = await issue({ commonName: 'Another Intermediate', ca: true });
    expect(failure(leaf.certPem + otherName.certPem)).toContain('its issuer is "CN=certfleet Test Intermediate" but the chain\'s first certificate is "CN=Another Intermediate"');
    expect(failure(leaf.certPem + elsewhere.certPem)).toContain('its signature does not verify with the key of the chain\'s first certificate ("CN=certfleet Test Intermediate")');
  });

  it('refuses an answer with no certificate in it', () => {
    expect(failure('not a certificate')).toContain('the CA returned no certificate');
  });
});
