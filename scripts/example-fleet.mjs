// `npm run example:fleet`: the fleet on this machine, nothing to configure. A local Pebble is the
// CA and a throwaway PostgreSQL the shared store; one certificate served by two hosts (web-1 and
// web-2, simulated by `agent --root`: each host's files under out/hosts/HOST/) is applied, ordered
// once by a runner and deployed by each host's agent. Each step says in one line what it shows.
// Every process it starts is stopped by its PID at the end, on an error, and on Ctrl-C.
// Run through scripts/example.sh fleet, which builds certfleet and installs Pebble and PostgreSQL first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startPostgres } from '../bench/postgres.mjs';
import { findPebbleBinaries, startPebble } from './example-pebble.mjs';
import { prepareOutDir, StepFailed, stopOnSignals } from './example-run.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_OUT = join(repo, 'examples', 'shared-store', 'out');
const HOSTS = ['web-1', 'web-2'];
const TOTAL_STEPS = 6;

const args = process.argv.slice(2);
const out = args[0] === '--out' && args[1] ? resolve(args[1]) : DEFAULT_OUT;
if (args.length > 0 && !(args[0] === '--out' && args.length === 2)) {
  process.stderr.write('usage: npm run example:fleet [-- --out DIR]\n');
  process.exit(2);
}
const shown = (path) => {
  const rel = relative(repo, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
};
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text) => (color ? `\x1b[1m${text}\x1b[22m` : text);
const dim = (text) => (color ? `\x1b[2m${text}\x1b[22m` : text);
const started = Date.now();

const children = [];
let postgres;
let certfleetChild;

function step(n, title, explanation) {
  process.stdout.write(`\n${bold(`==> ${n}/${TOTAL_STEPS} ${title}`)}\n    ${explanation}\n`);
}

/** The built CLI as a user would run it, output straight to the terminal. */
function certfleet(argv, env) {
  process.stdout.write(dim(`$ certfleet ${argv.join(' ')}`) + '\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'bin', 'certfleet'), ...argv], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    certfleetChild = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      certfleetChild = undefined;
      if (code === 0) resolve();
      else reject(new StepFailed(`certfleet ${argv.slice(2).join(' ')} ${signal ? `was stopped by ${signal}` : `exited ${code}`}`));
    });
  });
}

let stopping;
function stopAll() {
  stopping ??= (async () => {
    certfleetChild?.kill('SIGTERM');
    await postgres?.stop();
    for (const proc of [...children].reverse()) await proc.stop();
  })();
  return stopping;
}
const signalled = stopOnSignals(stopAll, () => {
  certfleetChild?.kill('SIGKILL');
  for (const proc of children) proc.killNow();
});

/**
 * The runner's config: the shared store (its URL from CERTFLEET_DB), the local CA, and one
 * certificate for two hosts; and the agents' config: the store only, as examples/shared-store/agent.yaml.
 */
function writeConfig(ca) {
  writeFileSync(join(out, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const config = {
    stateDir: 'state-runner',
    store: { postgres: { urlEnv: 'CERTFLEET_DB' }, encryptionKeyFile: 'store.key' },
    acme: { server: ca.directoryUrl, caBundle: ca.caBundlePath, account: { email: 'ops@example.test', acceptTermsOfService: true } },
    policy: { maxLifetimeDays: 45 },
  };
  writeFileSync(join(out, 'certfleet.config.yaml'), stringify(config));
  const www = {
    name: 'www',
    domains: ['www.example.test'],
    hosts: HOSTS,
    challenge: { type: 'http-01', standalone: { port: ca.httpPort, address: '127.0.0.1' } },
    // The same paths on every host; each simulated host has them under its own --root.
    deploy: { fullchain: '/etc/nginx/tls/www.pem', key: '/etc/nginx/tls/www.key', createDirectories: true },
  };
  writeFileSync(join(out, 'certificates.d', 'web.yaml'), `# One certificate behind a load balancer: ordered once, deployed on each host.\n${stringify([www])}`);
  // An agent never orders: no acme section. It keeps the data key here because each host's own key
  // is registered at its first start, after the runner ordered (a real fleet pins them first).
  const agent = { store: { postgres: { urlEnv: 'CERTFLEET_DB' }, encryptionKeyFile: 'store.key' } };
  writeFileSync(join(out, 'agent.yaml'), `# The agents' config: the shared store only; --state-dir gives each host its own state.\n${stringify(agent)}`);
  return { runner: join(out, 'certfleet.config.yaml'), agent: join(out, 'agent.yaml') };
}

async function main() {
  const binaries = findPebbleBinaries();
  if (!binaries.pebble || !binaries.challtestsrv) throw new StepFailed('pebble is not installed (Debian package `pebble`): run `npm run example:fleet` as root to install it');
  process.stdout.write(bold('certfleet fleet example: one shared store, a runner that orders, an agent per host that deploys') + `\nNothing leaves 127.0.0.1. Files: ${shown(out)}/ (made afresh at each run).\n`);
  prepareOutDir(out, { defaultOut: DEFAULT_OUT, shown, made: 'npm run example:fleet (scripts/example-fleet.mjs)', within: 'certificates.d' });

  step(1, 'start a local ACME CA and a PostgreSQL store', "Pebble issues 45-day certificates; a throwaway PostgreSQL cluster is the store every runner and agent shares.");
  const ca = await startPebble(join(out, 'pebble'), binaries, (proc) => children.push(proc));
  postgres = await startPostgres();
  const env = { CERTFLEET_DB: await postgres.createDatabase('certfleet') };
  const configs = writeConfig(ca);
  const config = shown(configs.runner);
  process.stdout.write(
    `    ${ca.processes.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}, postgres (pid ${postgres.pid})\n    config: ${config} and ${shown(join(out, 'certificates.d', 'web.yaml'))}; the agents': ${shown(configs.agent)}\n`,
  );
  const run = (...argv) => certfleet(['--config', config, ...argv], env);

  step(2, 'store migrate, apply: the schema, then the specs', 'apply stores certificates.d in the database (a renew also does when the files changed); runners and agents work from there.');
  await run('store', 'migrate');
  await run('apply');

  step(3, 'renew: a runner orders it once', 'It claims what is due from the store, orders www and makes the new version current; it deploys nothing itself (the hosts do).');
  await run('renew');

  step(4, `agent --once on ${HOSTS.join(' and ')}`, "Each host's agent (its config: the store, no CA) deploys the current version exactly as renew does on one host, into its own files (here under --root), and reports to the store.");
  for (const host of HOSTS) {
    const root = join(out, 'hosts', host);
    mkdirSync(root, { recursive: true });
    await certfleet(['--config', shown(configs.agent), 'agent', '--once', '--host', host, '--root', shown(root), '--state-dir', shown(join(out, `state-${host}`))], env);
  }

  step(5, 'status: the fleet from the store', 'What the store holds for every certificate: serial, expiry, next renewal and why.');
  await run('status');

  step(6, 'stop the CA and the store', `Every process the example started is stopped by its PID; the files stay in ${shown(out)}/.`);
  await stopAll();
  process.stdout.write(
    `\n${bold(`Fleet example done in ${((Date.now() - started) / 1000).toFixed(1)} s.`)} For real: examples/shared-store/ (README: "State in PostgreSQL" and "certfleet agent").\n`,
  );
}

main().catch(async (err) => {
  if (signalled()) return;
  process.stderr.write(`\nexample: ${err instanceof StepFailed ? err.message : (err?.stack ?? String(err))}\n`);
  await stopAll();
  process.exit(1);
});
