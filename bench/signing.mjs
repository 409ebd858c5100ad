// npm run bench:signing: the two per-issuance key costs issue 9 item 7 is about, old path against new.
//   jws: one ACME request signature. Old: acme-client's HttpClient holding the PEM (its Client makes
//        a Buffer of it), so OpenSSL decodes the key on every request. New: AcmeSigner, which
//        hands acme-client a KeyObject made once per account. An issuance signs ~9 requests.
//   csr: the certificate signing request. Old: @peculiar/x509 over WebCrypto, the key decoded
//        three times and imported twice. New: createCsr writing the DER itself, from the PEM
//        (decoded once) and from a KeyObject (decoded never).
// Prints operations per second (median of 3 rounds of ~1 s) and each ratio new/old, then what that
// saves per issuance. Needs dist/ (npm run build). Nothing here touches the network.
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { median } from './run-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const dist of ['dist/acme/signer.js', 'dist/acme/csr.js']) {
  if (!existsSync(join(root, dist))) throw new Error(`${dist} is missing: build first (npm run build)`);
}
const { AcmeSigner } = await import(join(root, 'dist/acme/signer.js'));
const { createCsr } = await import(join(root, 'dist/acme/csr.js'));
const { Client } = createRequire(import.meta.url)('acme-client');

const SIGNED_REQUESTS_PER_ISSUANCE = 9;
const ROUND_MS = 1000;

/** Operations per second of `op` (sync or async): median of 3 rounds of about ROUND_MS each. */
async function rate(op) {
  for (let i = 0; i < 20; i++) await op(); // warm-up: lazy loads, JIT
  const rounds = [];
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < ROUND_MS) {
      for (let i = 0; i < 10; i++) await op();
      n += 10;
      elapsed = performance.now() - start;
    }
    rounds.push((n / elapsed) * 1000);
  }
  return median(rounds);
}

/** The CSR as certfleet built it before (src/acme/csr.ts at the parent commit), for the old figure. */
async function peculiarCsr(identifiers, keyPem) {
  const key = createPrivateKey(keyPem);
  const named = key.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'P-256' : 'P-384';
  const rsa = key.asymmetricKeyType === 'rsa';
  const importParams = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: named };
  const signing = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: named === 'P-256' ? 'SHA-256' : 'SHA-384' };
  const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, importParams, true, ['verify']);
  const commonName = identifiers.find((id) => isIP(id) === 0 && id.length <= 64);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: commonName ? [{ CN: [commonName] }] : [],
      keys: { privateKey, publicKey },
      signingAlgorithm: signing,
      extensions: [new x509.SubjectAlternativeNameExtension(identifiers.map((id) => (isIP(id) ? { type: 'ip', value: id } : { type: 'dns', value: id })))],
    },
    webcrypto,
  );
  return new Uint8Array(csr.rawData);
}

const pem = (key) => key.export({ type: 'pkcs8', format: 'pem' });
const fmt = (perSecond) => `${perSecond.toFixed(0)}/s (${(1000 / perSecond).toFixed(3)} ms each)`;
const url = 'https://acme.example.test/acme/new-order';
const payload = { identifiers: [{ type: 'dns', value: 'www.example.test' }] };
const identifiers = ['www.example.test', 'example.test'];
let savedMs = 0;

for (const [label, key, isAccountDefault] of [
  ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, true],
  ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, false],
]) {
  const oldHttp = new Client({ directoryUrl: 'https://acme.example.test/dir', accountKey: pem(key) }).http;
  const signer = new AcmeSigner({ directoryUrl: 'https://acme.example.test/dir', key: createPrivateKey(pem(key)), transport: {}, badNonceRetries: 0 });
  const oldJws = await rate(() => oldHttp.createSignedBody(url, payload));
  const newJws = await rate(() => signer.signDetached(url, payload));
  console.log(`signing: ${label} JWS, acme-client with the PEM: ${fmt(oldJws)}; AcmeSigner with a KeyObject: ${fmt(newJws)}; ratio ${(newJws / oldJws).toFixed(1)}x`);
  if (isAccountDefault) savedMs += SIGNED_REQUESTS_PER_ISSUANCE * (1000 / oldJws - 1000 / newJws);
}

for (const [label, key, isCertDefault] of [
  ['EC P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, true],
  ['RSA 2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, false],
]) {
  const text = pem(key);
  const oldCsr = await rate(() => peculiarCsr(identifiers, text));
  const newFromPem = await rate(() => createCsr(identifiers, text));
  const newFromKey = await rate(() => createCsr(identifiers, key));
  console.log(
    `signing: ${label} CSR, @peculiar/x509 from the PEM: ${fmt(oldCsr)}; createCsr from the PEM: ${fmt(newFromPem)}, ratio ${(newFromPem / oldCsr).toFixed(1)}x; ` +
      `from a KeyObject: ${fmt(newFromKey)}, ratio ${(newFromKey / oldCsr).toFixed(1)}x`,
  );
  // renew-certificate.ts hands createCsr the PEM it generated or kept: the PEM figure is the one a run sees.
  if (isCertDefault) savedMs += 1000 / oldCsr - 1000 / newFromPem;
}

console.log(
  `signing: CPU saved per issuance (P-256 keys, ${SIGNED_REQUESTS_PER_ISSUANCE} signed requests + 1 CSR): ${savedMs.toFixed(2)} ms; ` +
    `at the measured ~31 ms of node CPU a certificate that is ${((savedMs / 31) * 100).toFixed(0)}%`,
);
