/**
 * `renew` on day 2, end to end against Pebble: the config changes under a deployed certificate,
 * a deployment fails after issuance, a certificate is taken out of certfleet's care. What an
 * operator expects: a changed order spec orders now, a changed deploy section or a failed
 * deployment deploys again without ordering, a broken new certificate backs off, `remove` keeps
 * the site serving and archives everything.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import type { RemoveResult } from '../../src/renewal/remove.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { StatusResult } from '../../src/renewal/status.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;

interface Entry {
  name: string;
  domains: string[];
  challenge: object;
  deploy?: { fullchain: string; key: string; commands?: string[][] };
}

function writeConfig(path: string, certificates: Entry[]): void {
  writeFileSync(
    path,
    stringify({
      stateDir: join(dir, 'state'),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates,
    }),
  );
}

const standalone = () => ({ type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } });
const deployIn = (sub: string, name: string, commands: string[][] = []) => {
  mkdirSync(join(dir, sub), { recursive: true });
  return { fullchain: join(dir, sub, `${name}.pem`), key: join(dir, sub, `${name}.key`), commands };
};

async function cli<T>(config: string, args: string[], code = 0): Promise<T> {
  const r = await runCli(['--config', config, ...args, '--format', 'json'], { timeoutMs: 60_000 });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  return JSON.parse(r.stdout) as T;
}

function onDisk(fullchain: string): { serial: string; sans: string[] } {
  const info = parseFileContent('c', readFileSync(fullchain), []).certificates[0]!.info;
  return { serial: info.serialNumber, sans: [...info.sans].sort() };
}

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-day2-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe('renew on day 2', () => {
  it('a changed order spec orders at once (and status says why); a changed deploy section deploys again without ordering', async () => {
    const config = join(dir, 'spec.yaml');
    const www: Entry = { name: 'www', domains: ['www.example.test'], challenge: standalone(), deploy: deployIn('tls', 'www') };
    writeConfig(config, [www]);
    const first = await cli<RenewRunResult>(config, ['renew']);
    expect(first.certificates[0]).toMatchObject({ action: 'renewed' });
    expect((await cli<RenewRunResult>(config, ['renew'])).certificates[0]).toMatchObject({ action: 'not-due' });

    writeConfig(config, [{ ...www, domains: ['www.example.test', 'new.example.test'] }]);
    const status = await cli<StatusResult>(config, ['status']);
    expect(status.certificates[0]).toMatchObject({ reason: 'spec-changed' });
    expect(status.certificates[0]!.explanation).toMatch(/domains changed: \+new\.example\.test/);
    const again = await cli<RenewRunResult>(config, ['renew']);
    expect(again.certificates[0]).toMatchObject({ action: 'renewed', reason: expect.not.stringMatching(/spec-changed/) });
    expect(onDisk(www.deploy!.fullchain).sans).toEqual(['new.example.test', 'www.example.test']);
    const serial = again.certificates[0]!.serialNumber!;

    // Only the deploy section changes: the same certificate goes to the new paths, no order.
    const moved = deployIn('tls-moved', 'www');
    writeConfig(config, [{ ...www, domains: ['www.example.test', 'new.example.test'], deploy: moved }]);
    const redeployed = await cli<RenewRunResult>(config, ['renew']);
    expect(redeployed.certificates[0]).toMatchObject({ action: 'deployed', serialNumber: serial });
    expect(redeployed.summary).toMatchObject({ renewed: 0, deployed: 1 });
    expect(onDisk(moved.fullchain).serial).toBe(serial);
    expect((await cli<RenewRunResult>(config, ['renew'])).certificates[0]).toMatchObject({ action: 'not-due' });
  });

  it('a deployment that fails after issuance is retried without ordering; `deploy` does it on demand', async () => {
    const config = join(dir, 'failing.yaml');
    const api: Entry = { name: 'api', domains: ['api.example.test'], challenge: standalone(), deploy: deployIn('tls-api', 'api') };
    writeConfig(config, [api]);
    await cli<RenewRunResult>(config, ['renew']);
    const before = onDisk(api.deploy!.fullchain).serial;

    writeConfig(config, [{ ...api, deploy: { ...api.deploy!, commands: [['sh', '-c', 'echo permission denied >&2; exit 3']] } }]);
    const failed = await cli<RenewRunResult>(config, ['renew', '--force'], 1);
    expect(failed.certificates[0]).toMatchObject({ action: 'failed', failedStage: 'deploy' });
    expect(failed.certificates[0]!.explanation).toMatch(/issued but not deployed; the next run deploys it again without ordering/);
    expect(onDisk(api.deploy!.fullchain).serial).toBe(before); // put back

    // Still broken: the next run waits (backoff) rather than churning, and orders nothing.
    const waiting = await cli<RenewRunResult>(config, ['renew'], 0);
    expect(waiting.certificates[0]).toMatchObject({ action: 'not-due', reason: 'backoff' });
    expect(waiting.certificates[0]!.explanation).toMatch(/is not deployed yet/);

    // Fixed: `certfleet deploy` puts the certificate issued in the failed run in place, no order.
    writeConfig(config, [api]);
    const deployed = await cli<RenewRunResult>(config, ['deploy', 'api']);
    expect(deployed.certificates[0]).toMatchObject({ action: 'deployed' });
    const after = onDisk(api.deploy!.fullchain).serial;
    expect(after).not.toBe(before);
    expect(deployed.certificates[0]!.serialNumber).toBe(after);
    expect((await cli<RenewRunResult>(config, ['renew'])).certificates[0]).toMatchObject({ action: 'not-due', serialNumber: after });
  });

  it('backs off a certificate that was never issued instead of asking the CA on every run', async () => {
    const config = join(dir, 'broken.yaml');
    // Nothing serves this webroot on Pebble's validation port: validation fails.
    writeConfig(config, [{ name: 'broken', domains: ['broken.example.test'], challenge: { type: 'http-01', webroot: join(dir, 'nowhere') } }]);
    const first = await cli<RenewRunResult>(config, ['renew'], 1);
    expect(first.certificates[0]).toMatchObject({ action: 'failed', failedStage: 'order', reason: 'backoff' });
    expect(Date.parse(first.certificates[0]!.nextRenewalAt!)).toBeGreaterThan(Date.now() + 60_000);
    const second = await cli<RenewRunResult>(config, ['renew'], 0);
    expect(second.certificates[0]).toMatchObject({ action: 'not-due', reason: 'backoff' });
  });

  it('--dry-run is a full run against the staging CA with throwaway state; --plan asks no CA', async () => {
    const stateDir = join(dir, 'state');
    const config = join(dir, 'dry.yaml');
    const deploy = deployIn('tls-dry', 'dry');
    const entry: Entry = { name: 'dry', domains: ['dry.example.test'], challenge: standalone(), deploy };
    writeConfig(config, [entry]);
    const before = existsSync(join(stateDir, 'certificates', 'dry'));

    // Pebble is no preset: without acme.dryRunServer there is no staging CA to order from.
    const refused = await runCli(['--config', config, 'renew', '--dry-run']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has no staging directory certfleet knows: a dry run would issue real certificates/);
    expect(refused.stderr).toMatch(/acme\.dryRunServer/);

    const withStaging = join(dir, 'dry-staging.yaml');
    writeFileSync(withStaging, readFileSync(config, 'utf8').replace(/^acme:\n/m, `acme:\n  dryRunServer: ${pebble.directoryUrl}\n`));
    const dry = await cli<RenewRunResult>(withStaging, ['renew', '--dry-run']);
    expect(dry).toMatchObject({ mode: 'dry-run', dryRun: true, certificates: [{ name: 'dry', action: 'renewed' }] });
    expect(readdirSync(join(dir, 'tls-dry'))).toEqual([]); // nothing deployed
    expect(existsSync(join(stateDir, 'certificates', 'dry'))).toBe(before); // the real state untouched

    // A webroot nothing serves fails the dry run at the CA's validation, with the message of a real run.
    mkdirSync(join(dir, 'unserved'), { recursive: true });
    writeFileSync(withStaging, readFileSync(withStaging, 'utf8').replace(/challenge:\n(\s+)type: http-01\n\s+standalone:\n\s+port: \d+\n\s+address: 127\.0\.0\.1/, `challenge:\n$1type: http-01\n$1webroot: ${join(dir, 'unserved')}`));
    const failing = await cli<RenewRunResult>(withStaging, ['renew', '--dry-run'], 1);
    expect(failing.certificates[0]).toMatchObject({ action: 'failed', failedStage: 'order' });
    expect(failing.certificates[0]!.error).toMatch(/dry\.example\.test/);

    const plan = await cli<RenewRunResult>(config, ['renew', '--plan']);
    expect(plan).toMatchObject({ mode: 'plan', certificates: [{ name: 'dry', action: 'would-renew', reason: 'no-certificate' }] });
  });

  it('remove: the links become plain files (still served), the state is archived, --revoke revokes at the CA', async () => {
    const config = join(dir, 'remove.yaml');
    const keep: Entry = { name: 'keep', domains: ['keep.example.test'], challenge: standalone(), deploy: deployIn('tls-remove', 'keep') };
    const gone: Entry = { name: 'gone', domains: ['gone.example.test'], challenge: standalone(), deploy: deployIn('tls-remove', 'gone') };
    writeConfig(config, [keep, gone]);
    const issued = await cli<RenewRunResult>(config, ['renew']);
    const goneSerial = issued.certificates.find((c) => c.name === 'gone')!.serialNumber!;
    const served = readFileSync(keep.deploy!.fullchain, 'utf8');

    // Taken out of the config first, as an operator would: status lists it as orphaned.
    writeConfig(config, []);
    const removed = await cli<RemoveResult>(config, ['remove', 'keep']);
    expect(removed.paths.map((p) => p.action)).toEqual(['plain', 'plain']);
    expect(lstatSync(keep.deploy!.fullchain).isFile()).toBe(true);
    expect(readFileSync(keep.deploy!.fullchain, 'utf8')).toBe(served);
    expect(existsSync(join(dir, 'tls-remove', '.certfleet-keep'))).toBe(false);
    expect(readdirSync(join(removed.archivedTo, 'state'))).toEqual(expect.arrayContaining(['versions', 'current']));
    expect(removed.stillConfigured).toBe(false);

    const refused = await runCli(['--config', config, 'remove', 'gone', '--revoke']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    writeConfig(config, [gone]);
    const revoked = await cli<RemoveResult>(config, ['remove', 'gone', '--revoke', '--yes', '--delete-files']);
    expect(revoked.revoked).toEqual({ serialNumber: goneSerial, already: false });
    expect(revoked.stillConfigured).toBe(true);
    expect(existsSync(gone.deploy!.fullchain)).toBe(false);
    expect((await pebble.certStatus(goneSerial))?.Status).toBe('Revoked');
    const unknown = await runCli(['--config', config, 'remove', 'keep']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no certificate named keep in the state directory/);
  });
});
