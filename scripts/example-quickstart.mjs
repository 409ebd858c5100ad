// `npm run example`: certfleet's main job on this machine, nothing to configure. A local Pebble is
// the CA; the three certificates of examples/quickstart/certfleet.config.yaml are issued and
// deployed into examples/quickstart/out/deployed/, renewed again (nothing due), shown by `status`,
// replaced by a `drill` and rated by `report`. Each step says in one line what it shows.
// Every process it starts is stopped by its PID at the end, on an error, and on Ctrl-C.
// Run through scripts/example.sh, which builds certfleet and installs Pebble first.
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEPLOY_FILES, writeRunConfig, startStandInServer } from './example-config.mjs';
import { findPebbleBinaries, freePort, startPebble } from './example-pebble.mjs';
import { prepareOutDir, StepFailed, stopOnSignals } from './example-run.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const quickstart = join(repo, 'examples', 'quickstart');

const DEFAULT_OUT = join(quickstart, 'out');

function parseArgs(argv) {
  let outDir = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) outDir = resolve(argv[++i]);
    else {
      process.stderr.write(`example: unknown argument ${argv[i]}\nusage: npm run example [-- --out DIR]    (npm run example -- inventory: the example fleet's inventory)\n`);
      process.exit(2);
    }
  }
  return outDir;
}

const out = parseArgs(process.argv.slice(2));
const configPath = join(out, 'certfleet.config.yaml');
/** Paths as the user would type them from the repository. */
const shown = (path) => {
  const rel = relative(repo, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
};
const shownConfig = shown(configPath);
const TOTAL_STEPS = 7;
const started = Date.now();

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (text) => (color ? `\x1b[1m${text}\x1b[22m` : text);
const dim = (text) => (color ? `\x1b[2m${text}\x1b[22m` : text);

/** Processes and servers to stop, last started first. */
const children = [];
let standIn;
let certfleetChild;

function step(n, title, explanation) {
  process.stdout.write(`\n${bold(`==> ${n}/${TOTAL_STEPS} ${title}`)}\n    ${explanation}\n`);
}

/** Runs the built CLI as a user would, output straight to the terminal. */
function certfleet(args, { allow = [0] } = {}) {
  process.stdout.write(dim(`$ certfleet ${args.join(' ')}`) + '\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'bin', 'certfleet'), ...args], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
    certfleetChild = child;
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      certfleetChild = undefined;
      if (allow.includes(code)) resolve(code);
      else reject(new StepFailed(`certfleet ${args[2] ?? args[0]} ${signal ? `was stopped by ${signal}` : `exited ${code}`}`));
    });
  });
}

/** What certfleet put at the deploy paths: links into one home per certificate. */
function showDeployed(root) {
  const lines = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.certfleet-')) continue;
      const path = join(dir, entry);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else lines.push(`    ${shown(path)}${stat.isSymbolicLink() ? ` -> ${readlinkSync(path)}` : ''}`);
    }
  };
  walk(root);
  process.stdout.write(`${lines.join('\n')}\n`);
}

let stopping;
function stopAll() {
  stopping ??= (async () => {
    if (certfleetChild && certfleetChild.exitCode === null) {
      certfleetChild.kill('SIGTERM');
      await new Promise((resolve) => certfleetChild?.once('exit', resolve) ?? resolve());
    }
    await standIn?.close();
    for (const proc of [...children].reverse()) await proc.stop();
  })();
  return stopping;
}

// A crash must not leave Pebble behind: kill what is still running, by PID, synchronously.
const signalled = stopOnSignals(stopAll, () => {
  certfleetChild?.kill('SIGKILL');
  for (const proc of children) proc.killNow();
});

/** The version each deployed certificate's `live` link names, and how much Pebble has logged. */
function snapshot(pebbleLog) {
  const live = {};
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (entry.startsWith('.certfleet-')) live[path] = readlinkSync(join(path, 'live'));
      else if (lstatSync(path).isDirectory()) walk(path);
    }
  };
  walk(join(out, 'deployed'));
  return { live: JSON.stringify(live), caRequests: statSync(pebbleLog).size };
}

async function main() {
  const binaries = findPebbleBinaries();
  if (!binaries.pebble || !binaries.challtestsrv) {
    throw new StepFailed('pebble is not installed (Debian package `pebble`): run `npm run example` as root to install it, or `sudo apt-get install pebble`');
  }
  process.stdout.write(
    bold('certfleet quick start: issue, deploy, renew, drill and report, against a CA running on this machine') +
      `\nNothing leaves 127.0.0.1. Files: ${shown(out)}/ (made afresh at each run).\n`,
  );
  // A fresh start each time: Pebble forgets every account and certificate when it stops.
  prepareOutDir(out, { defaultOut: DEFAULT_OUT, shown, made: 'npm run example (scripts/example-quickstart.mjs)' });

  step(1, 'start a local ACME CA', "Pebble, Let's Encrypt's test CA, issues 45-day certificates; pebble-challtestsrv resolves every name to 127.0.0.1.");
  const ca = await startPebble(join(out, 'pebble'), binaries, (proc) => children.push(proc));
  const verifyPort = await freePort();
  const config = writeRunConfig(join(quickstart, 'certfleet.config.yaml'), configPath, { ...ca, verifyPort });
  // certfleet deploys only into directories that exist (a missing one is a typo, not a wish).
  for (const c of config.certificates) for (const file of DEPLOY_FILES) if (c.deploy?.[file]) mkdirSync(dirname(c.deploy[file]), { recursive: true });
  standIn = await startStandInServer(verifyPort, config.certificates);
  const pebbleLog = ca.processes.find((proc) => proc.name === 'pebble').logPath;
  for (const proc of ca.processes) process.stdout.write(`    ${proc.name} (pid ${proc.pid})\n`);
  process.stdout.write(
    `    CA directory ${ca.directoryUrl}; http-01 is validated on 127.0.0.1:${ca.httpPort}; a stand-in web server on 127.0.0.1:${verifyPort} serves the deployed files\n` +
      `    config: ${shownConfig} (examples/quickstart/certfleet.config.yaml with this run's CA, ports and paths)\n`,
  );

  const withConfig = (...args) => ['--config', shownConfig, ...args];

  step(2, 'renew: the first run issues every certificate', 'Registers an ACME account, answers http-01 itself, deploys each certificate atomically and checks the web server serves the new serial.');
  await certfleet(withConfig('renew'));
  process.stdout.write('    Deployed paths are links into one home per certificate (.certfleet-NAME/), switched with a single rename:\n');
  showDeployed(join(out, 'deployed'));

  step(3, 'renew again: nothing is due', 'What cron or the systemd timer runs every few minutes: it reads local state only, contacts no CA and changes nothing.');
  const before = snapshot(pebbleLog);
  await certfleet(withConfig('renew'));
  const after = snapshot(pebbleLog);
  if (after.caRequests !== before.caRequests || after.live !== before.live) {
    throw new StepFailed('the second renew should have done nothing, yet it contacted the CA or changed a deployed certificate');
  }
  process.stdout.write('    checked: no request reached the CA, and every deployed certificate is still the one from step 2\n');

  step(4, 'status: what certfleet manages', 'Serial, expiry, next renewal and why (a third of the lifetime left, or the CA\'s ARI window), from local state only.');
  await certfleet(withConfig('status'));

  step(5, 'drill www: rehearse a CA incident', 'Replaces the selected certificate now (order, deploy, verify), times it and records it for report; nothing is revoked.');
  await certfleet(withConfig('drill', 'www'));

  step(6, 'report: readiness for shorter lifetimes', 'Scans the deployed files (inventory.paths), matches them to the managed state and the drill, and scores each CA/Browser Forum deadline.');
  await certfleet(withConfig('report'));

  step(7, 'stop the local CA', `Every process the example started is stopped by its PID; the files stay in ${shown(out)}/.`);
  await stopAll();
  for (const proc of children) process.stdout.write(`    stopped ${proc.name} (pid ${proc.pid})\n`);
  process.stdout.write(
    `\n${bold(`Quick start done in ${((Date.now() - started) / 1000).toFixed(1)} s.`)} ` +
      "To run certfleet for real, start from examples/quickstart/certfleet.config.yaml or examples/renew/ (README: Quick start, `certfleet renew`).\n",
  );
}

main().catch(async (err) => {
  // Interrupted: the signal handler stops everything and exits with the signal's code.
  if (signalled()) return;
  process.stderr.write(`\nexample: ${err instanceof StepFailed ? err.message : (err?.stack ?? String(err))}\n`);
  const logs = children.map((proc) => shown(proc.logPath));
  if (logs.length) process.stderr.write(`example: the CA's logs: ${logs.join(', ')}\n`);
  await stopAll();
  process.exit(1);
});
