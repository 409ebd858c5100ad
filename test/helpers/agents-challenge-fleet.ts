/**
 * The e2e set-up of a challenge answered by the fleet's agents (agent-http01-cli,
 * agent-tls-alpn01-cli): configs with one certificate `web` for host a whose challenge the agents
 * answer, each on the database its CERTFLEET_TEST_DB names, and the long-running agent for host a
 * listening where Pebble validates (challtestsrv resolves every name to 127.0.0.1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { stringify } from 'yaml';
import { runCli, type CliResult } from './cli.js';
import { startCli, waitUntil, type CliProcess } from './cli-process.js';
import { storeConfig, type StoreAndCa } from './store-and-ca.js';

export type AgentsChallenge = 'http-01' | 'tls-alpn-01';

const deploy = { cert: '/srv/tls/web.pem', fullchain: '/srv/tls/web-fullchain.pem', key: '/srv/tls/web.key', createDirectories: true };

/** A fleet config in `<dir>/<name>` with one certificate `web` for `domain` on host a, its `type` challenge answered by the agents. */
export function agentsChallengeConfig(parts: Pick<StoreAndCa, 'pebble' | 'dir'>, type: AgentsChallenge, name: string, domain: string): string {
  const home = join(parts.dir, name);
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type, agents: true };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: [domain], challenge, hosts: ['a'], deploy }]));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(storeConfig(parts.pebble, parts.dir, join(home, 'state'))));
  return join(home, 'certfleet.config.yaml');
}

/** certfleet with `config` on `database`. */
export const fleetCli = (config: string, database: string, args: string[]): Promise<CliResult> =>
  runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

export interface AnsweringAgent {
  fleetDb: string;
  fleetConfig: string;
  agent: CliProcess;
}

/**
 * A new database `database` (migrated, the `fleet` config applied) and the long-running agent for
 * host a (root `<dir>/root-a`, state `<dir>/state-a`) answering `type` on 127.0.0.1:`port`, once its
 * output says so (`ready`).
 */
export async function startAnsweringAgent(parts: StoreAndCa, type: AgentsChallenge, database: string, port: number, ready: RegExp): Promise<AnsweringAgent> {
  const fleetDb = await parts.postgres.createDatabase(database);
  const fleetConfig = agentsChallengeConfig(parts, type, 'fleet', 'web.example.test');
  expect((await fleetCli(fleetConfig, fleetDb, ['store', 'migrate'])).code).toBe(0);
  expect((await fleetCli(fleetConfig, fleetDb, ['apply'])).code).toBe(0);
  const root = join(parts.dir, 'root-a');
  mkdirSync(root, { recursive: true });
  const agent = startCli(['--config', fleetConfig, 'agent', '--host', 'a', '--root', root, '--state-dir', join(parts.dir, 'state-a'), `--${type}-listen`, `127.0.0.1:${port}`, '--verbose'], {
    env: { CERTFLEET_TEST_DB: fleetDb },
  });
  await waitUntil(`the agent answers ${type}`, () => ready.test(agent.output()), 30_000, () => agent.output());
  return { fleetDb, fleetConfig, agent };
}
