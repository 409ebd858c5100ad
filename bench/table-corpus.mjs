// The corpus for the table benchmark: certificates with what a real fleet's table rows carry
// (long organisation names, UTF-8 and CJK names, several SANs, some with none, intermediate CAs
// with long names, RSA and EC keys) and a finding on every one (all expired, some weak too), so
// `--format table` draws its full 500 rows. Minted with @peculiar/x509 and copied with new serial
// numbers, as in corpus.mjs; one certificate in five is also copied to a second file, as fleets do.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { MARK, variant } from './corpus.mjs';

x509.cryptoProvider.set(webcrypto);


const subjects = [
  { cn: 'shop.example-handel.ch', rest: 'OU=E-Commerce Platform Operations, O=Example Handelsgesellschaft mbH & Co. KG, L=Zürich, ST=Zürich, C=CH', sans: 6 },
  { cn: 'Internal Billing Service Backend Node 3', rest: 'OU=Finance IT, O=Example Corporation International Holdings, C=US', sans: 0 },
  { cn: 'portal.例え.jp', rest: 'O=例示株式会社 東京本社, L=千代田区, ST=東京都, C=JP', sans: 3 },
  { cn: 'api.payments.eu-west-1.internal.example.com', rest: 'O=Example Payments Europe S.à r.l., L=Luxembourg, C=LU', sans: 8 },
  { cn: 'mail.example.org', rest: 'O=Example Non-Profit Foundation, C=GB', sans: 2 },
  { cn: 'Legacy SCADA Gateway (Building 7 Floor 2)', rest: 'OU=Operational Technology, O=Example Utilities Netz GmbH, L=München, C=DE', sans: 0 },
];
const issuers = [
  'CN=Example Corp Issuing CA 2 - G2, OU=Public Key Infrastructure, O=Example Corp, C=DE',
  "CN=R11, O=Let's Encrypt, C=US",
  'CN=例示 Internal Server CA 2021, O=例示株式会社, C=JP',
];
const algorithms = [
  { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-1' },
];

async function baseCertificates() {
  const out = [];
  for (let i = 0; i < 12; i++) {
    const s = subjects[i % subjects.length];
    const alg = algorithms[i % algorithms.length];
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const labels = ['www', 'static', 'cdn-edge-frankfurt', 'login', 'status', 'assets-eu', 'm', 'legacy-redirect'];
    const sans = labels.slice(0, s.sans).map((l) => ({ type: 'dns', value: `${l}.${i}.${s.cn.replace(/[^a-z0-9.-]/gi, '')}` }));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: MARK,
      subject: `CN=${s.cn}, ${s.rest}`,
      issuer: issuers[i % issuers.length],
      // Fixed dates in the past: every copy is expired whenever the bench runs. One date for all, so
      // the table's 500 most urgent rows mix every kind above instead of the one expiring first.
      notBefore: new Date(Date.UTC(2021, 5, 1)),
      notAfter: new Date(Date.UTC(2022, 5, 1)),
      signingAlgorithm: alg.name === 'ECDSA' ? { name: 'ECDSA', hash: alg.hash } : alg,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true), ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [])],
    });
    out.push(Buffer.from(cert.rawData));
  }
  return out;
}

function pem(der) {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

const tenants = ['acme-retail-switzerland', 'example-payments-europe', 'internal-finance', 'tokyo-portal', 'ot-gateways'];

/** `certificates` distinct certificates under `dir` (100 files a folder), cached by its parameters. */
export async function ensureTableCorpus(dir, { certificates }) {
  const stamp = join(dir, '.complete');
  const id = JSON.stringify({ certificates, v: 3 });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === id) return;
  rmSync(dir, { recursive: true, force: true });
  const bases = await baseCertificates();
  let file = 0;
  const path = (ext) => {
    const folder = join(dir, 'srv', 'tenants', tenants[Math.floor(file / 100) % tenants.length], 'tls', `service-${Math.floor(file / 100)}`);
    if (file % 100 === 0) mkdirSync(folder, { recursive: true });
    return join(folder, `certificate-${file++}.${ext}`);
  };
  for (let n = 0; n < certificates; n++) {
    const text = pem(variant(bases[n % bases.length], n));
    writeFileSync(path('pem'), text);
    if (n % 5 === 0) writeFileSync(path('crt'), text);
  }
  writeFileSync(stamp, id);
}
