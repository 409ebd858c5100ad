/**
 * Least privilege end to end: `certfleet store grant-agent --host a` run by the store's owner, and
 * `certfleet agent --once` connected with the URL it printed (the role certfleet_agent_a; the test
 * cluster trusts local connections, so the user name is the identity). Two certificates ordered
 * once by the runner: web on host a, bee on host b. The agent deploys web; under its role bee's key
 * is not readable, and claiming host b with --host finds nothing; after revoke-agent it reads nothing.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AgentResult } from '../../src/fleet/agent.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-agent-roles-', (parts) => ({ pebble, postgres, dir } = parts));

function configDir(): string {
  const home = join(dir, 'fleet');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  const spec = (name: string, host: string) => ({
    name,
    domains: [`${name}.example.test`],
    challenge,
    hosts: [host],
    deploy: { cert: `/srv/tls/${name}.pem`, fullchain: `/srv/tls/${name}-fullchain.pem`, key: `/srv/tls/${name}.key`, createDirectories: true },
  });
  writeFileSync(join(home, 'certificates.d', 'fleet.yaml'), stringify([spec('web', 'a'), spec('bee', 'b')]));
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  return join(home, 'certfleet.config.yaml');
}

const cli = (config: string, database: string, args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

const agent = (config: string, database: string, host: string) => {
  const root = join(dir, `root-${host}`);
  mkdirSync(root, { recursive: true });
  return cli(config, database, ['agent', '--once', '--host', host, '--root', root, '--state-dir', join(dir, `state-${host}`), '--format', 'json']);
};

describe('certfleet agent --once under a role from store grant-agent', () => {
  it("deploys its host's certificate and cannot read another host's key", async () => {
    const database = await postgres.createDatabase('roles');
    const config = configDir();
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);
    const renew = await cli(config, database, ['renew', '--format', 'json']);
    expect(renew.code, renew.stderr).toBe(0);
    const ordered = (JSON.parse(renew.stdout) as RenewRunResult).certificates;
    expect(ordered.map((c) => [c.name, c.action]).sort()).toEqual([
      ['bee', 'renewed'],
      ['web', 'renewed'],
    ]);

    const grant = await cli(config, database, ['store', 'grant-agent', '--host', 'a', '--format', 'json']);
    expect(grant.code, grant.stderr).toBe(0);
    const granted = JSON.parse(grant.stdout) as { role: string; created: boolean; url: string };
    expect(granted).toMatchObject({ role: 'certfleet_agent_a', created: true });
    expect(new URL(granted.url).username).toBe('certfleet_agent_a');
    const again = await cli(config, database, ['store', 'grant-agent', '--host', 'a']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('role certfleet_agent_a for host a: already granted');

    // The agent's config is the runner's with the printed URL.
    const deployed = await agent(config, granted.url, 'a');
    expect(deployed.code, deployed.stderr).toBe(0);
    const result = JSON.parse(deployed.stdout) as AgentResult;
    expect(result.summary).toMatchObject({ assigned: 1, deployed: 1, failed: 0 });
    const web = ordered.find((c) => c.name === 'web')!;
    expect(result.certificates).toEqual([{ name: 'web', status: 'deployed', version: expect.any(String), serialNumber: web.serialNumber }]);
    expect(new X509Certificate(readFileSync(join(dir, 'root-a', 'srv/tls/web.pem'))).serialNumber.toLowerCase().replace(/^0+/, '')).toBe(
      web.serialNumber!.toLowerCase().replace(/^0+/, ''),
    );

    // Host b's key under a's role: no rows, asked for directly; the owner sees it.
    expect(await queryDatabase(granted.url, "SELECT key_ciphertext FROM versions WHERE certificate = 'bee'")).toEqual([]);
    expect(await queryDatabase(database, "SELECT certificate FROM versions WHERE certificate = 'bee'")).toHaveLength(1);
    // Claiming host b with --host: nothing assigned, nothing reported for b.
    const claim = await agent(config, granted.url, 'b');
    expect(claim.code, claim.stderr).toBe(0);
    expect((JSON.parse(claim.stdout) as AgentResult).summary.assigned).toBe(0);
    expect(await queryDatabase(database, 'SELECT certificate, host FROM deployments ORDER BY 1, 2')).toEqual([{ certificate: 'web', host: 'a' }]);

    const revoke = await cli(config, database, ['store', 'revoke-agent', '--host', 'a']);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stdout).toContain('host a: revoked certfleet_agent_a');
    const after = await agent(config, granted.url, 'a');
    // A clear error naming the cause and what to do, not an internal error.
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/this role may not do that \(permission denied/);
    expect(after.stderr).toContain('certfleet store grant-agent --host H');
    expect(after.stderr).not.toMatch(/internal error|report a bug/i);
  }, 180_000);
});
