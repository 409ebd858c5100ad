/**
 * What an operator sees around `renew`, against a real Pebble: `-v` shows each ACME request as
 * "METHOD URL STATUS TIMEms" and nothing secret; `--metrics-file` writes a file promtool accepts;
 * every run appends to the history that `certfleet log` reads; `--quiet` (cron) prints nothing at all
 * unless something failed; a history that cannot be written is a run problem, never a lost run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { HistoryEntry } from '../../src/renewal/history.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;
let configPath: string;
const state = () => join(dir, 'state');

const certificate = (name: string, commands: string[][] = [], tls = 'tls') => ({
  name,
  domains: [`${name}.example.test`],
  challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
  deploy: { fullchain: join(dir, tls, `${name}.pem`), key: join(dir, tls, `${name}.key`), commands },
});

const cli = (...args: string[]) => runCli(['--config', configPath, ...args], { timeoutMs: 60_000 });

function promtool(path: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: readFileSync(path), encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-renew-observability-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  mkdirSync(join(dir, 'tls'));
  // A deploy directory every user can write to: each deployment there warns (a warning --quiet must not print).
  mkdirSync(join(dir, 'open-tls'));
  chmodSync(join(dir, 'open-tls'), 0o777);
  configPath = join(dir, 'certfleet.config.yaml');
  writeFileSync(
    configPath,
    stringify({
      stateDir: state(),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      // "broken": issued fine, but its deploy command fails every time (and its directory draws a warning).
      certificates: [certificate('www'), certificate('broken', [['false']], 'open-tls')],
    }),
  );
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe('renew: verbosity, metrics, history and --quiet', () => {
  it('-v shows each ACME request as METHOD URL STATUS TIME, and no key, JWS or certificate', async () => {
    const metricsFile = join(dir, 'certfleet.prom');
    const r = await cli('renew', 'www', '-v', '--format', 'json', '--metrics-file', metricsFile);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'www', action: 'renewed' });
    const origin = pebble.directoryUrl.replace(/\/dir$/, '').replace(/[.]/g, '\\.');
    // Pebble's newOrder is /order-plz (Let's Encrypt's is /acme/new-order).
    expect(r.stderr).toMatch(new RegExp(`^certfleet: debug: POST ${origin}/order-plz 201 \\d+ms$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^certfleet: debug: GET ${origin}/dir 200 \\d+ms$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^certfleet: debug: POST ${origin}/\\S+ 200 \\d+ms$`, 'm'));
    for (const secret of ['-----BEGIN', '"protected"', '"payload"', '"signature"', 'PRIVATE KEY', 'Replay-Nonce', 'replay-nonce']) expect(r.stderr).not.toContain(secret);

    // The metrics a textfile collector reads: accepted by promtool, with this run's facts.
    expect(promtool(metricsFile)).toEqual({ status: 0, output: '' });
    const metrics = readFileSync(metricsFile, 'utf8');
    expect(metrics).toMatch(/^certfleet_certificate_expiration_timestamp_seconds\{name="www"\} \d{10}$/m);
    // Last success: recorded in the state when the renewal succeeded (not guessed from the version).
    const lastSuccessAt = (JSON.parse(readFileSync(join(state(), 'certificates', 'www', 'state.json'), 'utf8')) as { lastSuccessAt?: string }).lastSuccessAt;
    expect(lastSuccessAt).toMatch(/^\d{4}-/);
    expect(metrics).toContain(`certfleet_certificate_last_success_timestamp_seconds{name="www"} ${Math.round(Date.parse(lastSuccessAt!) / 1000)}\n`);
    expect(metrics).toMatch(/^certfleet_certificate_consecutive_failures\{name="www"\} 0$/m);
    expect(metrics).toMatch(/^certfleet_renew_run_timestamp_seconds \d{10}$/m);
  });

  it('--quiet: a failure prints the result (so cron mails it) and the errors, no warnings or progress', async () => {
    const r = await cli('--quiet', 'renew');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout, r.stdout).toMatch(/^broken: FAILED/m);
    expect(r.stderr).toMatch(/^certfleet: error: broken: /m);
    expect(r.stderr).not.toMatch(/warning:|writable by every user|renewing|renewed/);
    // The same run without --quiet does warn: the line above is not empty by chance.
    const loud = await cli('renew', 'broken', '--force');
    expect(loud.stderr).toMatch(/^certfleet: warning: broken: deploy directory .* is writable by every user/m);
  });

  it('--quiet: a run where nothing failed prints nothing at all; JSON is still written when asked for', async () => {
    const quiet = await cli('--quiet', 'renew', 'www');
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
    const json = await cli('--quiet', 'renew', 'www', '--format', 'json');
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'www', action: 'not-due' });
  });

  it('each run appended one line per certificate to the history (0600), which `certfleet log` reads', async () => {
    expect(statSync(join(state(), 'history.jsonl')).mode & 0o777).toBe(0o600);
    const r = await cli('log', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const entries = (JSON.parse(r.stdout) as { schemaVersion: number; entries: HistoryEntry[] }).entries;
    expect(entries.map((e) => `${e.name} ${e.action}`)).toEqual(['www renewed', 'www not-due', 'broken failed', 'broken failed', 'www not-due', 'www not-due']);
    expect(entries[0]).toMatchObject({ reason: 'lifetime-fraction', serial: expect.stringMatching(/^[0-9a-f]+$/), nextRenewalAt: expect.any(String), durationMs: expect.any(Number) });
    expect(entries[2]!.error).toMatch(/deploy|false/);

    const one = await cli('log', 'broken', '--since', '1h');
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(3); // header + two entries
    expect(one.stdout).toMatch(/broken\s+failed/);
    const none = await cli('log', '--since', '2999-01-01');
    expect(none.stdout).toMatch(/^no history/);
    expect((await cli('log', '--since', 'yesterday')).code).toBe(2);
  });

  it('a history that cannot be written (a planted symlink) is a run problem (exit 3), shown even under --quiet; the run itself happened', async () => {
    const history = join(state(), 'history.jsonl');
    const elsewhere = join(dir, 'elsewhere.txt');
    writeFileSync(elsewhere, 'untouched\n');
    rmSync(history);
    symlinkSync(elsewhere, history);
    const r = await cli('--quiet', 'renew', 'www', '--format', 'json');
    expect(r.code, r.stderr).toBe(3);
    const result = JSON.parse(r.stdout) as RenewRunResult;
    expect(result.certificates[0]).toMatchObject({ name: 'www', action: 'not-due' });
    expect(result.problems).toEqual([expect.stringMatching(/^the run history was not written: .*symlink/)]);
    expect(readFileSync(elsewhere, 'utf8')).toBe('untouched\n');
    const table = await cli('--quiet', 'renew', 'www');
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/^problem: the run history was not written/m);
    rmSync(history);
  });

  it('--metrics-file with --dry-run is a usage error', async () => {
    const r = await cli('renew', '--dry-run', '--metrics-file', join(dir, 'x.prom'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--metrics-file records a real run; it cannot be used with --dry-run/);
  });
});
