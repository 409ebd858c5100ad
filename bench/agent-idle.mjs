// What an idle long-running agent costs (issue 11's benchmark): a throwaway PostgreSQL, 100
// certificates applied with `hosts: [idle]`, each given a current version through the store's port
// (one throwaway self-signed certificate, no CA needed), then `certfleet agent --host idle` started.
// Once its start pass has deployed all 100 (the deployments rows say so), it is left alone for N
// seconds; its CPU time (utime + stime from /proc/PID/stat) over that window, extrapolated to an
// hour, and its resident memory (VmRSS) are printed. Nothing is due, nothing notifies: what is
// measured is the sleeping process, its LISTEN connection and its timers.
//
//   node bench/agent-idle.mjs [seconds]      (default 60; npm run bench:agent)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startPostgres } from './postgres.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const COUNT = 100;
const IDLE_S = Number(process.argv[2] ?? 60);
if (!(IDLE_S > 0)) throw new Error(`usage: node bench/agent-idle.mjs [seconds], not ${process.argv[2]}`);
const HOST = 'idle';

const { dataKey, keyring } = await import(join(root, 'dist/store/postgres/encryption.js'));
const { PostgresStateStore } = await import(join(root, 'dist/store/postgres/state-store.js'));

const dir = mkdtempSync(join(tmpdir(), 'certfleet-agent-idle-'));
const postgres = await startPostgres();
let agent;
try {
  const url = await postgres.createDatabase('agent_idle');
  const keyHex = randomBytes(32).toString('hex');
  writeFileSync(join(dir, 'store.key'), `${keyHex}\n`, { mode: 0o600 });
  mkdirSync(join(dir, 'certificates.d'));
  const specs = Array.from({ length: COUNT }, (_, i) => ({
    name: `site-${i}`,
    domains: [`site-${i}.example.test`],
    challenge: { type: 'http-01', webroot: join(dir, 'webroot') },
    hosts: [HOST],
    deploy: { cert: `/srv/tls/site-${i}.pem`, key: `/srv/tls/site-${i}.key`, createDirectories: true },
  }));
  writeFileSync(join(dir, 'certificates.d', 'sites.json'), JSON.stringify(specs));
  const config = join(dir, 'certfleet.config.json');
  writeFileSync(
    config,
    JSON.stringify({ stateDir: join(dir, 'state'), store: { postgres: { urlEnv: 'CERTFLEET_BENCH_DB' }, encryptionKeyFile: join(dir, 'store.key') }, acme: { server: 'https://127.0.0.1:1/dir' } }),
  );
  const env = { ...process.env, CERTFLEET_BENCH_DB: url };
  const cli = (args) => execFileSync(process.execPath, [join(root, 'bin/certfleet'), '--config', config, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  cli(['store', 'migrate']);
  cli(['apply']);

  // One throwaway certificate and key, made current for every certificate through the store's port.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=idle.example.test', '-days', '30', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
  const keyPem = readFileSync(join(dir, 'k.pem'), 'utf8');
  const x = new X509Certificate(certPem);
  const store = await PostgresStateStore.open({ url, keyring: keyring(dataKey(Buffer.from(keyHex, 'hex'))) });
  try {
    for (const s of specs) {
      const version = { id: 'v1', serialNumber: x.serialNumber, notBefore: new Date(x.validFrom).toISOString(), notAfter: new Date(x.validTo).toISOString(), domains: s.domains, issuedAt: new Date().toISOString() };
      await store.certificates.addVersion(s.name, version, { certPem, chainPem: '', fullchainPem: certPem, keyPem });
      await store.certificates.setCurrent(s.name, 'v1');
    }
  } finally {
    await store.close();
  }

  const agentRoot = join(dir, 'root');
  mkdirSync(agentRoot);
  agent = spawn(process.execPath, [join(root, 'bin/certfleet'), '--config', config, 'agent', '--host', HOST, '--root', agentRoot, '--state-dir', join(dir, 'agent-state')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr.on('data', (d) => (stderr += d));
  const t0 = Date.now();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (;;) {
    const { rows } = await client.query("SELECT count(*)::int AS n FROM deployments WHERE host = $1 AND status = 'deployed'", [HOST]);
    if (rows[0].n === COUNT) break;
    if (agent.exitCode !== null) throw new Error(`the agent exited (${agent.exitCode}):\n${stderr.slice(-2000)}`);
    if (Date.now() - t0 > 120_000) throw new Error(`the start pass did not deploy ${COUNT} within 120 s:\n${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await client.end();
  const startPassS = (Date.now() - t0) / 1000;

  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const cpuS = () => {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${agent.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticks;
  };
  const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))[1]) / 1024;
  // A moment for the start pass's aftermath (the metrics' notAfter reads, garbage collection) to settle.
  await new Promise((r) => setTimeout(r, 2_000));
  const before = cpuS();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idleCpuS = cpuS() - before;
  const rss = rssMiB();

  agent.kill('SIGTERM');
  const code = await new Promise((r) => agent.on('close', r));
  console.log(`agent idle: ${COUNT} certificates assigned, start pass deployed them in ${startPassS.toFixed(1)} s`);
  console.log(`agent idle: ${idleCpuS.toFixed(2)} CPU s over ${IDLE_S} s idle = ${((idleCpuS * 3600) / IDLE_S).toFixed(1)} CPU s per hour (clock tick ${(1 / ticks).toFixed(2)} s); RSS ${rss.toFixed(0)} MiB; exit on SIGTERM ${code}`);
} finally {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
