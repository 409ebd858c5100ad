/**
 * CSRs for finalization, checked by openssl (an independent parser): the signature verifies,
 * every identifier is in the SAN (DNS and IP), the CN is the first DNS name, all key types work.
 * And checked against @peculiar/x509, which built them before csr.ts wrote the DER itself: the
 * same bytes for RSA (deterministic signatures), the same signed part for ECDSA.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCsr, ipAddressBytes, subjectPublicKeyInfo } from '../../../src/acme/csr.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { peculiarCsr } from '../../helpers/peculiar-csr.js';

const run = promisify(execFile);

async function openssl(der: Uint8Array): Promise<string> {
  const child = run('openssl', ['req', '-inform', 'DER', '-noout', '-text', '-verify']);
  child.child.stdin!.end(Buffer.from(der));
  const { stdout, stderr } = await child;
  return `${stdout}\n${stderr}`;
}

describe('createCsr', () => {
  for (const keyType of ['ec-p256', 'ec-p384', 'rsa-2048'] as const) {
    it(`makes a request openssl verifies, with a ${keyType} key`, async () => {
      const der = await createCsr(['www.example.test', 'example.test', '192.0.2.10'], await generatePrivateKey(keyType));
      const text = await openssl(der);
      expect(text).toMatch(/verify OK|Certificate request self-signature verify OK/);
      expect(text).toMatch(/Subject: CN ?= ?www\.example\.test\n/);
      expect(text).toContain('DNS:www.example.test, DNS:example.test, IP Address:192.0.2.10');
    });
  }

  it('leaves the CN out when no DNS name fits in 64 characters', async () => {
    const long = `${'a'.repeat(60)}.example.test`;
    const text = await openssl(await createCsr([long], await generatePrivateKey('ec-p256')));
    expect(text).not.toMatch(/CN ?=/);
    expect(text).toContain(`DNS:${long}`);
  });

  it('refuses no identifiers and unusable keys', async () => {
    await expect(createCsr([], await generatePrivateKey('ec-p256'))).rejects.toThrow(/at least one identifier/);
    const { generateKeyPairSync } = await import('node:crypto');
    const ed = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await expect(createCsr(['x.test'], ed)).rejects.toThrow(/not supported/);
  });

  it('takes a KeyObject as well as PEM text', async () => {
    const pem = await generatePrivateKey('ec-p256');
    const text = await openssl(await createCsr(['ko.example.test'], createPrivateKey(pem)));
    expect(text).toMatch(/verify OK/);
    expect(text).toContain('DNS:ko.example.test');
    await expect(createCsr(['x.test'], createPublicKey(pem))).rejects.toThrow(/private key/);
    await expect(createCsr(['x.test'], '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n')).rejects.toThrow(/certificate key cannot be read/);
  });

  it('refuses names a dNSName cannot hold and IPv6 zones', async () => {
    const key = await generatePrivateKey('ec-p256');
    await expect(createCsr(['bücher.example'], key)).rejects.toThrow(/xn-- form/);
    await expect(createCsr(['fe80::1%eth0'], key)).rejects.toThrow(/not an IP address a certificate can name/);
  });

  it('encodes an IPv6 address with a dotted IPv4 tail as openssl reads it (@peculiar/x509 got it wrong)', async () => {
    const text = await openssl(await createCsr(['::ffff:192.0.2.1'], await generatePrivateKey('ec-p256')));
    expect(text).toContain('IP Address:0:0:0:0:0:FFFF:C000:201');
  });

  it('writes the SubjectPublicKeyInfo OpenSSL writes, for every key it takes', () => {
    const keys = [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
      generateKeyPairSync('rsa', { modulusLength: 3072 }).privateKey,
      // An exponent of 3, and a modulus length that is no multiple of 8.
      generateKeyPairSync('rsa', { modulusLength: 2047, publicExponent: 3 }).privateKey,
    ];
    for (const key of keys) {
      expect(subjectPublicKeyInfo(key).toString('hex')).toBe(createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('hex'));
    }
  });

  it('encodes IPv6 addresses in all their spellings', () => {
    expect(ipAddressBytes('2001:db8::1').toString('hex')).toBe('20010db8000000000000000000000001');
    expect(ipAddressBytes('::').toString('hex')).toBe('0'.repeat(32));
    expect(ipAddressBytes('1::').toString('hex')).toBe('0001' + '0'.repeat(28));
    expect(ipAddressBytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
    expect(ipAddressBytes('1:2:3:4:5:6:7:8').toString('hex')).toBe('00010002000300040005000600070008');
    expect(ipAddressBytes('192.0.2.10').toString('hex')).toBe('c000020a');
  });
});

describe('createCsr against @peculiar/x509', () => {
  // A wildcard CN is a UTF8String (`*` is not printable), a plain one a PrintableString; 300
  // names take the lengths past two bytes; the IPs cover every IPv6 spelling.
  const cases: Array<[string, string[]]> = [
    ['one name', ['www.example.test']],
    ['a wildcard first', ['*.example.test', 'example.test']],
    // Not '::ffff:192.0.2.1': @peculiar/x509 read its dotted tail as the hex group 0192 (see below).
    ['IPs only, no CN', ['192.0.2.10', '2001:db8::1', '::', '1::', 'fe80::1:2:3']],
    ['a first name too long for the CN', [`${'a'.repeat(60)}.example.test`, 'short.example.test']],
    ['300 names', Array.from({ length: 300 }, (_, i) => `host-${i}.example.test`)],
  ];

  for (const [what, identifiers] of cases) {
    it(`is the same DER with an RSA key: ${what}`, async () => {
      const pem = await generatePrivateKey('rsa-2048');
      expect(Buffer.from(await createCsr(identifiers, pem)).toString('hex')).toBe(Buffer.from(await peculiarCsr(identifiers, pem)).toString('hex'));
    });
  }

  for (const keyType of ['ec-p256', 'ec-p384'] as const) {
    it(`signs the same request info with a ${keyType} key, and the signature verifies`, async () => {
      const pem = await generatePrivateKey(keyType);
      const ids = ['*.example.test', 'example.test', '192.0.2.10', '2001:db8::1'];
      const ours = Buffer.from(await createCsr(ids, pem));
      const theirs = Buffer.from(await peculiarCsr(ids, pem));
      const [info, algorithm, signature] = topLevel(ours);
      const [theirInfo, theirAlgorithm] = topLevel(theirs);
      expect(info.toString('hex')).toBe(theirInfo.toString('hex'));
      expect(algorithm.toString('hex')).toBe(theirAlgorithm.toString('hex'));
      // BIT STRING content: a zero unused-bits byte, then the DER ECDSA signature.
      const value = signature.subarray(signature[1]! < 0x80 ? 2 : 2 + (signature[1]! & 0x7f));
      expect(value[0]).toBe(0);
      expect(verify(keyType === 'ec-p256' ? 'sha256' : 'sha384', info, createPublicKey(pem), value.subarray(1))).toBe(true);
    });
  }
});

/** The three TLVs of a CertificationRequest, each whole (tag and length included). */
function topLevel(der: Buffer): [Buffer, Buffer, Buffer] {
  const header = (at: number) => {
    const first = der[at + 1]!;
    if (first < 0x80) return { head: 2, length: first };
    const n = first & 0x7f;
    return { head: 2 + n, length: der.subarray(at + 2, at + 2 + n).readUIntBE(0, n) };
  };
  const outer = header(0);
  const parts: Buffer[] = [];
  for (let at = outer.head; at < der.length; ) {
    const { head, length } = header(at);
    parts.push(der.subarray(at, at + head + length));
    at += head + length;
  }
  expect(parts).toHaveLength(3);
  return parts as [Buffer, Buffer, Buffer];
}
