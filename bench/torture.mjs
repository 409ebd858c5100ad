// npm run bench:torture — kill -9 at random moments while certfleet switches deployed versions,
// in each shipped layout, and after every kill check what a server would read: the certificate
// file(s) and the key file must be one pair. Prints trials and failures per layout.
//
//   node bench/torture.mjs [--trials N] [--dist DIR]
//
// Each trial: a fresh deploy tree holding a plain pair (what was there before certfleet), two
// versions staged, then a child process that switches between them as fast as it can (the first
// switch adopts the plain files) is killed with SIGKILL after a random 0-40 ms. The child does
// nothing but switch, so a kill lands inside a switch far more often than in a real run: a layout
// that can leave a mismatched pair fails here within a few trials (the layout with a home per
// directory did 10 of 10). Needs dist/ (npm run build) and openssl.
import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The layouts the README and examples ship. */
export const layouts = {
  'same directory': (d) => ({ fullchain: join(d, 'tls', 'www.fullchain.pem'), key: join(d, 'tls', 'www.key') }),
  'different directories': (d) => ({ cert: join(d, 'certs', 'www.pem'), fullchain: join(d, 'certs', 'www-fullchain.pem'), key: join(d, 'private', 'www.key') }),
  'haproxy combined + separate files': (d) => ({ combined: join(d, 'haproxy', 'www.pem'), fullchain: join(d, 'tls', 'www.crt'), key: join(d, 'tls', 'www.key') }),
};

function makePair(dir, name) {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`], { stdio: 'ignore' });
  const certPem = readFileSync(cert, 'utf8');
  return { certPem, chainPem: '', fullchainPem: certPem, keyPem: readFileSync(key, 'utf8') };
}

/** What a server would load through each path: every certificate file must belong to the key. */
export function pairProblem(targets) {
  const keyPem = readFileSync(targets.key ?? targets.combined, 'utf8');
  const spki = (k) => k.export({ type: 'spki', format: 'der' }).toString('hex');
  const key = spki(createPublicKey(keyPem));
  for (const kind of ['cert', 'fullchain', 'combined']) {
    if (!targets[kind]) continue;
    const text = readFileSync(targets[kind], 'utf8');
    const pem = text.slice(text.indexOf('-----BEGIN CERTIFICATE-----'));
    if (spki(new X509Certificate(pem).publicKey) !== key) return `${kind} ${targets[kind]} does not belong to the key ${targets.key ?? targets.combined}`;
    if (kind === 'combined' && spki(createPublicKey(text)) !== key) return `the combined file's key is not its certificate's`;
  }
  return undefined;
}

const CHILD = `
const [modulePath, targetsJson] = process.argv.slice(1);
const { activateVersion } = await import(modulePath);
const targets = JSON.parse(targetsJson);
process.stdout.write('ready\\n');
for (let i = 0; ; i++) await activateVersion('www', i % 2 ? 'v2' : 'v1', targets);
`;

function startSwitcher(modulePath, targets) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, modulePath, JSON.stringify(targets)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the switcher exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

/** Run `trials` kills in one layout; returns { trials, failures, problems }. */
export async function torture(layoutName, trials, { dist = join(root, 'dist'), random = Math.random } = {}) {
  const modulePath = pathToFileURL(join(dist, 'renewal', 'deploy-files.js')).href;
  const { stageVersion } = await import(modulePath);
  const work = mkdtempSync(join(tmpdir(), 'certfleet-torture-'));
  const problems = [];
  try {
    const pairs = { before: makePair(work, 'before'), v1: makePair(work, 'v1'), v2: makePair(work, 'v2') };
    for (let t = 0; t < trials; t++) {
      const dir = join(work, `t${t}`);
      const targets = layouts[layoutName](dir);
      for (const kind of ['cert', 'fullchain', 'key', 'combined']) {
        if (!targets[kind]) continue;
        mkdirSync(join(targets[kind], '..'), { recursive: true });
        const p = pairs.before;
        writeFileSync(targets[kind], kind === 'key' ? p.keyPem : kind === 'combined' ? p.keyPem + p.fullchainPem : kind === 'cert' ? p.certPem : p.fullchainPem, { mode: 0o600 });
      }
      await stageVersion('www', 'v1', targets, pairs.v1);
      await stageVersion('www', 'v2', targets, pairs.v2);
      const { child, ready } = startSwitcher(modulePath, targets);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await ready;
      await new Promise((r) => setTimeout(r, Math.floor(random() * 40)));
      child.kill('SIGKILL');
      await exited;
      try {
        const problem = pairProblem(targets);
        if (problem) problems.push(`trial ${t}: ${problem}`);
      } catch (err) {
        problems.push(`trial ${t}: ${err.message}`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { trials, failures: problems.length, problems };
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--trials');
  const trials = at >= 0 ? Number(args[at + 1]) : 200;
  const distAt = args.indexOf('--dist');
  const dist = distAt >= 0 ? args[distAt + 1] : undefined;
  let failed = 0;
  for (const name of Object.keys(layouts)) {
    const started = performance.now();
    const r = await torture(name, trials, dist ? { dist } : {});
    failed += r.failures;
    console.log(`torture ${name}: ${r.trials} kills, ${r.failures} mismatched pairs (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    for (const p of r.problems.slice(0, 3)) console.log(`  ${p}`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
