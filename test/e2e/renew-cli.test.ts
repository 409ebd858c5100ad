/**
 * `certfleet renew` end to end against real parts: Pebble as the CA, a real nginx serving the
 * http-01 webroot on Pebble's validation port and TLS from the deployed files (reloaded by the
 * deploy command), and every fault the issue names: a failing deploy command, kill -9 during a
 * deployment, two runs at once, a corrupt state file, the CA stopping. After each, the previous
 * certificate is intact and served, and the next run succeeds.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { StatusResult } from '../../src/renewal/status.js';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { freeTcpPort, startNginxWith, type RunningNginx } from '../helpers/nginx.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { issue, tempDir, writeFile } from '../helpers/pki.js';
import { servedSerial as servedSerialAt, settledSerial as settledSerialAt } from '../helpers/served.js';

let pebble: RunningPebble;
let nginx: RunningNginx;
let dir: string;
let tlsPort: number;
let configPath: string;
const tls = () => join(dir, 'tls');

function writeConfig(deployCommands: string[][]): void {
  const config = {
    stateDir: join(dir, 'state'),
    acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
    certificates: [
      {
        name: 'www',
        domains: ['www.example.test', 'example.test'],
        challenge: { type: 'http-01', webroot: join(dir, 'webroot') },
        deploy: { fullchain: join(tls(), 'www.fullchain.pem'), key: join(tls(), 'www.key'), commands: deployCommands },
        verify: [`127.0.0.1:${tlsPort},sni=www.example.test`],
        verifyTimeout: '5s',
      },
    ],
  };
  writeFileSync(configPath, stringify(config));
}

const renew = (...args: string[]) => runCli(['--config', configPath, ...args], { timeoutMs: 60_000 });

const servedSerial = () => servedSerialAt(tlsPort, 'www.example.test');
const settledSerial = (expected: string) => settledSerialAt(tlsPort, 'www.example.test', expected);

/** The pair on disk: the certificate's serial, and whether the key is that certificate's key. */
function pairOnDisk(): { serial: string; keyMatches: boolean } {
  const cert = parseFileContent('c', readFileSync(join(tls(), 'www.fullchain.pem')), []).certificates[0]!.info;
  const key = parseFileContent('k', readFileSync(join(tls(), 'www.key')), []).keys[0]!;
  return { serial: cert.serialNumber, keyMatches: key.publicKeyFingerprintSha256 === cert.publicKeyFingerprintSha256 };
}

async function status(): Promise<StatusResult> {
  const r = await renew('status', '--format', 'json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusResult;
}

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-renew-e2e-');
  chmodSync(dir, 0o755); // nginx's workers read the webroot
  mkdirSync(join(dir, 'webroot'), { mode: 0o755 });
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  // What was deployed before certfleet: a self-signed pair nginx starts with.
  const before = await issue({ commonName: 'www.example.test', sans: ['www.example.test'] });
  writeFile(join(tls(), 'www.fullchain.pem'), before.certPem);
  writeFile(join(tls(), 'www.key'), before.keyPem, 0o600);
  tlsPort = await freeTcpPort();
  nginx = await startNginxWith(
    `    server {
        listen 127.0.0.1:${pebble.httpPort};
        root ${join(dir, 'webroot')};
        location /.well-known/acme-challenge/ { default_type text/plain; }
    }
    server {
        listen 127.0.0.1:${tlsPort} ssl;
        server_name www.example.test;
        ssl_certificate ${join(tls(), 'www.fullchain.pem')};
        ssl_certificate_key ${join(tls(), 'www.key')};
    }`,
    [pebble.httpPort, tlsPort],
  );
  configPath = join(dir, 'certfleet.config.yaml');
  writeConfig([nginx.reloadCommand]);
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await pebble?.stop();
});

describe('certfleet renew against Pebble and nginx', () => {
  let firstSerial: string;

  it('issues, deploys without a gap, reloads nginx and verifies the new serial is served', async () => {
    const r = await renew('renew', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RenewRunResult;
    expect(result.certificates[0]).toMatchObject({ name: 'www', action: 'renewed' });
    firstSerial = result.certificates[0]!.serialNumber!;
    expect(await settledSerial(firstSerial)).toBe(firstSerial);
    expect(pairOnDisk()).toEqual({ serial: firstSerial, keyMatches: true });
    expect((await pebble.certStatus(firstSerial))?.Status).toBe('Valid');
    // The webroot is left as it was found.
    expect(existsSync(join(dir, 'webroot', '.well-known'))).toBe(false);

    const s = await status();
    expect(s.certificates[0]).toMatchObject({ name: 'www', serialNumber: firstSerial, reason: 'lifetime-fraction', consecutiveFailures: 0 });
    // What `report` reads about the automation: written by every run.
    const managed = JSON.parse(readFileSync(join(dir, 'state', 'managed.json'), 'utf8'));
    // The schedule as the decision computed it: Pebble 2.4 has no ARI, so the lifetime rule.
    expect(managed).toMatchObject({ schemaVersion: 1, certificates: [{ name: 'www', serialNumber: firstSerial, schedule: { usesAri: false, reason: 'lifetime-fraction', nextRenewalAt: s.certificates[0]!.nextRenewalAt }, challenge: { type: 'http-01' } }] });
    expect(managed.certificates[0].fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(s.certificates[0]!.nextRenewalAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000); // two thirds into 45 days
    expect(s.certificates[0]!.notAfter).toBeTruthy();
  });

  it('report reads what renew recorded: the deployed certificate counts as automated by certfleet', async () => {
    const inventoryFile = join(dir, 'inventory.json');
    const inv = await runCli(['inventory', tls(), '--format', 'json', '--output', inventoryFile, '--fail-on', 'never']);
    expect(inv.code, inv.stderr).toBe(0);
    const r = await runCli(['--config', configPath, 'report', '--inventory', inventoryFile, '--format', 'json']); // --state-dir from the config's stateDir
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const www = report.certificates.find((c: { fingerprintSha256: string; automation: string }) => c.automation === 'managed');
    expect(www, JSON.stringify(report.certificates.map((c: { name: string; automation: string }) => [c.name, c.automation]))).toBeTruthy();
    expect(report.fleet.automated.managed).toBe(1);
  });

  it('does nothing when nothing is due, without asking the CA', async () => {
    await pebble.stopCa();
    try {
      const r = await renew('renew', '--format', 'json');
      expect(r.code, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as RenewRunResult).certificates[0]).toMatchObject({ action: 'not-due', serialNumber: firstSerial });
      const plan = await renew('renew', '--plan', '--force', '--format', 'json');
      expect(JSON.parse(plan.stdout) as RenewRunResult).toMatchObject({ mode: 'plan', dryRun: true, certificates: [{ action: 'would-renew' }] });
    } finally {
      await pebble.restart(); // Pebble forgets the account: the next order must register again
    }
  });

  it('a failing deploy command puts the previous certificate back, and the next run succeeds', async () => {
    writeConfig([['sh', '-c', 'echo reload refused >&2; exit 3']]);
    const r = await renew('issue', 'www', '--format', 'json');
    expect(r.code).toBe(1);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates[0]!;
    expect(outcome.action).toBe('failed');
    expect(outcome.error).toMatch(/previous certificate was put back.*exited with status 3: reload refused/);
    expect(pairOnDisk()).toEqual({ serial: firstSerial, keyMatches: true });
    expect(await servedSerial()).toBe(firstSerial);
    // Not due for weeks, so the schedule (not the backoff) sets the next time; the failure is on record.
    expect((await status()).certificates[0]).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringMatching(/reload refused/) });

    writeConfig([nginx.reloadCommand]);
    const again = await renew('issue', 'www', '--format', 'json');
    expect(again.code, again.stderr).toBe(0);
    firstSerial = (JSON.parse(again.stdout) as RenewRunResult).certificates[0]!.serialNumber!;
    expect(await settledSerial(firstSerial)).toBe(firstSerial);
    expect((await status()).certificates[0]!.consecutiveFailures).toBe(0);
  });

  it('kill -9 during a deployment: the old pair stays served; the next run finishes the deployment', async () => {
    const mark = join(dir, 'deploying.mark');
    writeConfig([['sh', '-c', `touch ${mark}; sleep 30`]]);
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'certfleet'), '--config', configPath, 'issue', 'www'], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    while (!existsSync(mark)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the deploy command never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL'); // our own child
    await new Promise((r) => child.once('exit', r));
    expect(await servedSerial()).toBe(firstSerial); // nginx never reloaded
    const onDisk = pairOnDisk();
    expect(onDisk.keyMatches).toBe(true); // whichever version is on disk, its key is its own
    expect((await status()).certificates[0]!.deploymentPending).toBe(true);

    writeConfig([nginx.reloadCommand]);
    const r = await renew('renew', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped while deploying version .*; deploying it again/);
    const served = await settledSerial(onDisk.serial);
    expect(served).toBe(onDisk.serial);
    expect(served).not.toBe(firstSerial);
    expect((await status()).certificates[0]).toMatchObject({ serialNumber: served, deploymentPending: false });
    firstSerial = served;
  });

  it('two runs at once: one renews, the other leaves the certificate to it (its lease) and says so', async () => {
    writeConfig([['sh', '-c', 'sleep 2'], nginx.reloadCommand]);
    const versionsBefore = (await status()).certificates[0]!.versions;
    const [a, b] = await Promise.all([renew('issue', 'www', '--format', 'json'), renew('issue', 'www', '--format', 'json')]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const actions = [a, b].map((r) => (JSON.parse(r.stdout) as RenewRunResult).certificates[0]!).map((c) => `${c.action}/${c.reason}`).sort();
    expect(actions[0]).toBe('not-due/leased');
    expect(actions[1]).toMatch(/^renewed\//);
    expect((await status()).certificates[0]!.versions).toBe(versionsBefore + 1);
    firstSerial = (await status()).certificates[0]!.serialNumber!;
    expect(await settledSerial(firstSerial)).toBe(firstSerial);
    writeConfig([nginx.reloadCommand]);
  });

  it('a corrupt state file is set aside with a warning; the run goes on', async () => {
    writeFileSync(join(dir, 'state', 'certificates', 'www', 'state.json'), '{"schemaVersion": 1, "ari": ');
    const r = await renew('renew');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/state file .*state\.json was unreadable .*moved to/);
    expect(await servedSerial()).toBe(firstSerial);
  });

  it('the CA stopped: a clear error with the real cause within seconds; the previous pair stays', async () => {
    await pebble.stopCa();
    const started = Date.now();
    const r = await renew('issue', 'www', '--format', 'json');
    await pebble.restart();
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((JSON.parse(r.stdout) as RenewRunResult).certificates[0]!.error).toMatch(/ECONNREFUSED|connection refused/);
    expect(await servedSerial()).toBe(firstSerial);
    expect(pairOnDisk()).toEqual({ serial: firstSerial, keyMatches: true });
    const again = await renew('issue', 'www');
    expect(again.code, again.stderr).toBe(0);
  });
});
