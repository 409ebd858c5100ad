import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { lifetimeDays, parseCertificate } from '../../../src/x509/certificate.js';
import { chain, issue, tempDir } from '../../helpers/pki.js';

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

describe('DER names and SANs agree with node:crypto', () => {
  // openssl makes certificates with the string types and SAN kinds found in the wild.
  const cases: Array<{ subj: string; san: string; args?: string[] }> = [
    { subj: '/C=US/ST=California/O=Example, Inc./OU=Ops/CN=www.example.test', san: 'DNS:www.example.test,DNS:*.example.test,IP:192.0.2.7,IP:2001:db8::1,email:ops@example.test,URI:https://example.test/' },
    { subj: '/C=DE/O=Müller & Söhne GmbH/CN=shop.müller.test', san: 'DNS:xn--mller-kva.test', args: ['-utf8'] },
    { subj: '/DC=test/DC=example/CN=host+UID=42', san: 'IP:::1,IP:2001:db8:0:0:1:0:0:1,IP:fe80:0:0:1:0:0:0:0', args: ['-multivalue-rdn'] },
    { subj: '/CN=no-san.test', san: '' },
  ];

  it.each(cases)('$subj', ({ subj, san, args = [] }) => {
    const dir = tempDir();
    const ext = san ? ['-addext', `subjectAltName=${san}`] : [];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${dir}/k.pem`, '-out', `${dir}/c.pem`,
      '-days', '5', '-subj', subj, ...args, ...ext], { stdio: 'ignore' });
    const pem = readFileSync(`${dir}/c.pem`);
    const node = new X509Certificate(pem);
    const ours = parseCertificate(node.raw).info;
    expect(ours.subject).toBe(node.subject.split('\n').join(', ').replace(/\\,/g, ','));
    expect(ours.issuer).toBe(ours.subject);
    expect(ours.serialNumber).toBe(node.serialNumber.toLowerCase().replace(/^(00)+(?=.)/, ''));
    expect(ours.selfSigned).toBe(true);
    const nodeSans = (node.subjectAltName ?? '').split(', ').filter(Boolean).map((entry) => {
      const [kind, ...rest] = entry.split(':');
      const value = rest.join(':');
      if (kind === 'DNS') return value;
      if (kind === 'IP Address') return isIP(value) === 6 ? new URL(`http://[${value}]`).hostname.slice(1, -1) : value;
      return `${kind!.toLowerCase()}:${value}`;
    });
    expect(ours.sans).toEqual(nodeSans);
  });
});
