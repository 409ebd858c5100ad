/**
 * An agent's config needs no CA (real PostgreSQL and Pebble; hosts simulated by --root and a state
 * directory each). The runner's config has the acme section and orders; each agent's config has
 * only `store`:
 * - host a with the data key (store.encryptionKeyFile), its first start after the order;
 * - host b with nothing but the store's URL: it registers its own key before the order, the runner
 *   wraps the version's key to it, and it deploys with that.
 * Both deploy the one serial with its key and run the spec's deploy command; the store records both.
 * The same store-only config is no runner's: `renew` with it fails the certificate with the ConfigError
 * naming acme.server (as a runner without acme always has), and orders nothing.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AgentResult } from '../../src/fleet/agent.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { queryDatabase, startStoreAndCa, stopStoreAndCa, storeConfig } from '../helpers/store-and-ca.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

beforeAll(async () => {
  ({ pebble, postgres, dir } = await startStoreAndCa('certfleet-agent-store-only-'));
}, 60_000);

afterAll(() => stopStoreAndCa({ pebble, postgres }));

/** The runner's config (acme, the data key) and the certificate on hosts a and b, with a deploy command that says what it saw. */
function runnerConfig(): string {
  const home = join(dir, 'runner');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const deploy = {
    fullchain: '/srv/tls/web.pem',
    key: '/srv/tls/web.key',
    createDirectories: true,
    commands: [['sh', '-c', 'echo "$CERTFLEET_HOST $CERTFLEET_DOMAINS $CERTFLEET_SERIAL" > "$CERTFLEET_ROOT/reloaded"']],
  };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: ['a', 'b'], deploy }]));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(storeConfig(pebble, dir, join(home, 'state'))));
  return join(home, 'certfleet.config.yaml');
}

/** An agent's config: the store section only (with the data key or without), no acme, no stateDir (--state-dir gives it). */
function agentConfig(host: string, dataKey: boolean): string {
  const { store } = storeConfig(pebble, dir, join(dir, 'unused'));
  const config = { store: dataKey ? store : { postgres: store.postgres } };
  expect(Object.keys(config)).toEqual(['store']);
  const file = join(dir, `agent-${host}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}

const cli = (config: string, database: string, args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

function agent(config: string, database: string, host: string): Promise<CliResult> {
  const root = join(dir, `root-${host}`);
  mkdirSync(root, { recursive: true });
  return cli(config, database, ['agent', '--once', '--host', host, '--root', root, '--state-dir', join(dir, `state-${host}`), '--format', 'json']);
}

/** The serial the host serves from its root (checked against the key beside it), in certfleet's form. */
function served(host: string): string {
  const root = join(dir, `root-${host}`);
  const cert = new X509Certificate(readFileSync(join(root, 'srv/tls/web.pem')));
  expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(root, 'srv/tls/web.key'))))).toBe(true);
  return cert.serialNumber.toLowerCase().replace(/^0+/, '');
}

describe('certfleet agent with a config that has only the store', () => {
  it('deploys on each host, with the data key or with its own key, and the same config orders nothing', async () => {
    const database = await postgres.createDatabase('storeonly');
    const runner = runnerConfig();
    expect((await cli(runner, database, ['store', 'migrate'])).code).toBe(0);
    expect((await cli(runner, database, ['apply'])).code).toBe(0);
    const configA = agentConfig('a', true);
    const configB = agentConfig('b', false);

    // b starts before the order: nothing to deploy yet, and it registers its own key.
    const early = await agent(configB, database, 'b');
    expect(early.code, early.stderr).toBe(0);
    expect((JSON.parse(early.stdout) as AgentResult).certificates).toEqual([{ name: 'web', status: 'waiting' }]);
    expect(early.stderr).toMatch(/registered this agent's public key for host b/);

    const renew = await cli(runner, database, ['renew', '--format', 'json']);
    expect(renew.code, renew.stderr).toBe(0);
    const serial = (JSON.parse(renew.stdout) as RenewRunResult).certificates[0]!.serialNumber!.toLowerCase().replace(/^0+/, '');

    const a = await agent(configA, database, 'a');
    expect(a.code, `${a.stdout}${a.stderr}`).toBe(0);
    expect((JSON.parse(a.stdout) as AgentResult).summary).toMatchObject({ assigned: 1, deployed: 1, failed: 0 });
    expect(a.stderr).toContain("web: private key decrypted with the store's data key");
    const b = await agent(configB, database, 'b');
    expect(b.code, `${b.stdout}${b.stderr}`).toBe(0);
    expect((JSON.parse(b.stdout) as AgentResult).summary).toMatchObject({ assigned: 1, deployed: 1, failed: 0 });
    expect(b.stderr).toContain("web: private key unwrapped with host b's own key");

    for (const host of ['a', 'b']) {
      expect(served(host)).toBe(serial);
      // The spec's deploy command ran on the host, with the certificate's facts.
      const reloaded = readFileSync(join(dir, `root-${host}`, 'reloaded'), 'utf8').trim().split(' ');
      expect([reloaded[0], reloaded[1], reloaded[2]!.toLowerCase().replace(/^0+/, '')]).toEqual([host, 'web.example.test', serial]);
    }
    expect(await queryDatabase(database, 'SELECT host, status FROM deployments ORDER BY host')).toEqual([
      { host: 'a', status: 'deployed' },
      { host: 'b', status: 'deployed' },
    ]);
    for (const r of [early, a, b]) {
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/internal error|report a bug/i);
      expect(`${r.stdout}${r.stderr}`).not.toContain('PRIVATE KEY-----');
    }

    // The agent's config is no runner's: renew with it names what is missing, and orders nothing.
    const noCa = await cli(configA, database, ['renew', '--force', 'web', '--format', 'json']);
    expect(noCa.code, noCa.stderr).toBe(1);
    expect((JSON.parse(noCa.stdout) as RenewRunResult).certificates).toEqual([
      expect.objectContaining({ name: 'web', action: 'failed', error: expect.stringMatching(/certificates\[0\] \(web\): no ACME server: set acme\.server/) as unknown }),
    ]);
    expect(await queryDatabase(database, "SELECT count(*)::int AS n FROM versions WHERE certificate = 'web'")).toEqual([{ n: 1 }]);
  }, 180_000);
});
