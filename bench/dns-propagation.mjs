// npm run bench:dns — the time from "present" to "visible on all authoritative servers" (issue 12),
// for PowerDNS through its HTTP API (provider pdns) and for BIND through RFC 2136 + TSIG, each a
// real server on 127.0.0.1 started here. One run = one present() of certfleet's own solver (dist/),
// which adds the TXT record and resolves once every authoritative server of the zone serves it
// (polling every 10 ms); the record is cleaned up after each run, untimed. Prints both medians
// over RUNS runs (after WARMUP untimed ones) and their ratio.
//
//   node bench/dns-propagation.mjs [--runs N]
//
// Needs dist/ (npm run build), Debian pdns-server + pdns-backend-sqlite3 + sqlite3, and bind9.
// Nothing leaves loopback (the PowerDNS security poll is off). Both servers are stopped by PID.
import { spawn, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, waitUntilServing } from './child-process.mjs';
import { freePort } from './pebble.mjs';
import { median } from './run-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf('--runs');
const RUNS = at >= 0 ? Number(args[at + 1]) : 20;
const WARMUP = 3;
const HOST = '127.0.0.1';
const ZONE = 'bench.test';

for (const need of ['dist/challenges/registry.js', 'dist/challenges/config.js']) {
  if (!existsSync(join(root, need))) throw new Error(`${need} is missing: run npm run build`);
}
for (const binary of ['/usr/sbin/pdns_server', '/usr/bin/pdnsutil', '/usr/sbin/named']) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run scripts/install-test-deps.sh as root`);
}
const { challengeConfigSchema, resolveChallengeSecrets } = await import(join(root, 'dist/challenges/config.js'));
const { createSolver } = await import(join(root, 'dist/challenges/registry.js'));

/** A port free for both TCP and UDP on loopback. */
async function dnsPort() {
  for (;;) {
    const port = await freePort();
    const socket = createSocket('udp4');
    try {
      socket.bind(port, HOST);
      await once(socket, 'listening');
      return port;
    } catch {
      // taken for UDP: try another
    } finally {
      socket.close();
    }
  }
}

function zoneFile() {
  return [`$ORIGIN ${ZONE}.`, '$TTL 60', `@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 60`, `@ IN NS ns1.${ZONE}.`, 'ns1 IN A 127.0.0.1', ''].join('\n');
}

const waitFor = (check, what, child) => waitUntilServing(child, check, { exited: () => `${what} exited`, timedOut: () => `${what} did not come up in 20 s` });

const digSoa = (port) => execFileSync('dig', ['+norecurse', '+short', '+time=1', '+tries=1', '-p', String(port), `@${HOST}`, ZONE, 'SOA'], { encoding: 'utf8' }).trim() !== '';

async function startPdns(dir) {
  const db = join(dir, 'pdns.sqlite3');
  writeFileSync(join(dir, 'pdns.conf'), `launch=gsqlite3\ngsqlite3-database=${db}\n`);
  execFileSync('sqlite3', [db, '.read /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql']);
  writeFileSync(join(dir, 'zone'), zoneFile());
  execFileSync('/usr/bin/pdnsutil', [`--config-dir=${dir}`, 'load-zone', ZONE, join(dir, 'zone')], { stdio: 'ignore' });
  const port = await dnsPort();
  const apiPort = await freePort();
  const apiKey = randomBytes(16).toString('hex');
  const child = spawn(
    '/usr/sbin/pdns_server',
    [`--config-dir=${dir}`, `--socket-dir=${dir}`, `--local-address=${HOST}`, `--local-port=${port}`, '--api=yes', `--api-key=${apiKey}`, '--webserver=yes', `--webserver-address=${HOST}`, `--webserver-port=${apiPort}`, '--webserver-allow-from=127.0.0.0/8', '--security-poll-suffix=', '--primary=no', '--secondary=no', '--daemon=no', '--guardian=no', '--disable-syslog', '--write-pid=no'],
    { stdio: 'ignore' },
  );
  await waitFor(() => digSoa(port), 'pdns_server', child);
  return { child, server: `${HOST}:${port}`, apiUrl: `http://${HOST}:${apiPort}`, apiKey };
}

async function startBind(dir) {
  const port = await dnsPort();
  const secret = randomBytes(32).toString('base64');
  writeFileSync(join(dir, 'zone'), zoneFile());
  writeFileSync(
    join(dir, 'named.conf'),
    `options { directory "${dir}"; pid-file "${join(dir, 'named.pid')}"; session-keyfile "${join(dir, 'session.key')}"; managed-keys-directory "${dir}";
  listen-on port ${port} { ${HOST}; }; listen-on-v6 { none; }; recursion no; allow-query { any; }; dnssec-validation no; notify no; };
controls { };
key "bench" { algorithm hmac-sha256; secret "${secret}"; };
zone "${ZONE}" { type primary; file "${join(dir, 'zone')}"; journal "${join(dir, 'zone.jnl')}"; allow-update { key "bench"; }; };
`,
  );
  const child = spawn('/usr/sbin/named', ['-g', '-4', '-c', join(dir, 'named.conf'), '-n', '1'], { stdio: 'ignore' });
  await waitFor(() => digSoa(port), 'named', child);
  return { child, server: `${HOST}:${port}`, secret };
}

const logger = { debug() {}, info() {}, warn() {}, error() {}, child() { return logger; } };

function task(i) {
  const keyAuthorization = `${randomBytes(32).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  return { type: 'dns-01', domain: `run${i}.${ZONE}`, wildcard: false, token: 'bench', keyAuthorization, dnsTxtValue: createHash('sha256').update(keyAuthorization).digest('base64url') };
}

/** Median ms of present() (add + wait until visible on every authoritative server). */
async function measure(label, input, env) {
  const config = await resolveChallengeSecrets(challengeConfigSchema.parse(input), env, async () => '');
  const solver = createSolver(config);
  const times = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = task(i);
    const context = { logger, signal: new AbortController().signal };
    const started = process.hrtime.bigint();
    await solver.present(t, context);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    await solver.cleanup(t, context);
    if (i >= WARMUP) times.push(ms);
  }
  await solver.close?.();
  const m = median(times);
  process.stdout.write(`${label.padEnd(34)} median ${m.toFixed(1)} ms  (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}, ${RUNS} runs)\n`);
  return m;
}

const dirs = [mkdtempSync(join(tmpdir(), 'certfleet-bench-pdns-')), mkdtempSync(join(tmpdir(), 'certfleet-bench-bind-'))];
const children = [];
try {
  const pdns = await startPdns(dirs[0]);
  children.push(pdns.child);
  const bind = await startBind(dirs[1]);
  children.push(bind.child);
  const wait = { propagationTimeout: '20s', pollInterval: '10ms' };
  process.stdout.write(`present -> visible on all authoritative servers, 127.0.0.1 (${RUNS} runs each after ${WARMUP} warm-up)\n`);
  const pdnsMs = await measure('PowerDNS 4.7 (HTTP API, sqlite3)', { type: 'dns-01', provider: 'pdns', apiUrl: pdns.apiUrl, apiKeyEnv: 'K', server: pdns.server, ...wait }, { K: pdns.apiKey });
  const bindMs = await measure('BIND 9 (RFC 2136 + TSIG)', { type: 'dns-01', provider: 'rfc2136', server: bind.server, tsig: { name: 'bench', secretEnv: 'S' }, ...wait }, { S: bind.secret });
  process.stdout.write(`ratio PowerDNS / BIND: ${(pdnsMs / bindMs).toFixed(2)}\n`);
} finally {
  for (const child of children) await stopChild(child);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
