// Benchmark corpora: many distinct, real-format certificates, fast. A few real certificates are
// minted with @peculiar/x509, then copied with different serial numbers (same length, so the DER
// stays well-formed; parse cost does not depend on the signature being valid).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

/** A 15-byte serial each copy overwrites: one signed certificate becomes many distinct ones, cheaply. */
export const MARK = 'c0ffee00c0ffee00c0ffee00c0ffee';

async function baseCertificates() {
  const out = [];
  const kinds = [
    { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
    { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' },
  ];
  const now = Date.now();
  for (let i = 0; i < 12; i++) {
    const alg = kinds[i % kinds.length];
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: MARK,
      subject: `CN=host${i}.bench.test`,
      issuer: 'CN=certfleet Bench CA',
      notBefore: new Date(now - (i + 1) * 86_400_000),
      notAfter: new Date(now + (30 + i * 10) * 86_400_000),
      signingAlgorithm: alg.name === 'ECDSA' ? { name: 'ECDSA', hash: alg.hash } : alg,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: `host${i}.bench.test` }, { type: 'dns', value: `www.host${i}.bench.test` }]),
      ],
    });
    out.push(Buffer.from(cert.rawData));
  }
  return out;
}

export function variant(base, n) {
  const der = Buffer.from(base);
  const at = der.indexOf(Buffer.from(MARK, 'hex'));
  if (at < 0) throw new Error('serial marker not found');
  der.writeUInt32BE(n >>> 0, at + 11);
  der[at + 10] = 0x42; // keep the INTEGER positive and distinct from the base
  return der;
}

function pem(der) {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/**
 * Writes `certificates` certificates into a directory tree (100 files a folder): single PEMs,
 * two-certificate PEM bundles and DER files in the proportions given. Cached by its parameters.
 */
export async function ensureCorpus(dir, { certificates, bundles, der }) {
  const stamp = join(dir, '.complete');
  const id = JSON.stringify({ certificates, bundles, der, v: 1 });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === id) return countFiles();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const bases = await baseCertificates();
  let n = 0;
  let file = 0;
  const next = () => variant(bases[n % bases.length], n++);
  const path = (ext) => {
    const folder = join(dir, `d${Math.floor(file / 100)}`);
    if (file % 100 === 0) mkdirSync(folder, { recursive: true });
    return join(folder, `cert${file++}.${ext}`);
  };
  for (let i = 0; i < bundles; i++) writeFileSync(path('pem'), pem(next()) + pem(next()));
  for (let i = 0; i < der; i++) writeFileSync(path('der'), next());
  while (n < certificates) writeFileSync(path('crt'), pem(next()));
  writeFileSync(stamp, id);
  return file;

  function countFiles() {
    return bundles + der + (certificates - 2 * bundles - der);
  }
}
