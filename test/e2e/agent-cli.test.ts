/**
 * Order once, deploy everywhere (`certfleet agent --once`) against a real PostgreSQL and Pebble,
 * two hosts simulated on this machine by `--root` and a state directory each: a certificate with
 * hosts [a, b] is ordered once, each agent deploys the same serial under its own root with the
 * matching key and reports it to `deployments`; a second pass says already deployed; an agent for
 * a host nothing names says so and exits 0; a deploy command failing on b is recorded as failed
 * with its reason (b keeps serving the previous pair) while a deploys the new version; an agent
 * older than the store's schema is refused by the schema check.
 * The runner orders a certificate with hosts and deploys nothing itself (the deploy paths are
 * absolute, /srv/tls, and must stay untouched on this machine).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AgentResult } from '../../src/fleet/agent.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-agent-', (parts) => ({ pebble, postgres, dir } = parts));

/** The same deploy section on every host: paths under each agent's --root; the reload fails where the root holds `reload-fails`. */
const deploy = {
  cert: '/srv/tls/web.pem',
  fullchain: '/srv/tls/web-fullchain.pem',
  key: '/srv/tls/web.key',
  createDirectories: true,
  commands: [['sh', '-c', 'if [ -e "$CERTFLEET_ROOT/reload-fails" ]; then echo "reload refused on $CERTFLEET_HOST" >&2; exit 1; fi']],
};

function writeSpecs(home: string, withHosts: boolean): void {
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const web = { name: 'web', domains: ['web.example.test'], challenge, ...(withHosts ? { hosts: ['a', 'b'], deploy } : {}) };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([web]));
}

function configDir(name: string): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  return join(home, 'certfleet.config.yaml');
}

const cli = (config: string, database: string, args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

/** One simulated host: its root and its own state directory. */
function host(name: string): { root: string; state: string } {
  const root = join(dir, `root-${name}`);
  mkdirSync(root, { recursive: true });
  return { root, state: join(dir, `state-${name}`) };
}

const agent = (config: string, database: string, name: string, format: 'json' | 'table' = 'json') => {
  const h = host(name);
  return cli(config, database, ['agent', '--once', '--host', name, '--root', h.root, '--state-dir', h.state, '--format', format]);
};

const query = queryDatabase;

/** What the host serves from its root: the serial (upper-case hex, as X509Certificate gives it), checked against the key beside it. */
function served(name: string): string {
  const { root } = host(name);
  const cert = new X509Certificate(readFileSync(join(root, 'srv/tls/web.pem')));
  expect(cert.checkPrivateKey(createPrivateKey(readFileSync(join(root, 'srv/tls/web.key'))))).toBe(true);
  expect(new X509Certificate(readFileSync(join(root, 'srv/tls/web-fullchain.pem'))).serialNumber).toBe(cert.serialNumber);
  return cert.serialNumber;
}

const sameSerial = (a: string, b: string) => expect(a.toLowerCase().replace(/^0+/, '')).toBe(b.toLowerCase().replace(/^0+/, ''));

async function currentVersion(database: string): Promise<string> {
  const rows = await query<{ current_version: string }>(database, "SELECT current_version FROM certificates WHERE name = 'web'");
  return rows[0]!.current_version;
}

/** The runner orders (the spec with hosts): it makes the version current and deploys nothing on its own machine. */
async function order(config: string, database: string, force: boolean): Promise<string> {
  writeSpecs(join(config, '..'), true);
  const r = await cli(config, database, ['renew', ...(force ? ['--force'] : []), '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
  expect(outcome.action).toBe('renewed');
  expect(existsSync('/srv/tls/web.pem')).toBe(false);
  return outcome.serialNumber!;
}

describe('certfleet agent --once', () => {
  it('orders once, deploys on each host under its root, says already deployed, nothing assigned, and records a failure per host', async () => {
    const database = await postgres.createDatabase('agent');
    const config = configDir('fleet');
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);

    // Applied before any issuance: the agent reports the certificate as waiting, exit 0.
    writeSpecs(join(dir, 'fleet'), true);
    expect((await cli(config, database, ['apply'])).code).toBe(0);
    const early = await agent(config, database, 'a', 'table');
    expect(early.code, early.stderr).toBe(0);
    expect(early.stdout).toContain('web: waiting for its first issuance');

    const serial1 = await order(config, database, false);
    const v1 = await currentVersion(database);

    for (const name of ['a', 'b']) {
      const r = await agent(config, database, name);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as AgentResult;
      expect(result).toMatchObject({ schemaVersion: 1, host: name, root: host(name).root, summary: { assigned: 1, deployed: 1, failed: 0 } });
      expect(result.certificates).toEqual([{ name: 'web', status: 'deployed', version: v1, serialNumber: serial1 }]);
      sameSerial(served(name), serial1);
    }
    expect(await query(database, 'SELECT host, version, status, detail FROM deployments ORDER BY host')).toEqual([
      { host: 'a', version: v1, status: 'deployed', detail: null },
      { host: 'b', version: v1, status: 'deployed', detail: null },
    ]);
    // The runner's own machine got nothing: the deploy paths exist only under the roots.
    expect(existsSync('/srv/tls/web.pem')).toBe(false);
    // `deploy` on the runner says who deploys it, and deploys nothing.
    const deployHere = await cli(config, database, ['deploy', 'web', '--format', 'json']);
    expect(deployHere.code, deployHere.stderr).toBe(0);
    expect((JSON.parse(deployHere.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'web', action: 'not-due', reason: 'agents-deploy' });
    expect(existsSync('/srv/tls/web.pem')).toBe(false);

    const again = await agent(config, database, 'a', 'table');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`web: already deployed (${v1})`);
    expect(again.stdout).toContain('host a: 1 assigned: 0 deployed, 1 already deployed, 0 waiting, 0 failed');

    const stranger = await agent(config, database, 'c', 'table');
    expect(stranger.code, stranger.stderr).toBe(0);
    expect(stranger.stdout).toMatch(/^nothing assigned to host c /);

    // A new version; b's reload fails: b is recorded failed with the reason and keeps serving serial 1.
    const serial2 = await order(config, database, true);
    const v2 = await currentVersion(database);
    expect(v2).not.toBe(v1);
    writeFileSync(join(host('b').root, 'reload-fails'), '');
    const failing = await agent(config, database, 'b', 'table');
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^web: FAILED: .*reload refused on b/m);
    expect(failing.stdout).toContain('host b: 1 assigned: 0 deployed, 0 already deployed, 0 waiting, 1 failed');
    sameSerial(served('b'), serial1);
    const okA = await agent(config, database, 'a');
    expect(okA.code, okA.stderr).toBe(0);
    expect((JSON.parse(okA.stdout) as AgentResult).certificates).toEqual([{ name: 'web', status: 'deployed', version: v2, serialNumber: serial2 }]);
    sameSerial(served('a'), serial2);
    const rows = await query<{ host: string; version: string; status: string; detail: string | null }>(database, 'SELECT host, version, status, detail FROM deployments ORDER BY host');
    expect(rows.map((r) => [r.host, r.version, r.status])).toEqual([
      ['a', v2, 'deployed'],
      ['b', v2, 'failed'],
    ]);
    expect(rows[1]!.detail).toMatch(/reload refused on b/);
  }, 180_000);

  it('refuses a config without store.postgres, and an agent older than the store schema', async () => {
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, stringify({ stateDir: join(dir, 'plain-state') }));
    const noStore = await runCli(['--config', plain, 'agent', '--once', '--host', 'a']);
    expect(noStore.code).toBe(2);
    expect(noStore.stderr).toMatch(/certfleet agent deploys what the shared store holds: the config needs store\.postgres/);

    const database = await postgres.createDatabase('agent_schema');
    const config = configDir('newer');
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);
    await query(database, "INSERT INTO certfleet_schema (version, name, binary_version) VALUES (999, 'from the future', '9.9.9')");
    const old = await agent(config, database, 'a');
    expect(old.code).toBe(2);
    expect(old.stderr).toMatch(/has schema version 999 \(applied by certfleet 9\.9\.9\); this certfleet .* knows versions up to \d+/);
    expect(old.stdout).toBe('');
  }, 60_000);
});
