// npm run bench:report: `certfleet report` over a saved inventory of 100,000 certificates, every
// format. Prints each format run on its own (wall time, output size, peak RSS) and their sum, then
// all formats written by one run (`--format summary,json,... --output all.{ext}`), the figure the
// target is about (all formats in under 10 s), and its ratio to the target.
// The inventory (with managed state for a tenth of the fleet and a drill) is synthesised as the
// JSON `certfleet inventory --format json` writes: the report reads facts, not DER, so minting
// 100,000 real certificates would only measure the inventory again (bench/inventory.mjs does).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, runCli } from './run-cli.mjs';

const TARGET_SECONDS = 10;
const COUNT = Number(process.argv[2] ?? 100_000);
const here = fileURLToPath(new URL('.', import.meta.url));
const root = `${here}.corpus/report-${COUNT}`;
const inventoryFile = `${root}/inventory.json`;
const stateDir = `${root}/state`;
const formats = ['summary', 'json', 'markdown', 'html', 'csv', 'sarif', 'prometheus'];
const DAY = 86_400_000;
const AS_OF = '2026-11-22';

function synthesise() {
  const sha = (text) => createHash('sha256').update(text).digest('hex');
  const asOf = Date.parse(`${AS_OF}T00:00:00Z`);
  const certificates = [];
  const managed = [];
  const drilled = [];
  const le = "C=US, O=Let's Encrypt, CN=R11";
  const commercial = 'C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1';
  for (let i = 0; i < COUNT; i++) {
    const kind = i % 20; // 0-6 certbot, 7-8 managed, 9-13 manual PEM + nginx, 14-15 keystores, 16-17 endpoints, 18 acme.sh, 19 wildcard
    const host = `h${i}.fleet${i % 997}.example.com`;
    const days = kind <= 6 || kind === 18 ? 90 : kind <= 8 ? 45 : kind === 15 ? 200 : i % 3 === 0 ? 398 : 365;
    const age = (i * 7919) % days; // spread issuance over the lifetime
    const notBefore = new Date(asOf - age * DAY);
    const notAfter = new Date(notBefore.getTime() + days * DAY - 1000);
    const dir = `/srv/sites/group${i % 500}`;
    const names = kind === 19 ? [`*.w${i}.example.com`, `w${i}.example.com`] : [host, `www.${host}`];
    const sources =
      kind <= 6 ? [{ kind: 'file', location: `/etc/letsencrypt/live/${host}/cert.pem`, format: 'pem' }, { kind: 'proxy', location: `/etc/nginx/sites-enabled/s${i % 300}.conf:${10 + (i % 90)}`, proxy: 'nginx', configFile: `/etc/nginx/sites-enabled/s${i % 300}.conf`, line: 10 + (i % 90), certificateFile: `/etc/letsencrypt/live/${host}/fullchain.pem`, serverNames: names, chainPosition: 0 }]
      : kind <= 8 ? [{ kind: 'file', location: `/var/lib/certfleet/live/c${i}/fullchain.pem`, format: 'pem' }]
      : kind <= 13 || kind === 19 ? [{ kind: 'file', location: `${dir}/${host}.pem`, format: 'pem' }, { kind: 'proxy', location: `/etc/nginx/conf.d/g${i % 500}.conf:${5 + (i % 50)}`, proxy: 'nginx', configFile: `/etc/nginx/conf.d/g${i % 500}.conf`, line: 5 + (i % 50), certificateFile: `${dir}/${host}.pem`, serverNames: names, chainPosition: 0 }]
      : kind === 14 ? [{ kind: 'file', location: `/opt/app${i % 200}/keystore.jks`, format: 'jks', entry: `alias${i}` }]
      : kind === 15 ? [{ kind: 'file', location: `/opt/pay${i % 200}/store.p12`, format: 'pkcs12', entry: '0' }]
      : kind <= 17 ? [{ kind: 'endpoint', location: `${host}:${kind === 16 ? 443 : 25}`, host, port: kind === 16 ? 443 : 25, ...(kind === 17 ? { starttls: 'smtp' } : {}), protocol: 'TLSv1.3', chainPosition: 0, trusted: true, nameMatches: i % 50 !== 0 }]
      : [{ kind: 'file', location: `/root/.acme.sh/${host}_ecc/fullchain.cer`, format: 'pem' }];
    const findings = [];
    if (notAfter.getTime() - asOf < (days * DAY) / 3) findings.push({ id: 'expiring', severity: 'warning', message: `expires ${notAfter.toISOString().slice(0, 10)}` });
    if (days > 200 && notBefore.getTime() >= Date.parse('2026-03-15')) findings.push({ id: 'lifetime-exceeds-policy', severity: 'warning', message: `lifetime ${days} days exceeds 200` });
    if (kind === 16 && i % 50 === 0) findings.push({ id: 'hostname-mismatch', severity: 'error', message: 'name not covered', location: `${host}:443` });
    const mustStaple = kind <= 6 && i % 200 === 0;
    if (mustStaple) findings.push({ id: 'must-staple', severity: 'warning', message: 'OCSP Must-Staple' });
    const fingerprintSha256 = sha(`c${i}`);
    certificates.push({
      fingerprintSha256, subject: `CN=${names[0]}`, issuer: kind <= 8 || kind === 18 ? le : commercial, serialNumber: fingerprintSha256.slice(0, 32),
      notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), lifetimeDays: days, sans: names, commonName: names[0],
      keyType: 'EC', keyBits: 256, curve: 'prime256v1', signatureAlgorithm: 'ecdsa-with-SHA256', weakSignature: false,
      publicKeyFingerprintSha256: sha(`k${i}`), isCA: false, selfIssued: false, selfSigned: false, mustStaple, hasOcspUrl: mustStaple, sources, findings,
    });
    if (kind === 7 || kind === 8) {
      managed.push({ name: `c${i}`, domains: names, fingerprintSha256, schedule: i % 3 === 0 ? { runIntervalMinutes: 1440, usesAri: false, fixedDaysBeforeExpiry: 30 } : { runIntervalMinutes: 60, usesAri: true }, challenge: { type: i % 4 === 0 ? 'dns-01' : 'http-01', lastValidatedAt: notBefore.toISOString() }, ca: 'letsencrypt', profile: 'tlsserver' });
    }
    if (i % 200 === 0) drilled.push({ fingerprintSha256, automated: kind <= 8 || kind === 18, secondsToReplace: kind <= 8 || kind === 18 ? 300 + (i % 3600) : 3600 * (1 + (i % 40)) });
  }
  const inventory = {
    schemaVersion: 1, generatedAt: `${AS_OF}T06:00:00.000Z`, certificates, keys: [], errors: [],
    summary: { certificates: certificates.length, keys: 0, errors: 0, findings: { error: 0, warning: 0, info: 0 }, sourcesScanned: { files: COUNT, proxyConfigs: 800, endpoints: COUNT / 10 }, durationMs: 0 },
  };
  mkdirSync(`${stateDir}/drills`, { recursive: true });
  // Pretty-printed like `inventory --format json` (what a user would feed in); written in pieces to stay in memory bounds.
  const head = JSON.stringify({ schemaVersion: 1, generatedAt: inventory.generatedAt }, null, 2).slice(0, -2) + ',\n  "certificates": [\n';
  const body = certificates.map((c) => '    ' + JSON.stringify(c, null, 2).replaceAll('\n', '\n    ')).join(',\n');
  writeFileSync(inventoryFile, `${head}${body}\n  ],\n  "keys": [],\n  "errors": [],\n  "summary": ${JSON.stringify(inventory.summary, null, 2).replaceAll('\n', '\n  ')}\n}\n`);
  writeFileSync(`${stateDir}/managed.json`, JSON.stringify({ schemaVersion: 1, certificates: managed }));
  writeFileSync(`${stateDir}/drills/latest.json`, JSON.stringify({ schemaVersion: 1, startedAt: `${AS_OF}T00:00:00Z`, finishedAt: `${AS_OF}T12:00:00Z`, certificates: drilled }));
}

if (!existsSync(inventoryFile) || !existsSync(`${stateDir}/drills/latest.json`)) {
  mkdirSync(root, { recursive: true });
  const t0 = Date.now();
  synthesise();
  console.log(`report: synthesised ${COUNT} certificates in ${((Date.now() - t0) / 1000).toFixed(1)} s (${(statSync(inventoryFile).size / 1e6).toFixed(0)} MB inventory JSON)`);
}

const mb = (bytes) => (bytes / 1e6).toFixed(1);
const common = ['report', '--inventory', inventoryFile, '--state-dir', stateDir, '--as-of', AS_OF, '--quiet'];

// Each format on its own: what one CI step that needs one document pays (the inventory is read and the report built every time).
let separate = 0;
for (const format of formats) {
  const out = `${root}/report.${format}`;
  const r = await runCli([...common, '--format', format, '--output', out]);
  if (r.status !== 0) throw new Error(`certfleet report --format ${format} exited ${r.status}: ${r.stderr.slice(-1000)}`);
  separate += r.wallMs;
  console.log(`report: --format ${format.padEnd(10)} alone: ${(r.wallMs / 1000).toFixed(2)} s, output ${mb(statSync(out).size)} MB, peak RSS ${(r.treePeakKb / 1024).toFixed(0)} MB`);
}
console.log(`report: the ${formats.length} formats as ${formats.length} separate runs: ${(separate / 1000).toFixed(2)} s in total`);

// All formats from one run (--format a,b,... --output name.{ext}): the figure the target is about.
const walls = [];
let peak = 0;
for (let run = 0; run < 3; run++) {
  const r = await runCli([...common, '--format', formats.join(','), '--output', `${root}/all.{ext}`]);
  if (r.status !== 0) throw new Error(`certfleet report (all formats) exited ${r.status}: ${r.stderr.slice(-1000)}`);
  walls.push(r.wallMs);
  peak = Math.max(peak, r.treePeakKb);
}
const seconds = median(walls) / 1000;
console.log(`report: all ${formats.length} formats from one run over ${COUNT} certificates (${mb(statSync(inventoryFile).size)} MB inventory): ${seconds.toFixed(2)} s (median of 3: ${walls.map((w) => (w / 1000).toFixed(2)).join(', ')}), peak RSS ${(peak / 1024).toFixed(0)} MB`);
console.log(`report: target < ${TARGET_SECONDS} s for all formats; ratio ${(seconds / TARGET_SECONDS).toFixed(2)} of target`);
if (seconds >= TARGET_SECONDS) process.exitCode = 1;
