import { describe, expect, it } from 'vitest';
import { lifetimeDays, parseCertificate, parseSubjectAltName } from '../../../src/x509/certificate.js';
import { chain, issue } from '../../helpers/pki.js';

describe('parseCertificate', () => {
  it('reads the facts of a leaf in a chain', async () => {
    const { intermediate, leaf } = await chain({ commonName: 'www.a.test', sans: ['www.a.test', 'a.test', '127.0.0.1'], days: 45 });
    const { info } = parseCertificate(leaf.der);
    expect(info.subject).toBe('CN=www.a.test');
    expect(info.issuer).toBe('CN=certfleet Test Intermediate');
    expect(info.sans).toEqual(['www.a.test', 'a.test', '127.0.0.1']);
    expect(info.keyType).toBe('EC');
    expect(info.keyBits).toBe(256);
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(info.weakSignature).toBe(false);
    expect(info.isCA).toBe(false);
    expect(info.selfSigned).toBe(false);
    expect(info.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.serialNumber).toBe(leaf.cert.serialNumber.replace(/^0+/, '').toLowerCase());
    // The AKI of the leaf is the SKI of its issuer.
    expect(info.authorityKeyId).toBe(parseCertificate(intermediate.der).info.subjectKeyId);
    expect(info.notBefore).toBe(leaf.cert.notBefore.toISOString());
    expect(info.lifetimeDays).toBe(46); // 45 days + 1 second counts as a 46th day (BR 6.3.2)
  });

  it('tells RSA sizes, SHA-1 signatures, CA and self-signed certificates apart', async () => {
    const weak = await issue({ commonName: 'old.test', key: 'rsa-1024', hash: 'SHA-1' });
    const info = parseCertificate(weak.der).info;
    expect(info.keyType).toBe('RSA');
    expect(info.keyBits).toBe(1024);
    expect(info.signatureAlgorithm).toBe('sha1WithRSAEncryption');
    expect(info.weakSignature).toBe(true);
    expect(info.selfSigned).toBe(true);

    const root = parseCertificate((await issue({ commonName: 'Root', ca: true, key: 'rsa-3072' })).der).info;
    expect(root.isCA).toBe(true);
    expect(root.keyBits).toBe(3072);
    expect(parseCertificate((await issue({ commonName: 'p384', key: 'ec-p384' })).der).info.keyBits).toBe(384);
  });

  it('throws on bytes that are not a certificate', () => {
    expect(() => parseCertificate(Buffer.from('hello world'))).toThrow();
    expect(() => parseCertificate(Buffer.from([0x30, 0x82, 0x01]))).toThrow();
  });
});

describe('lifetimeDays', () => {
  it('counts notAfter - notBefore + 1 s, any part of a day as a whole day', () => {
    const start = Date.UTC(2026, 0, 1);
    expect(lifetimeDays(start, start + 90 * 86_400_000 - 1000)).toBe(90);
    expect(lifetimeDays(start, start + 90 * 86_400_000)).toBe(91);
  });
});

describe('parseSubjectAltName', () => {
  it('reads DNS and IP entries bare and keeps a prefix for other kinds', () => {
    expect(parseSubjectAltName('DNS:a.test, DNS:*.b.test, IP Address:127.0.0.1, email:x@y.test')).toEqual(['a.test', '*.b.test', '127.0.0.1', 'email:x@y.test']);
    expect(parseSubjectAltName(undefined)).toEqual([]);
  });

  it('reads values Node quotes because they contain a comma', () => {
    expect(parseSubjectAltName('DNS:"a, b.test", DNS:c.test')).toEqual(['a, b.test', 'c.test']);
  });
});
