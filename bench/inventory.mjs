// npm run bench:inventory — the figures the inventory issue asks for, each with its baseline:
//   files:    certfleet end to end vs a bare X509Certificate loop, 10,000 certificates in 9,000 files
//   memory:   peak RSS inventorying 100,000 certificates (limit 512 MB)
//   table:    `--format table` vs `--format json` end to end, 10,000 certificates that all have
//             findings (the table draws its full 500 rows of realistic names; target <= 1.5x JSON)
//   start-up: `certfleet --version` and `--help` medians (limit 150 ms), vs bare `node -e ''`
// Endpoint scanning has its own script (bench/endpoints.mjs), run at the end.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { baselineLoop } from './baseline-loop.mjs';
import { ensureCorpus } from './corpus.mjs';
import { ensureTableCorpus } from './table-corpus.mjs';
import { median, runCli } from './run-cli.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const corpusRoot = `${here}.corpus`;
mkdirSync(corpusRoot, { recursive: true });
const only = process.argv[2]; // optional: files | memory | table | startup | endpoints
const results = [];
const report = (line) => {
  results.push(line);
  console.log(line);
};

if (!only || only === 'files') {
  const dir = `${corpusRoot}/files-10k`;
  const files = await ensureCorpus(dir, { certificates: 10_000, bundles: 1_000, der: 1_000 });
  baselineLoop(dir); // warm the page cache for both contenders
  const runs = 3;
  const base = [];
  const ours = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const n = baselineLoop(dir);
    base.push(n / (Number(process.hrtime.bigint() - t0) / 1e9));
    const r = await runCli(['inventory', dir, '--format', 'json', '--output', `${corpusRoot}/out.json`, '--quiet', '--fail-on', 'never']);
    if (r.status !== 0) throw new Error(`certfleet exited ${r.status}: ${r.stderr.slice(-500)}`);
    ours.push(10_000 / (r.wallMs / 1000));
  }
  const b = median(base);
  const o = median(ours);
  report(`files: ${files} files, 10000 certificates`);
  report(`files: baseline (bare sequential X509Certificate loop): ${b.toFixed(0)} certificates/s`);
  report(`files: certfleet inventory end to end (process start, all checks, JSON written): ${o.toFixed(0)} certificates/s`);
  report(`files: ratio certfleet/baseline = ${(o / b).toFixed(2)} (target >= 1.00; aim 10000/s = ${(o / 10_000).toFixed(2)} of aim)`);
}

if (!only || only === 'memory') {
  const dir = `${corpusRoot}/files-100k`;
  await ensureCorpus(dir, { certificates: 100_000, bundles: 20_000, der: 10_000 });
  const r = await runCli(['inventory', dir, '--format', 'json', '--output', `${corpusRoot}/out-100k.json`, '--quiet', '--fail-on', 'never']);
  if (r.status !== 0) throw new Error(`certfleet exited ${r.status}: ${r.stderr.slice(-500)}`);
  const mb = r.treePeakKb / 1024;
  report(`memory: 100000 certificates inventoried in ${(r.wallMs / 1000).toFixed(1)} s (${(100_000 / (r.wallMs / 1000)).toFixed(0)}/s), peak RSS ${mb.toFixed(0)} MB for the whole process tree (limit 512 MB; ratio ${(mb / 512).toFixed(2)} of limit)`);
}

if (!only || only === 'table') {
  const dir = `${corpusRoot}/table-10k`;
  await ensureTableCorpus(dir, { certificates: 10_000 });
  const run = async (format) => {
    const r = await runCli(['inventory', dir, '--format', format, '--output', `${corpusRoot}/out-table.${format}`, '--quiet', '--fail-on', 'never']);
    if (r.status !== 0) throw new Error(`certfleet --format ${format} exited ${r.status}: ${r.stderr.slice(-500)}`);
    return r.wallMs;
  };
  await run('json'); // warm the page cache
  const json = [];
  const table = [];
  for (let i = 0; i < 3; i++) {
    json.push(await run('json'));
    table.push(await run('table'));
  }
  const j = median(json);
  const t = median(table);
  report(`table: 10000 certificates, all with findings (500 table rows), end to end with process start and scan`);
  report(`table: --format json median ${(j / 1000).toFixed(2)} s; --format table median ${(t / 1000).toFixed(2)} s; ratio table/json = ${(t / j).toFixed(2)} (target <= 1.50)`);
}

if (!only || only === 'startup') {
  const time = (args) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: fileURLToPath(new URL('..', import.meta.url)) });
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const sample = (args) => median(Array.from({ length: 21 }, () => time(args)));
  const node = sample(['-e', '']);
  const version = sample(['bin/certfleet', '--version']);
  const help = sample(['bin/certfleet', '--help']);
  report(`startup: bare node -e '' median ${node.toFixed(0)} ms`);
  report(`startup: certfleet --version median ${version.toFixed(0)} ms (limit 150 ms; ${(version / node).toFixed(2)}x bare node)`);
  report(`startup: certfleet --help median ${help.toFixed(0)} ms (limit 150 ms; ${(help / node).toFixed(2)}x bare node)`);
}

if (!only || only === 'endpoints') {
  const r = spawnSync(process.execPath, [`${here}endpoints.mjs`], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) process.exitCode = 1;
}
