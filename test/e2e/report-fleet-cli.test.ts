/**
 * `certfleet report` on the shared store shows the fleet's incident readiness per host, against a
 * real PostgreSQL and Pebble, with two long-running agents (hosts a and b, each a `certfleet agent`
 * with its own --root and state directory) and a third host c that a spec names but no agent runs on:
 * - a `drill --wait 5s` with b's agent stopped: web is confirmed on a, not on b;
 * - `report --format json` then has a `fleetHosts` section: nothing confirmed on every host, a in
 *   the slowest hosts, b (web, not reporting) and c (edge) in the manual tail, and c as a host
 *   without an agent (b reported before it stopped: it has one); the summary says the same.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ReadinessReport } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';
import { startCli, waitUntil, type CliProcess } from '../helpers/cli-process.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-report-fleet-', (parts) => ({ pebble, postgres, dir } = parts));

function deployTo(name: string) {
  // Absolute paths, under each agent's --root: the runner deploys nothing itself.
  return { cert: `/srv/tls/${name}.pem`, fullchain: `/srv/tls/${name}-fullchain.pem`, key: `/srv/tls/${name}.key`, createDirectories: true };
}

function configDir(): string {
  const home = join(dir, 'fleet');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  writeFileSync(
    join(home, 'certificates.d', 'fleet.yaml'),
    stringify([
      { name: 'web', domains: ['web.example.test'], challenge, hosts: ['a', 'b'], deploy: deployTo('web') },
      // c has no agent: nothing is ever deployed there.
      { name: 'edge', domains: ['edge.example.test'], challenge, hosts: ['c'], deploy: deployTo('edge') },
    ]),
  );
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  return join(home, 'certfleet.config.yaml');
}

const query = queryDatabase;

describe('report: the fleet per host', () => {
  it('shows the last drill per host, the manual tail and the hosts without an agent', async () => {
    const database = await postgres.createDatabase('report_fleet');
    const config = configDir();
    const env = { CERTFLEET_TEST_DB: database };
    const cli = (args: string[]) => runCli(['--config', config, ...args], { env, timeoutMs: 120_000 });
    expect((await cli(['store', 'migrate'])).code).toBe(0);
    expect((await cli(['apply'])).code).toBe(0);
    expect((await cli(['renew'])).code).toBe(0);

    const agents = new Map<string, CliProcess>();
    const startAgent = (host: string) => {
      const root = join(dir, `root-${host}`);
      mkdirSync(root, { recursive: true });
      agents.set(host, startCli(['--config', config, 'agent', '--host', host, '--root', root, '--state-dir', join(dir, `state-${host}`), '--interval', '1h'], { env }));
    };
    const detail = () => [...agents].map(([h, a]) => `--- agent ${h}\n${a.output()}`).join('\n');
    startAgent('a');
    startAgent('b');
    for (const h of ['a', 'b']) {
      await waitUntil(`${h} deployed web`, async () => (await query(database, `SELECT 1 FROM deployments WHERE certificate = 'web' AND host = '${h}' AND status = 'deployed'`)).length === 1, 30_000, detail);
    }

    agents.get('b')!.kill('SIGTERM');
    expect((await agents.get('b')!.exit).code).toBe(0);
    const drill = await cli(['drill', '--wait', '15s']);
    expect(drill.code, drill.stderr + detail()).not.toBe(0); // not every certificate was confirmed on every host

    const r = await cli(['report', join(dir, 'root-a'), '--format', 'json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const fleet = (JSON.parse(r.stdout) as ReadinessReport).fleetHosts;
    expect(fleet, r.stdout.slice(0, 2000)).toBeDefined();
    expect(fleet!.hostsWithoutAgent).toEqual(['c']);
    expect(fleet!.drill).toMatchObject({
      certificates: 2,
      hosts: 3,
      confirmedWithin: [
        { id: 'revoke-24h', hours: 24, share: 0 },
        { id: 'revoke-5d', hours: 120, share: 0 },
      ],
      slowestHosts: [{ host: 'a', certificate: 'web', seconds: expect.any(Number) }],
      manualTail: [
        { host: 'b', certificates: [{ name: 'web', status: 'not-reporting', detail: expect.any(String) }] },
        { host: 'c', certificates: [{ name: 'edge', status: 'not-reporting', detail: expect.any(String) }] },
      ],
    });

    const summary = await cli(['report', join(dir, 'root-a'), '--quiet', '--no-color']);
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toMatch(/^Fleet$/m);
    expect(summary.stdout).toMatch(/^ {6}b: web not reporting$/m);
    expect(summary.stdout).toMatch(/^ {2}hosts without an agent \(never heard from\): c$/m);

    agents.get('a')!.kill('SIGTERM');
    await agents.get('a')!.exit;
  }, 240_000);
});
