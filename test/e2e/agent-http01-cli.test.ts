/**
 * http-01 answered by the fleet's agents, end to end with a real PostgreSQL and Pebble: a
 * certificate with `hosts: [a]` and `challenge: { type: http-01, agents: true }`; the long-running
 * agent for host a listens with `--http-01-listen` on Pebble's http-01 port (challtestsrv resolves
 * every name to 127.0.0.1); a runner's `renew` (no listener of its own) orders it, Pebble validates
 * against the agent, the agent deploys it, and no answer is left in challenge_tokens. A runner on
 * another store (whose answers that agent cannot see) gets the CA's refusal, cleanly.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { agentsChallengeConfig, fleetCli, startAnsweringAgent } from '../helpers/agents-challenge-fleet.js';
import { queryDatabase, startStoreAndCa, stopStoreAndCa } from '../helpers/store-and-ca.js';
import { endAll, waitUntil, type CliProcess } from '../helpers/cli-process.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;
/** The agent's store, and the agent for host a answering http-01 from it. */
let fleetDb: string;
let fleetConfig: string;
let agent: CliProcess;

const configDir = (name: string, domain: string) => agentsChallengeConfig({ pebble, dir }, 'http-01', name, domain);
const query = queryDatabase;
const cli = fleetCli;

beforeAll(async () => {
  const parts = await startStoreAndCa('certfleet-agent-http01-');
  ({ pebble, postgres, dir } = parts);
  ({ fleetDb, fleetConfig, agent } = await startAnsweringAgent(parts, 'http-01', 'agent_http01', pebble.httpPort, /answering http-01 from the shared store on http:\/\/127\.0\.0\.1:\d+/));
}, 90_000);

afterAll(async () => {
  endAll();
  await stopStoreAndCa({ pebble, postgres });
});

describe('certfleet agent --http-01-listen', () => {
  it('answers the CA for a runner that has no listener: the order validates, the agent deploys it, no answer is left behind', async () => {
    const r = await cli(fleetConfig, fleetDb, ['renew', '--format', 'json']);
    expect(r.code, `${r.stderr}\n--- agent:\n${agent.output()}`).toBe(0);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
    expect(outcome.action).toBe('renewed');

    // Pebble fetched the token from the agent (the runner listens nowhere).
    expect(agent.output()).toMatch(/http-01: 200 token [A-Za-z0-9_-]+: answered for web\.example\.test/);
    const [current] = await query<{ current_version: string }>(fleetDb, "SELECT current_version FROM certificates WHERE name = 'web'");
    await waitUntil(
      'the agent deployed the new version',
      async () => (await query<{ version: string; status: string }>(fleetDb, "SELECT version, status FROM deployments WHERE host = 'a' AND certificate = 'web'"))[0]?.status === 'deployed',
      30_000,
      () => agent.output(),
    );
    expect(await query(fleetDb, "SELECT version, status FROM deployments WHERE host = 'a' AND certificate = 'web'")).toEqual([{ version: current!.current_version, status: 'deployed' }]);
    const served = new X509Certificate(readFileSync(join(dir, 'root-a', 'srv/tls/web.pem')));
    expect(served.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(outcome.serialNumber!.toLowerCase().replace(/^0+/, ''));
    expect(await query(fleetDb, 'SELECT token FROM challenge_tokens')).toEqual([]);
    // The key authorization (token "." thumbprint) is never in the agent's log, even with --verbose.
    expect(agent.output()).not.toMatch(/[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{43}/);
  }, 120_000);

  it("a runner on a store the agent does not read: the agent answers 404, the order fails with the CA's error, and the runner's answer is deleted", async () => {
    const otherDb = await postgres.createDatabase('agent_http01_other');
    const other = configDir('other', 'other.example.test');
    expect((await cli(other, otherDb, ['store', 'migrate'])).code).toBe(0);
    const r = await cli(other, otherDb, ['renew', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
    expect(outcome).toMatchObject({ action: 'failed', failedStage: 'order' });
    // Pebble's own words for what it fetched from the agent.
    expect(outcome.error).toMatch(/^validation of other\.example\.test failed \(authorization invalid, http-01\): Non-200 status code from HTTP: .*\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+) returned 404 \(unauthorized\)$/);
    const token = /acme-challenge\/([A-Za-z0-9_-]+)/.exec(outcome.error!)![1]!;
    // The agent was asked for exactly that token, and the runner had put it in its own store.
    expect(agent.output()).toContain(`http-01: 404 token ${token}: no http-01 answer in the store`);
    expect(r.stderr).toMatch(/web: http-01: answer in the shared store for the agents to serve/);
    expect(await query(otherDb, 'SELECT token FROM challenge_tokens')).toEqual([]);
    expect(await query(otherDb, "SELECT current_version FROM certificates WHERE name = 'web' AND current_version IS NOT NULL")).toEqual([]);
  }, 120_000);

  it('refuses --http-01-listen with --once (a timer run cannot answer a CA) and an address it cannot read, as usage errors', async () => {
    const once = await cli(fleetConfig, fleetDb, ['agent', '--once', '--host', 'a', '--http-01-listen', '8080']);
    expect(once.code).toBe(2);
    expect(once.stderr).toMatch(/--http-01-listen are for the long-running agent: leave out --once/);
    const bad = await cli(fleetConfig, fleetDb, ['agent', '--host', 'a', '--http-01-listen', 'port eighty']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--http-01-listen takes PORT or HOST:PORT/);
  }, 60_000);

  it('SIGTERM ends the agent with 0 and frees the http-01 port', async () => {
    agent.kill('SIGTERM');
    const exit = await agent.exit;
    expect(exit.code, exit.stderr).toBe(0);
    const refused = await fetch(`http://127.0.0.1:${pebble.httpPort}/`).then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
  }, 30_000);
});
