/**
 * `certfleet status` on the PostgreSQL store, against a real PostgreSQL and Pebble: a runner whose
 * config has no certificates shows the certificates the store holds (the applied specs), with
 * their serials; `status NAME` shows those alone; a spec this runner cannot resolve (its CA's EAB
 * key from an environment variable it does not have) is listed with the reason, the others shown, exit
 * 3; a config changed since it was applied is shown as the next renew will apply it, and says so.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { StatusResult } from '../../src/renewal/status.js';
import { runCli } from '../helpers/cli.js';
import { storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-status-pg-', (parts) => ({ pebble, postgres, dir } = parts));

function entry(name: string, extra: object = {}) {
  return { name, domains: [`${name}.example.test`], challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } }, ...extra };
}

/** Its CA's EAB key comes from STATUS_EAB_HMAC: a runner without that variable cannot resolve it. */
const needsSecret = () =>
  entry('eab', { acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { acceptTermsOfService: true, eab: { kid: 'kid-1', hmacKeyEnv: 'STATUS_EAB_HMAC' } } } });

/** A config directory: the main file (store, acme) and, when given, certificates.d/web.yaml. */
function configDir(name: string, web?: object[]): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  if (web) writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify(web));
  return join(home, 'certfleet.config.yaml');
}

const cli = (config: string, env: Record<string, string>, args: string[]) => runCli(['--config', config, ...args], { env, timeoutMs: 60_000 });
const statusOf = (stdout: string) => JSON.parse(stdout) as StatusResult;

describe('certfleet status on the PostgreSQL store', () => {
  it('a runner without certificates in its config shows the applied ones; NAME shows those; an unresolvable spec is listed with why (exit 3)', async () => {
    const database = await postgres.createDatabase('status');
    const owner = { CERTFLEET_TEST_DB: database, STATUS_EAB_HMAC: randomBytes(32).toString('base64url') };
    const bareEnv = { CERTFLEET_TEST_DB: database };
    const applying = configDir('applying', [entry('w1', { deploy: { fullchain: 'tls/w1.pem', key: 'tls/w1.key', createDirectories: true } }), entry('w2'), needsSecret()]);
    const bare = configDir('bare');
    expect((await cli(applying, owner, ['store', 'migrate'])).code).toBe(0);
    // Applied by renew; w1 and w2 issued (eab is never ordered: Pebble here takes no EAB).
    const renewed = await cli(applying, owner, ['renew', 'w1', 'w2', '--format', 'json']);
    expect(renewed.code, renewed.stderr + renewed.stdout).toBe(0);
    const serials = Object.fromEntries((JSON.parse(renewed.stdout) as RenewRunResult).certificates.map((c) => [c.name, c.serialNumber]));
    expect(Object.keys(serials).sort()).toEqual(['w1', 'w2']);

    // The runner that has the secret: every spec resolved, eab not issued yet.
    const full = await cli(applying, owner, ['status', '--format', 'json']);
    expect(full.code, full.stderr + full.stdout).toBe(0);
    expect(statusOf(full.stdout).certificates.map((c) => [c.name, c.serialNumber])).toEqual([
      ['eab', null],
      ['w1', serials.w1],
      ['w2', serials.w2],
    ]);
    expect(statusOf(full.stdout)).toMatchObject({ orphaned: [], unresolved: [], store: expect.stringMatching(/^postgres:\/\//) });

    // The bare runner: the same fleet, from the store; eab listed with the reason.
    const r = await cli(bare, bareEnv, ['status', '--format', 'json']);
    expect(r.code, r.stderr).toBe(3);
    const status = statusOf(r.stdout);
    expect(status.certificates.map((c) => [c.name, c.serialNumber, c.versions])).toEqual([
      ['w1', serials.w1, 1],
      ['w2', serials.w2, 1],
    ]);
    expect(status.certificates[0]).toMatchObject({ domains: ['w1.example.test'], deployedPaths: [
        { kind: 'fullchain', path: join(dir, 'applying', 'certificates.d', 'tls', 'w1.pem') },
        { kind: 'key', path: join(dir, 'applying', 'certificates.d', 'tls', 'w1.key') },
      ], reason: 'lifetime-fraction', issuer: expect.stringMatching(/Pebble/) });
    expect(status.orphaned).toEqual([]);
    expect(status.unresolved).toEqual([
      {
        name: 'eab',
        where: 'certificates.d/web.yaml: certificates[2] (eab)',
        error: expect.stringMatching(/^its spec \(certificates\.d\/web\.yaml: certificates\[2\] \(eab\)\) cannot be used on this runner: .*environment variable STATUS_EAB_HMAC is not set/),
        serialNumber: null,
        notAfter: null,
        daysLeft: null,
      },
    ]);
    const table = await cli(bare, bareEnv, ['status']);
    expect(table.code, table.stderr).toBe(3);
    expect(table.stdout).toContain(`w1 (w1.example.test): serial ${serials.w1}, expires `);
    expect(table.stdout).toMatch(/cannot be resolved on this runner, so not renewed by it \(1\):\n {2}eab \(no certificate yet\): its spec .* environment variable STATUS_EAB_HMAC is not set/);

    // status NAME: those alone, no orphans; an unknown name is a usage error.
    const one = await cli(bare, bareEnv, ['status', 'w2', '--format', 'json']);
    expect(one.code, one.stderr).toBe(0);
    expect(statusOf(one.stdout)).toMatchObject({ certificates: [{ name: 'w2', serialNumber: serials.w2 }], orphaned: [], unresolved: [] });
    expect(statusOf(one.stdout).certificates).toHaveLength(1);
    const unknown = await cli(bare, bareEnv, ['status', 'w2', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown certificate name\(s\): nope \(not among the specs in the store\)/);
  }, 120_000);

  it("a config changed since it was applied is shown as the next renew applies it, with a warning; a bare runner shows the store's; a store with no specs is a usage error", async () => {
    const database = await postgres.createDatabase('changed');
    const env = { CERTFLEET_TEST_DB: database };
    const config = configDir('changed', [entry('c1')]);
    expect((await cli(config, env, ['store', 'migrate'])).code).toBe(0);
    expect((await cli(config, env, ['apply'])).code).toBe(0);
    configDir('changed', [entry('c1'), entry('c2')]);
    const r = await cli(config, env, ['status', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the config's certificates are not the ones applied to postgres:\/\/.*status shows the config's \(the next renew applies them, or certfleet apply\)/);
    expect(statusOf(r.stdout).certificates.map((c) => c.name)).toEqual(['c1', 'c2']);
    // The bare runner sees the store's: c1 alone.
    const bare = await cli(configDir('changed-bare'), env, ['status', '--format', 'json']);
    expect(bare.code, bare.stderr).toBe(0);
    expect(statusOf(bare.stdout).certificates.map((c) => c.name)).toEqual(['c1']);
    // Nothing applied at all: the store has no certificate to show.
    const empty = await postgres.createDatabase('empty');
    expect((await cli(config, { CERTFLEET_TEST_DB: empty }, ['store', 'migrate'])).code).toBe(0);
    const none = await cli(configDir('empty-bare'), { CERTFLEET_TEST_DB: empty }, ['status']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no managed certificates in the store at postgres:\/\//);
  }, 60_000);
});
