// npm run bench:drill — how fast certfleet replaces a fleet when a CA must revoke it, in one run:
//   drill:  100 managed certificates (issued first by `certfleet renew`), then ONE `certfleet drill`
//           over all of them: each re-ordered, deployed to files and recorded. Figures: certificates
//           replaced per minute, median / p95 / slowest time to replace (from the drill's start), and
//           the fleet that rate replaces within the Baseline Requirements' 24 hours (the baseline).
//   revoke: ONE `certfleet revoke --all --yes` over the same 100: replace first, then revoke each
//           replaced certificate; revocations confirmed by Pebble's management API.
//
//   node bench/drill.mjs [--count N] [--concurrency N] [--drill-only]
//
// --drill-only: the drill's figures, no revoke (bench/fleet-drill.mjs's baseline).
//
// Needs dist/ (npm run build) and Debian `pebble`. Everything listens on 127.0.0.1; every process
// started here is stopped by its PID, also on errors.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPebble } from './pebble.mjs';
import { runProcess } from './run-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const COUNT = flag('--count', 100);
const CONCURRENCY = flag('--concurrency', 8);
const DAY_SECONDS = 24 * 3600;

if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: build first (npm run build)');
const scratch = mkdtempSync(join(tmpdir(), 'certfleet-bench-drill-'));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
const cleanups = [() => rmSync(scratch, { recursive: true, force: true })];

const certfleet = (argv) => runProcess(process.execPath, [join(root, 'bin', 'certfleet'), ...argv]);

function json(r, what) {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what} exited ${r.status} without a JSON result:\n${r.stderr.slice(-3000)}`);
  }
}

async function main() {
  const pebble = await startPebble();
  cleanups.push(() => pebble.stop());
  const dir = mkdtempSync(join(scratch, 'fleet-'));
  const config = {
    stateDir: join(dir, 'state'),
    acme: { server: pebble.directoryUrl, caBundle: pebble.caPath, account: { email: 'ops@example.test', acceptTermsOfService: true } },
    certificates: Array.from({ length: COUNT }, (_, i) => {
      const name = `h${i + 1}`;
      return {
        name,
        domains: [`${name}.example.test`],
        challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
        deploy: { fullchain: join(dir, 'deployed', `${name}.fullchain.pem`), key: join(dir, 'deployed', `${name}.key`), createDirectories: true },
      };
    }),
  };
  const configPath = join(dir, 'certfleet.config.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const common = ['--config', configPath];

  const issued = json(await certfleet([...common, 'renew', '--concurrency', String(CONCURRENCY), '--format', 'json', '--quiet']), 'renew');
  if (issued.summary.renewed !== COUNT) throw new Error(`renew issued ${issued.summary.renewed} of ${COUNT}`);

  const r = await certfleet([...common, 'drill', '--concurrency', String(CONCURRENCY), '--format', 'json', '--quiet']);
  const drill = json(r, 'drill');
  if (r.status !== 0 || drill.summary.replaced !== COUNT) throw new Error(`drill replaced ${drill.summary.replaced} of ${COUNT} (exit ${r.status})`);
  // What the drill says it deployed is on disk: each deployed fullchain is the replacement.
  const { parseCertificate } = await import(join(root, 'dist/x509/certificate.js'));
  const { findPemBlocks } = await import(join(root, 'dist/x509/pem.js'));
  for (const c of drill.certificates) {
    const leaf = findPemBlocks(readFileSync(join(dir, 'deployed', `${c.name}.fullchain.pem`), 'utf8'))[0];
    if (parseCertificate(leaf.der).info.serialNumber !== c.replacedBy.serialNumber) throw new Error(`${c.name}: the deployed certificate is not the drill's replacement`);
  }
  const seconds = (Date.parse(drill.finishedAt) - Date.parse(drill.startedAt)) / 1000;
  const perMinute = (COUNT / seconds) * 60;
  const t = drill.summary.secondsToReplace;
  const fleetIn24h = perMinute * 60 * 24;
  console.log(
    `drill: ${COUNT} certificates replaced in ${seconds.toFixed(1)} s = ${perMinute.toFixed(0)}/min (one run, --concurrency ${CONCURRENCY}); ` +
      `time to replace median ${t.median.toFixed(2)} s, p95 ${t.p95.toFixed(2)} s, slowest ${t.max.toFixed(2)} s; affected set found in ${(drill.identifySeconds * 1000).toFixed(0)} ms`,
  );
  console.log(
    `drill: at that rate ${Math.round(fleetIn24h).toLocaleString('en')} certificates fit in the 24-hour deadline (baseline ${COUNT}: ratio ${(fleetIn24h / COUNT).toFixed(0)}); ` +
      `the drill itself took ${((seconds / DAY_SECONDS) * 100).toFixed(4)}% of 24 h`,
  );

  if (args.includes('--drill-only')) return;
  const rv = await certfleet([...common, 'revoke', '--all', '--yes', '--concurrency', String(CONCURRENCY), '--format', 'json', '--quiet']);
  const revoked = json(rv, 'revoke');
  if (rv.status !== 0 || revoked.summary.revoked !== COUNT) throw new Error(`revoke revoked ${revoked.summary.revoked} of ${COUNT} (exit ${rv.status}):\n${rv.stderr.slice(-2000)}`);
  let confirmed = 0;
  for (const c of revoked.certificates) if ((await pebble.certStatus(c.serialNumber))?.Status === 'Revoked') confirmed++;
  if (confirmed !== COUNT) throw new Error(`Pebble confirms ${confirmed} of ${COUNT} revocations`);
  const revokeSeconds = revoked.summary.durationMs / 1000;
  console.log(
    `revoke: ${COUNT} certificates replaced, deployed, then revoked in ${revokeSeconds.toFixed(1)} s = ${((COUNT / revokeSeconds) * 60).toFixed(0)}/min ` +
      `(${confirmed} revocations confirmed by the CA); ratio to the drill's time ${(revokeSeconds / seconds).toFixed(2)}`,
  );
}

try {
  await main();
} catch (err) {
  console.error(`bench:drill: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
