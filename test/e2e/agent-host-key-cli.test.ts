/**
 * Keys travel encrypted and are decrypted only by the agent that deploys them, end to end (real
 * PostgreSQL and Pebble; hosts simulated by --root and a state directory each). Each agent runs
 * under its own role from `store grant-agent` with a config that has NO store.encryptionKeyFile:
 * - host a registers its own key on first start, before the runner orders; the runner wraps the
 *   new version's key to it, and the agent deploys with its own key;
 * - host b registers after the version was stored: its first pass fails with a clear error naming
 *   what is missing (no wrapped key, no data key), the runner's next run (nothing due) wraps it
 *   (registering asked for that host's pass), and the agent deploys;
 * - host c is pinned by the operator: `agent --print-public-key`, then `store grant-agent --host c
 *   --public-key FILE`, which wraps c's current keys at once.
 * Every host serves the one serial with the matching key; no log line holds a private key.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  ({ pebble, postgres, dir } = await startStoreAndCa('certfleet-host-key-'));
}, 60_000);

afterAll(() => stopStoreAndCa({ pebble, postgres }));

const HOSTS = ['a', 'b', 'c'];

/** The runner's config (with the data key) and the certificate on hosts a, b and c. */
function runnerConfig(): string {
  const home = join(dir, 'runner');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const deploy = { cert: '/srv/tls/web.pem', fullchain: '/srv/tls/web-fullchain.pem', key: '/srv/tls/web.key', createDirectories: true };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: HOSTS, deploy }]));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(storeConfig(pebble, dir, join(home, 'state'))));
  return join(home, 'certfleet.config.yaml');
}

/** An agent's config: the store's URL (its role's, from the environment) and nothing else: no acme section, no data key. */
function agentConfig(host: string): string {
  const home = join(dir, `agent-${host}`);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify({ stateDir: join(home, 'state'), store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' } } }));
  return join(home, 'certfleet.config.yaml');
}

const cli = (config: string, database: string, args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

function agent(host: string, url: string): Promise<CliResult> {
  const root = join(dir, `root-${host}`);
  mkdirSync(root, { recursive: true });
  return cli(agentConfig(host), url, ['agent', '--once', '--host', host, '--root', root, '--format', 'json']);
}

/** The serial host serves from its root, checked against the key beside it. */
function served(host: string): string {
  const root = join(dir, `root-${host}`);
  const cert = new X509Certificate(readFileSync(join(root, 'srv/tls/web.pem')));
  expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(root, 'srv/tls/web.key'))))).toBe(true);
  return cert.serialNumber.toLowerCase().replace(/^0+/, '');
}

async function grant(runner: string, database: string, host: string, extra: string[] = []): Promise<{ url: string; publicKey?: { fingerprint: string; changed: boolean; wrapped?: number } }> {
  const r = await cli(runner, database, ['store', 'grant-agent', '--host', host, ...extra, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { url: string; publicKey?: { fingerprint: string; changed: boolean; wrapped?: number } };
}

describe('certfleet agent with its own key and no data key', () => {
  it('deploys keys wrapped to each host: registered by the agent itself, wrapped by a later runner pass, or pinned by the operator', async () => {
    const database = await postgres.createDatabase('hostkey');
    const runner = runnerConfig();
    expect((await cli(runner, database, ['store', 'migrate'])).code).toBe(0);
    expect((await cli(runner, database, ['apply'])).code).toBe(0);
    const urls = new Map<string, string>();
    for (const h of ['a', 'b']) urls.set(h, (await grant(runner, database, h)).url);

    // Host a: first start before any issuance: it makes its key pair and registers it.
    const early = await agent('a', urls.get('a')!);
    expect(early.code, early.stderr).toBe(0);
    expect((JSON.parse(early.stdout) as AgentResult).certificates).toEqual([{ name: 'web', status: 'waiting' }]);
    expect(early.stderr).toMatch(/registered this agent's public key for host a \(SHA256:[0-9a-f]{16}\)/);
    const keyFile = join(dir, 'agent-a', 'state', 'agent-key.pem');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    // The runner orders once; the version's key is wrapped to a (registered) and not yet to b or c.
    const renew = await cli(runner, database, ['renew', '--format', 'json']);
    expect(renew.code, renew.stderr).toBe(0);
    const serial = (JSON.parse(renew.stdout) as RenewRunResult).certificates[0]!.serialNumber!.toLowerCase().replace(/^0+/, '');
    expect(await queryDatabase(database, 'SELECT host FROM version_host_keys ORDER BY host')).toEqual([{ host: 'a' }]);

    const deployedA = await agent('a', urls.get('a')!);
    expect(deployedA.code, deployedA.stderr).toBe(0);
    expect((JSON.parse(deployedA.stdout) as AgentResult).summary).toMatchObject({ deployed: 1, failed: 0 });
    expect(deployedA.stderr).toContain("web: private key unwrapped with host a's own key");
    expect(served('a')).toBe(serial);

    // Host b registers after the version was stored: nothing to unwrap, no data key: a clear failure.
    const firstB = await agent('b', urls.get('b')!);
    expect(firstB.code).toBe(1);
    const failedB = JSON.parse(firstB.stdout) as AgentResult;
    expect(failedB.certificates[0]).toMatchObject({ name: 'web', status: 'failed' });
    expect(failedB.certificates[0]!.error).toMatch(/^the private key of web cannot be read: no key of version \S+ is wrapped to host b's key SHA256:[0-9a-f]{16} yet \(the next certfleet renew wraps it: asked\), and the config names no store\.encryptionKeyFile$/);
    expect(firstB.stderr).not.toMatch(/internal error|report a bug/i);
    // The runner's next run (nothing due) wraps the current key to b.
    const pass = await cli(runner, database, ['renew', '--format', 'json']);
    expect(pass.code, pass.stderr).toBe(0);
    expect(pass.stderr).toContain('wrapped 1 current private key(s) to hosts registered since they were stored');
    const deployedB = await agent('b', urls.get('b')!);
    expect(deployedB.code, deployedB.stderr).toBe(0);
    expect(deployedB.stderr).toContain("web: private key unwrapped with host b's own key");
    expect(served('b')).toBe(serial);

    // Host c: the operator pins its key; grant-agent (with the runners' data key) wraps c's current key at once.
    const printed = await cli(agentConfig('c'), database, ['agent', '--print-public-key']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    writeFileSync(join(dir, 'c.pub'), printed.stdout);
    const grantedC = await grant(runner, database, 'c', ['--public-key', join(dir, 'c.pub')]);
    expect(grantedC.publicKey).toMatchObject({ changed: true, wrapped: 1 });
    const deployedC = await agent('c', grantedC.url);
    expect(deployedC.code, deployedC.stderr).toBe(0);
    expect(deployedC.stderr).toContain("web: private key unwrapped with host c's own key");
    expect(deployedC.stderr).not.toContain('registered this agent');
    expect(served('c')).toBe(serial);

    expect(await queryDatabase(database, 'SELECT host, status FROM deployments ORDER BY host')).toEqual(HOSTS.map((host) => ({ host, status: 'deployed' })));
    for (const r of [early, deployedA, firstB, pass, deployedB, printed, deployedC]) expect(`${r.stdout}${r.stderr}`).not.toMatch(/PRIVATE KEY/);
  }, 240_000);
});
