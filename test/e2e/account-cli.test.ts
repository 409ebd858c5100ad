/** `certfleet account register|show|rollover|deactivate` against a real Pebble. */
import { readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;
let config: string;

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-account-e2e-');
  writeFileSync(join(dir, 'ca.pem'), pebble.caBundle);
  config = join(dir, 'certfleet.config.yaml');
  writeFileSync(
    config,
    stringify({ stateDir: join(dir, 'state'), acme: { server: pebble.directoryUrl, caBundle: join(dir, 'ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } } }),
  );
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

const account = (...args: string[]) => runCli(['--config', config, 'account', ...args, '--format', 'json']);

describe('certfleet account', () => {
  it('says to register first, then registers, shows, rolls the key over and deactivates', async () => {
    const before = await account('show');
    expect(before.code).toBe(2);
    expect(before.stderr).toMatch(/no account for .* run `certfleet account register` first/);

    const registered = await account('register');
    expect(registered.code, registered.stderr).toBe(0);
    const info = JSON.parse(registered.stdout);
    expect(info).toMatchObject({ status: 'valid', contact: ['mailto:ops@example.test'] });
    const accountDir = join(dir, 'state', 'accounts', readdirSync(join(dir, 'state', 'accounts'))[0]!);
    expect(statSync(join(accountDir, 'account.key')).mode & 0o777).toBe(0o600);
    const oldKey = readFileSync(join(accountDir, 'account.key'), 'utf8');
    expect(registered.stdout + registered.stderr).not.toContain(oldKey.split('\n')[1]!);

    expect(JSON.parse((await account('show')).stdout).url).toBe(info.url);

    const rolled = await account('rollover');
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(readFileSync(join(accountDir, 'account.key'), 'utf8')).not.toBe(oldKey);
    expect(JSON.parse((await account('show')).stdout).url).toBe(info.url); // same account, new key

    const refused = await account('deactivate');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/cannot be undone: add --yes/);
    const deactivated = await account('deactivate', '--yes');
    expect(deactivated.code, deactivated.stderr).toBe(0);
    expect(JSON.parse(deactivated.stdout).status).toBe('deactivated');
  });

  it('refuses to register without accepting the terms of service, naming them', async () => {
    const strict = join(dir, 'strict.yaml');
    writeFileSync(strict, stringify({ stateDir: join(dir, 'state2'), acme: { server: pebble.directoryUrl, caBundle: join(dir, 'ca.pem') } }));
    const r = await runCli(['--config', strict, 'account', 'register']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/requires accepting its terms of service \(.+\)/);
    expect(r.stderr).toMatch(/acceptTermsOfService: true/);
  });
});
