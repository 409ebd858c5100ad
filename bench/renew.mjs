// npm run bench:renew — the figures the renew issue asks for, each with its baseline, in one run:
//   issue: 100 certificates in ONE `certfleet renew` run (bounded concurrency, http-01 standalone,
//          each deployed as fullchain + key files in a temp dir) vs certbot run the way a user would (one `certbot certonly` per certificate, one after
//          the other), both against the same local Pebble started here. Target: >= 10x certbot.
//   idle:  `certfleet renew` over 1,000 managed certificates of which none is due (state prepared
//          without a CA; the CA URL points where nothing listens, so any request to it would show
//          up as a warning and fail the bench). Target: under 0.5 s of wall time for the process (issue 8).
//
//   node bench/renew.mjs [issue|idle] [--certbot N] [--concurrency N] [--sweep] [--keep]
//
// Needs dist/ (npm run build), Debian `pebble` (with pebble-challtestsrv) and `certbot`.
// Everything listens on 127.0.0.1. Every process started here is stopped by its PID, also on errors.
import 'reflect-metadata';
import { webcrypto, KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';
import { freePort, startPebble } from './pebble.mjs';
import { median, runProcess as run } from './run-cli.mjs';

x509.cryptoProvider.set(webcrypto);

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const only = args.find((a) => a === 'issue' || a === 'idle');
const ISSUE_COUNT = 100;
// --sweep on a 2-core machine: 4 -> 1423/min, 8 -> 1514, 12 -> 1328, 16 -> 1298, 32 -> 1129. Past
// 8 the CPU (JWS signing, key generation, Pebble itself on the same cores) is the limit.
const CONCURRENCY = flag('--concurrency', 8);
const CERTBOT_COUNT = flag('--certbot', 10);
const IDLE_COUNT = 1000;
const IDLE_RUNS = 5;

for (const dist of ['dist/cli/main.js', 'dist/store/certificate-store.js']) {
  if (!existsSync(join(root, dist))) throw new Error(`${dist} is missing: build first (npm run build)`);
}

const scratch = mkdtempSync(join(tmpdir(), 'certfleet-bench-renew-'));
// Ctrl-C: exit through process.exit so every child's exit hook kills it by its PID.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
// --keep leaves the scratch directory (state, configs) for profiling: node --cpu-prof bin/certfleet ...
const cleanups = [() => (args.includes('--keep') ? console.log(`renew: scratch kept in ${scratch}`) : rmSync(scratch, { recursive: true, force: true }))];
const report = (line) => console.log(line);

const certfleet = (argv) => run(process.execPath, [join(root, 'bin', 'certfleet'), ...argv]);

// ---------------------------------------------------------------------------------------------
// issue: certfleet vs certbot on the same Pebble
// ---------------------------------------------------------------------------------------------

function issueConfig(dir, pebble, count, start = 1) {
  const certificates = Array.from({ length: count }, (_, i) => {
    const name = `h${start + i}`;
    return {
      name,
      domains: [`${name}.example.test`],
      challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
      // A deploy to a temp dir, as a real fleet has (certbot writes its live/ files too).
      deploy: { fullchain: join(dir, 'deployed', `${name}.fullchain.pem`), key: join(dir, 'deployed', `${name}.key`), createDirectories: true },
    };
  });
  const config = {
    stateDir: join(dir, 'state'),
    acme: { server: pebble.directoryUrl, caBundle: pebble.caPath, account: { email: 'ops@example.test', acceptTermsOfService: true } },
    certificates,
  };
  const path = join(dir, 'certfleet.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

async function certfleetIssue(pebble, count, concurrency, start) {
  const dir = mkdtempSync(join(scratch, 'issue-'));
  const config = issueConfig(dir, pebble, count, start);
  const r = await certfleet(['--config', config, 'renew', '--concurrency', String(concurrency), '--format', 'json', '--quiet']);
  let result;
  try {
    result = JSON.parse(r.stdout);
  } catch {
    throw new Error(`certfleet renew exited ${r.status} without a JSON result:\n${r.stderr.slice(-3000)}`);
  }
  if (r.status !== 0 || result.summary.renewed !== count) {
    const failed = result.certificates.filter((c) => c.action !== 'renewed').slice(0, 5);
    throw new Error(`certfleet renew exited ${r.status}, renewed ${result.summary.renewed} of ${count}: ${JSON.stringify(failed)}\n${r.stderr.slice(-2000)}`);
  }
  // What was issued is what got deployed: each fullchain on disk carries its own name and serial.
  const { parseCertificate } = await import(join(root, 'dist/x509/certificate.js'));
  const { findPemBlocks } = await import(join(root, 'dist/x509/pem.js'));
  for (const c of result.certificates) {
    const leaf = findPemBlocks(readFileSync(join(dir, 'deployed', `${c.name}.fullchain.pem`), 'utf8'))[0];
    const info = parseCertificate(leaf.der).info;
    if (info.serialNumber !== c.serialNumber || !info.sans.includes(`${c.name}.example.test`)) {
      throw new Error(`${c.name}: deployed certificate ${info.serialNumber} (${info.sans}) is not the one issued (${c.serialNumber})`);
    }
  }
  return r.wallMs;
}

async function certbotIssue(pebble, count) {
  const dir = mkdtempSync(join(scratch, 'certbot-'));
  // One config dir for all invocations, as /etc/letsencrypt is: the account is registered once and reused.
  const dirs = ['--config-dir', join(dir, 'config'), '--work-dir', join(dir, 'work'), '--logs-dir', join(dir, 'logs')];
  const env = { PATH: process.env.PATH, HOME: dir, REQUESTS_CA_BUNDLE: pebble.caPath };
  const times = [];
  for (let i = 1; i <= count; i++) {
    const domain = `certbot${i}.example.test`;
    const r = await run(
      'certbot',
      [
        'certonly', '--non-interactive', '--agree-tos', '-m', 'ops@example.test',
        '--server', pebble.directoryUrl,
        '--standalone', '--http-01-port', String(pebble.httpPort), '--http-01-address', '127.0.0.1',
        '-d', domain, ...dirs,
      ],
      { env },
    );
    if (r.status !== 0) throw new Error(`certbot certonly -d ${domain} exited ${r.status}:\n${r.stdout.slice(-1500)}${r.stderr.slice(-1500)}`);
    if (!existsSync(join(dir, 'config', 'live', domain, 'fullchain.pem'))) throw new Error(`certbot reported success but wrote no live/${domain}/fullchain.pem`);
    times.push(r.wallMs);
  }
  return times;
}

async function issueBench() {
  if (!existsSync('/usr/bin/certbot')) throw new Error('certbot is missing: apt-get install -y certbot (scripts/install-test-deps.sh)');
  const pebble = await startPebble();
  cleanups.push(() => pebble.stop());
  let start = 1;
  if (args.includes('--sweep')) {
    for (const c of [4, 8, 12, 16, 32]) {
      const ms = await certfleetIssue(pebble, ISSUE_COUNT, c, start);
      start += ISSUE_COUNT;
      report(`renew: sweep --concurrency ${c}: ${ISSUE_COUNT} certificates in ${(ms / 1000).toFixed(1)} s = ${((ISSUE_COUNT / ms) * 60_000).toFixed(0)}/min`);
    }
  }
  const certbotTimes = await certbotIssue(pebble, CERTBOT_COUNT);
  const certbotTotal = certbotTimes.reduce((a, b) => a + b, 0);
  const certbotRate = (CERTBOT_COUNT / certbotTotal) * 60_000;
  const ms = await certfleetIssue(pebble, ISSUE_COUNT, CONCURRENCY, start);
  const rate = (ISSUE_COUNT / ms) * 60_000;
  if (CERTBOT_COUNT === 0) {
    // --certbot 0: certfleet alone (comparing two builds of certfleet); there is no certbot ratio to print.
    report(`renew: certfleet issued ${ISSUE_COUNT} certificates in ${(ms / 1000).toFixed(1)} s = ${rate.toFixed(0)}/min (one run, --concurrency ${CONCURRENCY}, deployed to files); certbot not run (--certbot 0)`);
    return;
  }
  report(
    `renew: certbot ${CERTBOT_COUNT} certificates one invocation each, sequentially: ${(certbotTotal / 1000).toFixed(1)} s ` +
      `(median ${(median(certbotTimes) / 1000).toFixed(2)} s a certificate)`,
  );
  report(
    `renew: certfleet issued ${ISSUE_COUNT} certificates in ${(ms / 1000).toFixed(1)} s = ${rate.toFixed(0)}/min (one run, --concurrency ${CONCURRENCY}, deployed to files); ` +
      `certbot ${certbotRate.toFixed(1)}/min (${CERTBOT_COUNT} certificates); ratio ${(rate / certbotRate).toFixed(1)} (target >= 10)`,
  );
  if (rate / certbotRate < 10) process.exitCode = 1;
}

// ---------------------------------------------------------------------------------------------
// idle: 1,000 managed certificates, none due
// ---------------------------------------------------------------------------------------------

/** 1,000 real certificates (own key each, signed by a bench CA), stored as certfleet stores them. */
async function prepareIdleState(dir, count) {
  const { CertificateStore, versionId } = await import(join(root, 'dist/store/certificate-store.js'));
  const { parseCertificate } = await import(join(root, 'dist/x509/certificate.js'));
  const { deploySpecOf } = await import(join(root, 'dist/renewal/spec.js'));
  const store = new CertificateStore(join(dir, 'state'));
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const signing = { name: 'ECDSA', hash: 'SHA-256' };
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=certfleet bench issuing CA',
    keys: caKeys,
    signingAlgorithm: signing,
    notBefore: new Date(Date.now() - 10 * 86_400_000),
    notAfter: new Date(Date.now() + 365 * 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  const caPem = ca.toString('pem') + '\n';
  const now = Date.now();
  const nextPollAt = now + 6 * 3_600_000; // ARI was asked a moment ago: no CA request in this run
  const one = async (i) => {
    const name = `h${i}`;
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    // Issued 1 to 10 days ago for 45 days: renewal is due at day 30, so none is due now.
    const notBefore = new Date(now - (1 + (i % 10)) * 86_400_000);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (0x100000 + i).toString(16) + webcrypto.getRandomValues(new Uint8Array(6)).reduce((s, b) => s + b.toString(16).padStart(2, '0'), ''),
      subject: `CN=${name}.example.test`,
      issuer: ca.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: signing,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 45 * 86_400_000),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: `${name}.example.test` }]),
      ],
    });
    const info = parseCertificate(new Uint8Array(cert.rawData)).info;
    const issuedAt = new Date(Date.parse(info.notBefore));
    const version = { id: versionId(issuedAt, info.serialNumber), serialNumber: info.serialNumber, notBefore: info.notBefore, notAfter: info.notAfter, domains: [`${name}.example.test`], issuedAt: issuedAt.toISOString() };
    const certPem = cert.toString('pem') + '\n';
    const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' });
    await store.addVersion(name, version, { certPem, chainPem: caPem, fullchainPem: certPem + caPem, keyPem });
    await store.setCurrent(name, version.id);
    // Deployed as the config below says (the same deploy section), so nothing is deployed again either.
    const paths = { fullchain: join(dir, 'deployed', `${name}.fullchain.pem`), key: join(dir, 'deployed', `${name}.key`) };
    const deployed = { version: version.id, spec: deploySpecOf({ deploy: { targets: paths, commands: [['true']] } }), at: new Date(now).toISOString(), paths };
    await store.saveState(name, { schemaVersion: 1, ariPoll: { serialNumber: info.serialNumber, nextPollAt }, lastRunAt: new Date(now).toISOString(), deployed });
  };
  // The store fsyncs every file; a few at a time keeps the preparation to seconds.
  let next = 1;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next <= count) await one(next++);
  }));
}

async function idleBench() {
  const dir = mkdtempSync(join(scratch, 'idle-'));
  const t0 = Date.now();
  await prepareIdleState(dir, IDLE_COUNT);
  const prepMs = Date.now() - t0;
  // Nothing listens on this port: a request to the CA would fail and be reported as a warning.
  const deadCa = `https://127.0.0.1:${await freePort()}/dir`;
  const config = {
    stateDir: join(dir, 'state'),
    acme: { server: deadCa, account: { email: 'ops@example.test', acceptTermsOfService: true } },
    certificates: Array.from({ length: IDLE_COUNT }, (_, i) => {
      const name = `h${i + 1}`;
      return {
        name,
        domains: [`${name}.example.test`],
        challenge: { type: 'http-01', webroot: join(dir, 'webroot') },
        deploy: { fullchain: join(dir, 'deployed', `${name}.fullchain.pem`), key: join(dir, 'deployed', `${name}.key`), commands: [['true']] },
      };
    }),
  };
  const configPath = join(dir, 'certfleet.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const check = (r) => {
    const summary = r.stdout.trim().split('\n').at(-1);
    // Any certfleet message (a warning that the CA could not be asked, above all) fails the bench.
    if (r.status !== 0 || !summary.startsWith(`0 renewed, ${IDLE_COUNT} not due, 0 failed`) || /^certfleet:/m.test(r.stderr)) {
      throw new Error(`idle renew: exit ${r.status}, "${summary}"\n${r.stderr.slice(-2000)}`);
    }
  };
  check(await certfleet(['--config', configPath, 'renew'])); // warm the page cache
  const times = [];
  for (let i = 0; i < IDLE_RUNS; i++) {
    const r = await certfleet(['--config', configPath, 'renew']);
    check(r);
    times.push(r.wallMs);
  }
  const ms = median(times);
  report(`renew: idle state of ${IDLE_COUNT} certificates prepared in ${(prepMs / 1000).toFixed(1)} s; runs ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  report(`renew: ${IDLE_COUNT} managed, none due: median ${ms.toFixed(0)} ms (target < 500 ms; ratio ${(ms / 500).toFixed(2)})`);
  if (ms >= 500) process.exitCode = 1;
}

try {
  if (!only || only === 'issue') await issueBench();
  if (!only || only === 'idle') await idleBench();
} catch (err) {
  console.error(`bench:renew: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
