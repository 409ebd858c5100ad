// node bench/certificates-d.mjs [--files N] [--per-file N] [--json] [--rounds N]
//
// certificates.d at fleet scale (default 100 files x 1,000 entries = 100,000): the figures of
// src/config/certificate-files.ts, each the median of --rounds (default 5) after one warm-up:
//   open:        listing certificates.d (what every command does, lazy or not)
//   fingerprint: sha256 over every file's bytes (what a PostgreSQL renew does when nothing changed);
//                target well under 100 ms
//   read:        every file parsed and validated (certfleet apply, a config change)
//   resolve:     every entry resolved, as resolveRenewSettings does for the file store (one round)
// and the read per entry at 1/10 of the fleet, so a quadratic cost would show as a ratio far above 1.
//
// Needs dist/ (npm run build). Touches only a temp directory, removed at the end.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const files = Number(arg('--files', 100));
const perFile = Number(arg('--per-file', 1000));
const rounds = Number(arg('--rounds', 5));
const json = process.argv.includes('--json');

const { openSpecSource } = await import(new URL('../dist/config/certificate-files.js', import.meta.url).href);
const { resolveRenewSettings } = await import(new URL('../dist/config/renew-options.js', import.meta.url).href);
const { stringify } = await import('yaml');

const entry = (f, i) => ({
  name: `c${f}-${i}`,
  domains: [`c${i}.f${f}.example.test`, `www.c${i}.f${f}.example.test`],
  challenge: { type: 'http-01', webroot: '/var/www/acme' },
  deploy: { fullchain: `/srv/tls/f${f}/c${i}.fullchain.pem`, key: `/srv/tls/f${f}/c${i}.key` },
});

function makeFleet(fileCount, entries) {
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-bench-certd-'));
  mkdirSync(join(dir, 'certificates.d'));
  let bytes = 0;
  for (let f = 0; f < fileCount; f++) {
    const list = Array.from({ length: entries }, (_, i) => entry(f, i));
    const text = json ? JSON.stringify({ certificates: list }, null, 1) : stringify(list);
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, 'certificates.d', `f${String(f).padStart(4, '0')}.${json ? 'json' : 'yaml'}`), text);
  }
  return { dir, configFile: join(dir, 'certfleet.config.yaml'), bytes };
}

const config = { acme: { server: 'https://acme.example.test/directory' } };
const open = (fleet) => openSpecSource({ config, configFile: fleet.configFile, baseDir: fleet.dir, resolve: () => Promise.reject(new Error('not here')) });

async function median(fn) {
  await fn();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function readAll(fleet) {
  const source = await open(fleet);
  let n = 0;
  for (const f of source.files) n += (await source.read(f)).length;
  return n;
}

const fleet = makeFleet(files, perFile);
const small = makeFleet(files, Math.max(1, Math.floor(perFile / 10)));
try {
  const total = files * perFile;
  const openMs = await median(() => open(fleet));
  const fpMs = await median(async () => (await open(fleet)).fingerprint());
  // CPU time of this thread too: less at the mercy of a loaded machine than the wall time.
  const cpu = process.cpuUsage();
  for (let r = 0; r < rounds; r++) await (await open(fleet)).fingerprint();
  const fpCpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000 / rounds;
  const readMs = await median(() => readAll(fleet));
  const readSmallMs = await median(() => readAll(small));
  const t = performance.now();
  const settings = await resolveRenewSettings(config, { cwd: fleet.dir, env: { PATH: '/usr/bin:/bin' }, configFile: fleet.configFile, defaultStateDir: join(fleet.dir, 'state') });
  const resolveMs = performance.now() - t;
  const rss = process.memoryUsage().rss;
  const perEntry = readMs / total;
  const perEntrySmall = readSmallMs / (files * Math.max(1, Math.floor(perFile / 10)));
  const fmt = (ms) => `${ms.toFixed(1)} ms`;
  console.log(`${files} files x ${perFile} entries = ${total} (${json ? 'JSON' : 'YAML'}, ${(fleet.bytes / 1e6).toFixed(1)} MB)`);
  console.log(`open (list):   ${fmt(openMs)}`);
  console.log(`fingerprint:   ${fmt(fpMs)}   (CPU ${fmt(fpCpuMs)}; target well under 100 ms)`);
  console.log(`read all:      ${fmt(readMs)}   (${(perEntry * 1000).toFixed(1)} us/entry; at a tenth of the fleet ${(perEntrySmall * 1000).toFixed(1)} us/entry, ratio ${(perEntry / perEntrySmall).toFixed(2)})`);
  console.log(`resolve all:   ${fmt(resolveMs)}   (${settings.certificates.length} certificates; RSS ${(rss / 2 ** 20).toFixed(0)} MiB)`);
} finally {
  rmSync(fleet.dir, { recursive: true, force: true });
  rmSync(small.dir, { recursive: true, force: true });
}
