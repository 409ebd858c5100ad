// npm run bench:fleet-drill — issue 11's fleet drill: 1,000 certificates across 10 agents on this
// machine, the time until 100% are confirmed served on every host, and its ratio to today's
// single-host drill of 1,000 (target: at most 2 times).
//
//   fleet:    a throwaway PostgreSQL (the shared store) and Pebble; N certificates spread over H hosts
//             (certificate i on host i mod H; one in ten also on a second host, a name behind a load
//             balancer, spread so that every host has the same share), applied, issued once by one runner (`certfleet renew`), then H long-running
//             agents (`certfleet agent --host web-NN --root DIR --state-dir DIR`, each host simulated by
//             its own root and state) started; once their start pass has deployed every assignment,
//             ONE `certfleet drill --all` orders every replacement once and waits for every host's
//             agent to confirm it (woken by NOTIFY). Time to 100%: the slowest certificate's
//             secondsToReplace in the drill's JSON (from the drill's start until its last host
//             confirmed), checked against the per-host timings and the files on every host.
//   baseline: bench/drill.mjs run as it is (--count N --drill-only) on the same machine right after:
//             the file store, one host, renew deploys and records each certificate itself.
//
// Printed: fleet time, baseline time, their ratio; the runner's, agents', Pebble's and PostgreSQL's
// CPU during the drill; the agents' peak RSS; ordered and deployed counts (no certificate ordered
// twice, every assignment deployed once per version). The load average is printed with each
// figure: the machine may be shared.
//
//   node bench/fleet-drill.mjs [--count N] [--hosts N] [--concurrency N] [--baseline-s S] [--cpu-prof DIR] [--keep]
//
// --concurrency (default 8, bench:drill's) is the runner's orders in flight: Debian's Pebble 2.4
// deadlocks now and then with 16-32 from one account (bench/fleet.mjs DEADLINE_S); a run that
// Pebble stopped is run again on a fresh Pebble and database, at most twice, and said so.
// --baseline-s: take the baseline as given instead of measuring it. --cpu-prof DIR: the agents and the
// drill run under `node --cpu-prof` (profiles in DIR, named by PID) and their top functions by self
// time are printed: where the fleet's time goes.
//
// Needs dist/ (npm run build), Debian `pebble` and `postgresql`. Everything listens on 127.0.0.1.
// Every process started here is stopped by its PID, also on errors and Ctrl-C; exit 1 with the
// reason when a part fails or the target is missed.
import { randomBytes, X509Certificate } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPebble } from './pebble.mjs';
import { startPostgres, withDb } from './postgres.mjs';
import { childPids, commOf, machineBusyMs, processCpuMs, treeCpuMs } from './proc-cpu.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const COUNT = flag('--count', 1000);
const HOSTS = flag('--hosts', 10);
const CONCURRENCY = flag('--concurrency', 8);
const GIVEN_BASELINE_S = flag('--baseline-s', NaN);
const TARGET_RATIO = 2;
/** One certificate in SHARED_EVERY is served by two hosts. */
const SHARED_EVERY = 10;
const keep = args.includes('--keep');
const PROFILE_DIR = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
const profiling = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : [];
if (!(COUNT > 0 && HOSTS >= 2 && CONCURRENCY > 0) || (PROFILE_DIR !== undefined && PROFILE_DIR.startsWith('-'))) {
  throw new Error('usage: node bench/fleet-drill.mjs [--count N] [--hosts N >= 2] [--concurrency N] [--baseline-s S] [--cpu-prof DIR] [--keep]');
}
for (const dist of ['dist/cli/main.js', 'dist/store/postgres/open.js']) {
  if (!existsSync(join(root, dist))) throw new Error(`${dist} is missing: build first (npm run build)`);
}

const bin = join(root, 'bin', 'certfleet');
const scratch = mkdtempSync(join(tmpdir(), 'certfleet-bench-fleet-drill-'));
/**
 * Every child of ours still running (agents, certfleet commands, the baseline), with the signal that
 * stops it if we exit first: by its PID, never by name. Pebble and PostgreSQL have exit hooks of
 * their own (bench/pebble.mjs; quitOnExit below).
 */
const live = new Map();
// Ctrl-C or a TERM: exit through process.exit, so the exit hooks below stop every child.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
// The first exit hook: it must never throw, or the hooks after it (Pebble's, PostgreSQL's) would not run.
process.once('exit', () => {
  for (const [child, signal] of live) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
  if (keep) return;
  try {
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  } catch (err) {
    console.error(`fleet-drill: ${scratch} could not be removed: ${err.message}`);
  }
});
const cleanups = [];
const report = (line) => console.log(`fleet-drill: ${line}`);
const load = () => `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const fmt = (n) => n.toLocaleString('en-US');

/** A part that failed: its name and what it said, never a stack of ours. */
class PartFailed extends Error {}
/** Pebble's deadlock (see the header): that attempt is run again. */
class Stuck extends PartFailed {}
const TIMED_OUT = 'deadline'; // run()'s status for a child stopped at its deadline

/**
 * A child run to its end, stopped by its PID (SIGTERM, then SIGKILL 5 s later) once `deadlineS` is
 * past: a stuck CA or store fails the part instead of hanging the bench (status TIMED_OUT). On our
 * own exit it gets `exitSignal`.
 */
function run(command, argv, { env = {}, deadlineS, exitSignal = 'SIGKILL' }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    live.set(child, exitSignal);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    let kill;
    const deadline = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, deadlineS * 1000);
    const done = () => {
      live.delete(child);
      clearTimeout(deadline);
      clearTimeout(kill);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (status, signal) => {
      done();
      resolve({ status: timedOut ? TIMED_OUT : (status ?? signal), stdout, stderr, wallMs: performance.now() - t0, pid: child.pid });
    });
  });
}
const certfleet = (argv, env, deadlineS) => run(process.execPath, [bin, ...argv], { env, deadlineS });

function tail(r) {
  return `${r.stdout.slice(-1000)}${r.stderr.slice(-2500)}`;
}

async function must(what, argv, env, deadlineS = 120) {
  const r = await certfleet(argv, env, deadlineS);
  if (r.status === TIMED_OUT) throw new PartFailed(`${what}: did not finish within ${deadlineS} s (stopped):\n${tail(r)}`);
  if (r.status !== 0) throw new PartFailed(`${what}: certfleet ${argv.slice(2).join(' ')} exited ${r.status}:\n${tail(r)}`);
  return r;
}

/** A command's JSON result: the whole of stdout, or its last line (a drill's host progress lines come before its result, then on one line). */
function lastJson(r, what) {
  const text = r.stdout.trimEnd();
  try {
    return JSON.parse(text);
  } catch {
    // JSON lines: the result is the last.
  }
  try {
    return JSON.parse(text.split('\n').at(-1) ?? '');
  } catch {
    throw new PartFailed(`${what} exited ${r.status} without a JSON result:\n${tail(r)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// CPU and memory of processes we started, from /proc
// ---------------------------------------------------------------------------------------------

/** Peak resident memory (VmHWM) in MiB; undefined once gone. */
function peakRssMiB(pid) {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return undefined;
  }
}
/** Where the CPU goes: the certfleet commands run to their end (reaped), the agents, Pebble, PostgreSQL, the machine. */
function cpuSnapshot(postgres, agents) {
  return {
    at: performance.now(),
    machine: machineBusyMs(),
    commands: processCpuMs(process.pid, true) - processCpuMs(process.pid, false),
    agents: agents.map((a) => processCpuMs(a.pid)),
    pebble: childPids(process.pid).filter((pid) => commOf(pid) === 'pebble').reduce((sum, pid) => sum + processCpuMs(pid), 0),
    postgres: treeCpuMs(postgres.pid),
  };
}
function cpuBetween(a, b) {
  const d = (k) => Math.max(0, b[k] - a[k]);
  const agents = b.agents.reduce((sum, ms, i) => sum + Math.max(0, ms - a.agents[i]), 0);
  const ours = d('commands') + agents + d('pebble') + d('postgres');
  return {
    wallMs: b.at - a.at,
    commands: d('commands'),
    agents,
    perAgent: b.agents.map((ms, i) => ms - a.agents[i]),
    pebble: d('pebble'),
    postgres: d('postgres'),
    rest: Math.max(0, d('machine') - ours),
  };
}
const cpuLine = (c, commandName) =>
  `CPU of ${availableParallelism()} cores x ${s(c.wallMs)}: ${commandName} ${s(c.commands)}, ${HOSTS} agents ${s(c.agents)}, Pebble ${s(c.pebble)}, PostgreSQL ${s(c.postgres)}, rest of the machine ${s(c.rest)}`;

// ---------------------------------------------------------------------------------------------
// The fleet: config, specs, agents
// ---------------------------------------------------------------------------------------------

const hostName = (h) => `web-${String(h + 1).padStart(2, '0')}`;
const certName = (i) => `site-${String(i + 1).padStart(4, '0')}`;
/**
 * Certificate i on host i mod H. One run of H certificates in SHARED_EVERY (one on each host) is also
 * on a second host, a different one each time around, so that every host has the same number of
 * deployments (1,000 over 10: 110 each).
 */
function hostsOf(i) {
  const primary = i % HOSTS;
  if (Math.floor(i / HOSTS) % SHARED_EVERY !== 0) return [hostName(primary)];
  const turn = Math.floor(i / (HOSTS * SHARED_EVERY));
  return [hostName(primary), hostName((primary + 1 + (turn % (HOSTS - 1))) % HOSTS)];
}

function writeFleet(dir, pebble) {
  mkdirSync(join(dir, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const specs = Array.from({ length: COUNT }, (_, i) => {
    const name = certName(i);
    // The same paths on every host; each simulated host has them under its own --root.
    return { name, domains: [`${name}.example.test`], challenge, hosts: hostsOf(i), deploy: { fullchain: `/srv/tls/${name}.pem`, key: `/srv/tls/${name}.key`, createDirectories: true } };
  });
  writeFileSync(join(dir, 'certificates.d', 'sites.json'), JSON.stringify(specs));
  writeFileSync(join(dir, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const config = {
    stateDir: join(dir, 'state-runner'),
    store: { postgres: { urlEnv: 'CERTFLEET_BENCH_DB' }, encryptionKeyFile: join(dir, 'store.key') },
    acme: { server: pebble.directoryUrl, caBundle: pebble.caPath, account: { email: 'ops@example.test', acceptTermsOfService: true } },
  };
  writeFileSync(join(dir, 'certfleet.config.json'), JSON.stringify(config, null, 2));
  return join(dir, 'certfleet.config.json');
}

/** A long-running agent for `host`, stopped by its PID (SIGTERM, then SIGKILL) at the end or on our exit. */
function startAgent(config, env, dir, host) {
  const hostRoot = join(dir, 'hosts', host);
  mkdirSync(hostRoot, { recursive: true });
  const argv = [...profiling, bin, '--config', config, '--quiet', 'agent', '--host', host, '--root', hostRoot, '--state-dir', join(dir, `state-${host}`), '--interval', '1h'];
  const child = spawn(process.execPath, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (log = (log + d).slice(-20_000)));
  live.set(child, 'SIGKILL');
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    host,
    root: hostRoot,
    pid: child.pid,
    get log() {
      return log;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    get exit() {
      return child.signalCode ?? `exit ${child.exitCode}`;
    },
    /** SIGTERM (it finishes the deployment under way), SIGKILL after 30 s; its exit code or signal. */
    async stop() {
      if (this.running) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
      }
      live.delete(child);
      return exited;
    },
  };
}

/** Assignments whose host reports the certificate's current version deployed. */
const DEPLOYED_CURRENT = `SELECT count(*)::int AS n FROM deployments d JOIN certificates c ON c.name = d.certificate
  WHERE d.status = 'deployed' AND d.version = c.current_version`;

/** Wait (the bench polls, the agents do not) until every assignment has its current version deployed. */
async function waitAllDeployed(url, agents, assignments, what, deadlineMs) {
  const t0 = Date.now();
  return withDb(url, async (db) => {
    for (;;) {
      const { rows } = await db.query(DEPLOYED_CURRENT);
      if (rows[0].n === assignments) return Date.now() - t0;
      const dead = agents.find((a) => !a.running);
      if (dead) throw new PartFailed(`${what}: the agent of ${dead.host} exited (${dead.exit}):\n${dead.log.slice(-2500)}`);
      if (Date.now() - t0 > deadlineMs) {
        const { rows: failed } = await db.query("SELECT certificate, host, detail FROM deployments WHERE status = 'failed' LIMIT 5");
        throw new PartFailed(
          `${what}: ${rows[0].n} of ${assignments} assignments deployed after ${s(deadlineMs)}` +
            (failed.length ? `; failed: ${failed.map((f) => `${f.certificate} on ${f.host}: ${f.detail}`).join('; ')}` : '') +
            `\n${agents.map((a) => `${a.host}: ${a.log.slice(-400)}`).join('\n')}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
}

const serialOf = (hex) => hex.toLowerCase().replace(/^0+/, '');

/** Every host's files hold the drill's replacement, with its key. */
function checkServedFiles(drill, agents) {
  const rootOf = new Map(agents.map((a) => [a.host, a.root]));
  let checked = 0;
  for (const c of drill.certificates) {
    for (const h of c.hosts) {
      const pem = readFileSync(join(rootOf.get(h.host), 'srv/tls', `${c.name}.pem`), 'utf8');
      const cert = new X509Certificate(pem);
      if (serialOf(cert.serialNumber) !== serialOf(c.replacedBy.serialNumber)) throw new PartFailed(`${c.name} on ${h.host}: the deployed certificate (serial ${cert.serialNumber}) is not the drill's replacement (${c.replacedBy.serialNumber})`);
      checked++;
    }
  }
  return checked;
}

/** "110" or "100-112": how many deployments each host has. */
function perHostRange() {
  const n = new Map();
  for (let i = 0; i < COUNT; i++) for (const h of hostsOf(i)) n.set(h, (n.get(h) ?? 0) + 1);
  const counts = [...n.values()];
  const [lo, hi] = [Math.min(...counts), Math.max(...counts)];
  return lo === hi ? `${lo}` : `${lo}-${hi}`;
}

/** One attempt at the fleet's figures on a fresh Pebble and database. */
async function fleetRun(postgres, attempt) {
  const pebble = await startPebble();
  // Its temp dir goes with us even on Ctrl-C (its processes' exit hooks, registered first, stop them first).
  const removePebbleDir = () => {
    try {
      rmSync(pebble.dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // an exit hook must not throw (the hooks after it would not run)
    }
  };
  process.once('exit', removePebbleDir);
  const agents = [];
  try {
    const dir = mkdtempSync(join(scratch, `fleet-${attempt}-`));
    const url = await postgres.createDatabase(`fleet_drill_${attempt}`);
    const env = { CERTFLEET_BENCH_DB: url };
    const config = writeFleet(dir, pebble);
    const common = ['--config', config];
    const assignments = Array.from({ length: COUNT }, (_, i) => hostsOf(i).length).reduce((a, b) => a + b, 0);
    const shared = assignments - COUNT;
    report(`${fmt(COUNT)} certificates over ${HOSTS} hosts (web-01..${hostName(HOSTS - 1)}): ${fmt(COUNT - shared)} on one host, ${fmt(shared)} on two (one in ${SHARED_EVERY}, spread over the hosts): ${fmt(assignments)} deployments a round, ${perHostRange()} per host`);

    await must('store migrate', [...common, 'store', 'migrate'], env);
    await must('apply', [...common, 'apply'], env);
    await must('account register', [...common, 'account', 'register'], env);
    // Far past a healthy run (1,000 take ~30 s here): only a stuck Pebble reaches it.
    const issueDeadlineS = Math.round(60 + COUNT * 0.2);
    const issue = await certfleet([...common, 'renew', '--concurrency', String(CONCURRENCY), '--format', 'json', '--quiet'], env, issueDeadlineS);
    if (issue.status === TIMED_OUT) throw new Stuck(`renew of ${COUNT} did not finish within ${issueDeadlineS} s. Pebble's log ends:\n${pebble.log.slice(-1500)}`);
    const issued = lastJson(issue, 'renew');
    if (issue.status !== 0 || issued.summary.renewed !== COUNT) throw new PartFailed(`renew issued ${issued.summary.renewed} of ${COUNT} (exit ${issue.status}):\n${tail(issue)}`);
    report(`issued ${fmt(COUNT)} once in ${s(issue.wallMs)} (renew --concurrency ${CONCURRENCY}); ${load()}`);

    for (let h = 0; h < HOSTS; h++) agents.push(startAgent(config, env, dir, hostName(h)));
    const cpu0 = cpuSnapshot(postgres, agents);
    const startMs = await waitAllDeployed(url, agents, assignments, "the agents' start pass", 300_000);
    const startCpu = cpuBetween(cpu0, cpuSnapshot(postgres, agents));
    report(`${HOSTS} agents started; their start pass deployed all ${fmt(assignments)} assignments in ${s(startMs)} (agents' CPU ${s(startCpu.agents)}, PostgreSQL ${s(startCpu.postgres)}); ${load()}`);
    // Let the agents' aftermath (the passes their own start's notifications queued) settle before the drill.
    await new Promise((resolve) => setTimeout(resolve, 2_000));

    const loadBefore = load();
    const cpu1 = cpuSnapshot(postgres, agents);
    const drillDeadlineS = Math.round(120 + COUNT * 0.3);
    const drillArgv = [...profiling, bin, ...common, 'drill', '--all', '--concurrency', String(CONCURRENCY), '--wait', '10m', '--format', 'json', '--quiet'];
    const r = await run(process.execPath, drillArgv, { env, deadlineS: drillDeadlineS });
    const cpu = cpuBetween(cpu1, cpuSnapshot(postgres, agents));
    const loadAfter = load();
    if (r.status === TIMED_OUT) {
      // Orders missing: the CA stopped answering (Pebble's deadlock, run again); all ordered: the hosts did not confirm.
      const ordered = await withDb(url, async (db) => (await db.query('SELECT count(*)::int AS n FROM versions')).rows[0].n - COUNT);
      const message = `drill of ${COUNT} did not finish within ${drillDeadlineS} s (stopped) with ${ordered} of ${COUNT} ordered. Pebble's log ends:\n${pebble.log.slice(-1500)}\n${tail(r)}`;
      throw ordered < COUNT ? new Stuck(message) : new PartFailed(message);
    }
    const drill = lastJson(r, 'drill');
    if (r.status !== 0 || drill.summary.replaced !== COUNT) {
      const notReplaced = drill.certificates.filter((c) => c.secondsToReplace === null).slice(0, 5).map((c) => `${c.name}: ${c.error}`);
      throw new PartFailed(`drill replaced ${drill.summary.replaced} of ${COUNT} (exit ${r.status}): ${notReplaced.join('; ')}\n${r.stderr.slice(-2000)}`);
    }
    const progressLines = r.stdout.trimEnd().split('\n').length - 1;

    // The drill's own measure, checked against its per-host timings.
    const perHost = new Map();
    let slowest = 0;
    for (const c of drill.certificates) {
      if (!c.replacedBy || !c.hosts || c.hosts.some((h) => h.status !== 'deployed')) throw new PartFailed(`${c.name}: the drill's record does not show it deployed on every host: ${JSON.stringify(c.hosts)}`);
      const hostsMax = Math.max(...c.hosts.map((h) => h.seconds));
      if (c.secondsToReplace + 1e-9 < hostsMax) throw new PartFailed(`${c.name}: secondsToReplace ${c.secondsToReplace} is before its slowest host (${hostsMax})`);
      slowest = Math.max(slowest, c.secondsToReplace);
      for (const h of c.hosts) {
        const t = perHost.get(h.host) ?? { n: 0, last: 0 };
        perHost.set(h.host, { n: t.n + 1, last: Math.max(t.last, h.seconds) });
      }
    }
    if (Math.abs(slowest - drill.summary.secondsToReplace.max) > 1e-6) throw new PartFailed(`the drill's summary says the slowest took ${drill.summary.secondsToReplace.max} s, its certificates ${slowest} s`);
    const runSeconds = (Date.parse(drill.finishedAt) - Date.parse(drill.startedAt)) / 1000;
    const filesChecked = checkServedFiles(drill, agents);

    // Counts from the store: each certificate ordered once by the drill (two versions: the issue and
    // the drill's), every assignment's current version deployed.
    const counts = await withDb(url, async (db) => {
      const { rows: versions } = await db.query('SELECT count(*)::int AS n FROM versions');
      const { rows: perCert } = await db.query('SELECT certificate, count(*)::int AS n FROM versions GROUP BY 1 HAVING count(*) <> 2 ORDER BY 1 LIMIT 5');
      const { rows: deployed } = await db.query(DEPLOYED_CURRENT);
      const { rows: failed } = await db.query("SELECT count(*)::int AS n FROM deployments WHERE status = 'failed'");
      // When each host recorded the replacement deployed (the database's clock, this machine's).
      const { rows: at } = await db.query(`SELECT extract(epoch FROM d.deployed_at) * 1000 AS ms FROM deployments d JOIN certificates c ON c.name = d.certificate
        WHERE d.status = 'deployed' AND d.version = c.current_version ORDER BY 1`);
      const sinceStart = at.map((row) => (Number(row.ms) - Date.parse(drill.startedAt)) / 1000);
      return { versions: versions[0], notTwice: perCert, deployed: deployed[0].n, failed: failed[0].n, sinceStart };
    });
    if (counts.notTwice.length > 0) throw new PartFailed(`certificates without exactly two versions (the issue and the drill's): ${counts.notTwice.map((v) => `${v.certificate} x${v.n}`).join(', ')}`);
    if (counts.deployed !== assignments) throw new PartFailed(`${counts.deployed} of ${assignments} assignments have the current version deployed`);

    const peaks = [];
    for (const a of agents) peaks.push(peakRssMiB(a.pid) ?? NaN);
    const stopped = await Promise.all(agents.map((a) => a.stop()));
    const badStops = stopped.map((code, i) => [agents[i].host, code]).filter(([, code]) => code !== 0);
    if (badStops.length > 0) throw new PartFailed(`agents did not exit 0 on SIGTERM: ${badStops.map(([h, c]) => `${h} ${c}`).join(', ')}`);

    return { slowest, runSeconds, drill, perHost, cpu, peaks, counts, assignments, shared, filesChecked, progressLines, loadBefore, loadAfter, pids: { drill: r.pid, agents: agents.map((a) => a.pid) } };
  } finally {
    for (const a of agents) await a.stop();
    await pebble.stop();
    process.removeListener('exit', removePebbleDir);
  }
}

/**
 * Self time by function over V8 .cpuprofile files (each sample's time delta to the function it landed
 * in); `(idle)` apart: waiting (for PostgreSQL, Pebble, the disk), not working.
 */
function profileSummary(pids, top = 10) {
  const files = readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile') && pids.some((pid) => f.includes(`.${pid}.`)));
  if (files.length !== pids.length) throw new PartFailed(`--cpu-prof: ${files.length} profiles in ${PROFILE_DIR} for ${pids.length} processes`);
  const totals = new Map();
  let total = 0;
  for (const f of files) {
    const profile = JSON.parse(readFileSync(join(PROFILE_DIR, f), 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const { functionName, url, lineNumber } = byId.get(id).callFrame;
      const where = url ? ` ${url.replace(`file://${root}`, '').replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : '';
      const key = `${functionName || '(anonymous)'}${where}`;
      const us = profile.timeDeltas[i] ?? 0;
      totals.set(key, (totals.get(key) ?? 0) + us);
      total += us;
    });
  }
  const idle = totals.get('(idle)') ?? 0;
  const lines = [...totals].filter(([k]) => k !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, top);
  return [`${s(total / 1000)} sampled over ${files.length} profile(s), ${s(idle / 1000)} of it idle; top ${top} by self time:`, ...lines.map(([k, us]) => `  ${s(us / 1000).padStart(8)} ${((us / (total - idle)) * 100).toFixed(1).padStart(5)}% of busy  ${k}`)];
}

/** bench/drill.mjs as it is, over the same count: its drill line's figures. */
async function baseline() {
  if (Number.isFinite(GIVEN_BASELINE_S)) return { slowest: GIVEN_BASELINE_S, runSeconds: GIVEN_BASELINE_S, how: 'given with --baseline-s', line: '' };
  const loadBefore = load();
  // SIGTERM if we exit first: drill.mjs then stops its own Pebble (its exit hooks).
  const args = [join(root, 'bench', 'drill.mjs'), '--count', String(COUNT), '--concurrency', String(CONCURRENCY), '--drill-only'];
  const r = await run(process.execPath, args, { deadlineS: Math.round(120 + COUNT * 0.5), exitSignal: 'SIGTERM' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('drill: ') && l.includes(' replaced in ')) ?? '';
  const runSeconds = Number(/replaced in ([\d.]+) s/.exec(line)?.[1]);
  const slowest = Number(/slowest ([\d.]+) s/.exec(line)?.[1]);
  if (r.status !== 0 || !Number.isFinite(runSeconds) || !Number.isFinite(slowest)) throw new PartFailed(`the baseline (bench/drill.mjs --count ${COUNT}) exited ${r.status} without its figures:\n${tail(r)}`);
  return { slowest, runSeconds, how: `measured now by bench/drill.mjs --count ${COUNT} --concurrency ${CONCURRENCY}; ${loadBefore} before, ${load()} after`, line };
}

async function main() {
  const postgres = await startPostgres();
  // Immediate shutdown by its PID if this script dies first (as root, setpriv's --pdeathsig does it too).
  const quitOnExit = () => {
    try {
      process.kill(postgres.pid, 'SIGQUIT');
    } catch {
      // already gone
    }
    try {
      rmSync(postgres.socketDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // an exit hook must not throw
    }
  };
  process.once('exit', quitOnExit);
  cleanups.push(async () => {
    process.removeListener('exit', quitOnExit);
    await postgres.stop();
  });

  let fleet;
  for (let attempt = 1; fleet === undefined; attempt++) {
    try {
      fleet = await fleetRun(postgres, attempt);
    } catch (err) {
      if (!(err instanceof Stuck) || attempt === 3) throw err;
      report(`attempt ${attempt}: Pebble stopped answering (its deadlock, see the header): run again on a fresh Pebble and database\n${err.message.slice(0, 400)}`);
    }
  }
  await cleanups.pop()(); // PostgreSQL is done with: the baseline runs on a quieter machine
  const base = await baseline();

  const { drill, cpu, counts } = fleet;
  const t = drill.summary.secondsToReplace;
  report(
    `fleet drill: ${fmt(COUNT)} certificates ordered once and confirmed deployed on all ${fmt(fleet.assignments)} host assignments in ${fleet.slowest.toFixed(1)} s ` +
      `(the slowest certificate's secondsToReplace, from the drill's start to its last host's report; the whole command ${fleet.runSeconds.toFixed(1)} s); ` +
      `median ${t.median.toFixed(1)} s, p95 ${t.p95.toFixed(1)} s; ${fleet.progressLines} per-host progress lines; ${fleet.loadBefore} before, ${fleet.loadAfter} after`,
  );
  const hostsLine = [...fleet.perHost].sort((a, b) => a[0].localeCompare(b[0])).map(([h, v]) => `${h} ${v.n} by ${v.last.toFixed(1)} s`).join(', ');
  report(`per host (deployments confirmed, last at): ${hostsLine}`);
  report(`drill: ${cpuLine(cpu, 'the drill (runner)')}; agents' CPU each: ${cpu.perAgent.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s`);
  const at = counts.sinceStart;
  report(
    `per the deployments rows (deployed_at): hosts recorded the replacements from ${at[0].toFixed(1)} s, median ${at[Math.floor(at.length / 2)].toFixed(1)} s, last ${at.at(-1).toFixed(1)} s after the drill's start ` +
      `(the drill's own per-certificate times should be close: it reads the hosts' reports while it orders)`,
  );
  const peaks = fleet.peaks.filter(Number.isFinite);
  report(`agents' peak RSS (VmHWM): max ${Math.max(...peaks).toFixed(0)} MiB, sum ${peaks.reduce((a, b) => a + b, 0).toFixed(0)} MiB over ${peaks.length} agents`);
  report(
    `counts: ordered ${fmt(drill.certificates.filter((c) => c.replacedBy).length)} by the drill, 0 ordered twice (every certificate has exactly 2 versions in the store: ${fmt(counts.versions.n)} rows); ` +
      `deployed ${fmt(counts.deployed)} of ${fmt(fleet.assignments)} assignments at the current version (${counts.failed} failed rows); ${fmt(fleet.filesChecked)} deployed files checked against the replacement's serial`,
  );
  if (PROFILE_DIR) {
    report(`profile of the ${HOSTS} agents (start pass and drill), ${PROFILE_DIR}: ${profileSummary(fleet.pids.agents).join('\n')}`);
    report(`profile of the drill (runner): ${profileSummary([fleet.pids.drill]).join('\n')}`);
  }
  if (base.line) report(`baseline: ${base.line}`);
  const ratio = fleet.slowest / base.slowest;
  report(`baseline single-host drill of ${fmt(COUNT)}: ${base.slowest.toFixed(1)} s to 100% (the whole command ${base.runSeconds.toFixed(1)} s) (${base.how})`);
  report(`RESULT: fleet ${fleet.slowest.toFixed(1)} s, baseline ${base.slowest.toFixed(1)} s, ratio ${ratio.toFixed(2)} (target <= ${TARGET_RATIO}) ${ratio <= TARGET_RATIO ? 'ok' : 'MISSED'}`);
  if (ratio > TARGET_RATIO) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  console.error(`bench:fleet-drill: FAILED: ${err instanceof PartFailed ? err.message : (err.stack ?? err)}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  if (keep) console.log(`fleet-drill: scratch kept in ${scratch}`);
}
