/**
 * Several certificates renewed at once, deployed to one server: each switch-and-reload section must
 * run alone. Otherwise one certificate's reload can read another's pair mid-switch (the certificate
 * file of one version and the key of the next): nginx refused a reload with "key values mismatch"
 * that way, once, in the revocation e2e test.
 */
import { lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { StatusResult } from '../../src/renewal/status.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { issue, tempDir, writeFile } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-concurrent-deploy-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe('renew --concurrency with a shared reload', () => {
  it('never runs one certificate\'s deploy section while another\'s is running', async () => {
    const log = join(dir, 'sections.log');
    const names = ['a', 'b', 'c', 'd'];
    const config = {
      stateDir: join(dir, 'state'),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: names.map((name) => ({
        name,
        domains: [`${name}.example.test`],
        challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
        deploy: {
          fullchain: join(dir, 'tls', `${name}.pem`),
          key: join(dir, 'tls', `${name}.key`),
          // A "reload" slow enough that overlapping sections could not be missed.
          commands: [['sh', '-c', `echo "start $CERTFLEET_NAME" >> ${log}; sleep 0.3; echo "end $CERTFLEET_NAME" >> ${log}`]],
        },
      })),
    };
    const configPath = join(dir, 'certfleet.config.yaml');
    writeFileSync(configPath, stringify(config));
    mkdirSync(join(dir, 'tls'));
    const r = await runCli(['--config', configPath, 'renew', '--concurrency', '4', '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RenewRunResult).summary.renewed).toBe(4);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(8);
    for (let i = 0; i < lines.length; i += 2) {
      const [, name] = lines[i]!.split(' ');
      expect([lines[i], lines[i + 1]]).toEqual([`start ${name}`, `end ${name}`]);
    }
    expect(new Set(lines.filter((l) => l.startsWith('start')))).toEqual(new Set(names.map((n) => `start ${n}`)));
  });

  it('a first deployment that fails puts back the files that were there before certfleet', async () => {
    const before = await issue({ commonName: 'first.example.test', sans: ['first.example.test'] });
    const fullchain = join(dir, 'tls-first', 'first.pem');
    const key = join(dir, 'tls-first', 'first.key');
    writeFile(fullchain, before.certPem);
    writeFile(key, before.keyPem, 0o600);
    const config = {
      stateDir: join(dir, 'state-first'),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [
        {
          name: 'first',
          domains: ['first.example.test'],
          challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
          deploy: { fullchain, key, commands: [['sh', '-c', 'echo reload refused >&2; exit 3']] },
        },
      ],
    };
    const configPath = join(dir, 'first.config.yaml');
    writeFileSync(configPath, stringify(config));
    const r = await runCli(['--config', configPath, 'renew', '--format', 'json'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as RenewRunResult).certificates[0]!.error).toMatch(/the files that were there before certfleet were put back.*reload refused/);
    // The paths are exactly what was found: plain files again, same bytes, the key still 0600.
    expect(lstatSync(fullchain).isFile()).toBe(true);
    expect(lstatSync(key).isFile()).toBe(true);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(fullchain, 'utf8')).toBe(before.certPem);
    expect(readFileSync(key, 'utf8')).toBe(before.keyPem);
    // And they stay kept (listed by status) after the next, successful, deployment.
    config.certificates[0]!.deploy.commands = [['true']];
    writeFileSync(configPath, stringify(config));
    const again = await runCli(['--config', configPath, 'renew', '--force', '--format', 'json'], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    const status = JSON.parse((await runCli(['--config', configPath, 'status', '--format', 'json'])).stdout) as StatusResult;
    expect(status.certificates[0]!.keptFiles.map((k) => k.path)).toEqual([fullchain, key]);
  });
});
