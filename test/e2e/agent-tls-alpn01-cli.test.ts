/**
 * tls-alpn-01 answered by the fleet's agents, end to end with a real PostgreSQL and Pebble: a
 * certificate with `hosts: [a]` and `challenge: { type: tls-alpn-01, agents: true }`; the
 * long-running agent for host a listens with `--tls-alpn-01-listen` on Pebble's tls-alpn-01 port
 * (challtestsrv resolves every name to 127.0.0.1); a runner's `renew` (no listener of its own)
 * orders it, Pebble validates the challenge certificate the agent presents, the agent deploys the
 * certificate, and no answer is left in challenge_tokens.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { agentsChallengeConfig, fleetCli, startAnsweringAgent } from '../helpers/agents-challenge-fleet.js';
import { endAll, waitUntil, type CliProcess } from '../helpers/cli-process.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { queryDatabase as query, startStoreAndCa, stopStoreAndCa } from '../helpers/store-and-ca.js';
import { tlsHandshake } from '../conformance/verifiers.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;
let fleetDb: string;
let fleetConfig: string;
let agent: CliProcess;

const configDir = (name: string, domain: string) => agentsChallengeConfig({ pebble, dir }, 'tls-alpn-01', name, domain);
const cli = fleetCli;

beforeAll(async () => {
  const parts = await startStoreAndCa('certfleet-agent-tls-alpn01-');
  ({ pebble, postgres, dir } = parts);
  ({ fleetDb, fleetConfig, agent } = await startAnsweringAgent(parts, 'tls-alpn-01', 'agent_tls_alpn01', pebble.tlsPort, /answering tls-alpn-01 from the shared store on 127\.0\.0\.1:\d+ \(ALPN acme-tls\/1\)/));
}, 90_000);

afterAll(async () => {
  endAll();
  await stopStoreAndCa({ pebble, postgres });
});

describe('certfleet agent --tls-alpn-01-listen', () => {
  it('answers the CA for a runner that has no listener: the order validates, the agent deploys it, no answer is left behind', async () => {
    const r = await cli(fleetConfig, fleetDb, ['renew', '--format', 'json']);
    expect(r.code, `${r.stderr}\n--- agent:\n${agent.output()}`).toBe(0);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
    expect(outcome.action).toBe('renewed');
    expect(r.stderr).toMatch(/web: tls-alpn-01: answer in the shared store for the agents to serve/);

    // Pebble's validator made the handshake with the agent (the runner listens nowhere).
    expect(agent.output()).toMatch(/tls-alpn-01: answered for web\.example\.test/);
    const [current] = await query<{ current_version: string }>(fleetDb, "SELECT current_version FROM certificates WHERE name = 'web'");
    await waitUntil(
      'the agent deployed the new version',
      async () => (await query<{ status: string }>(fleetDb, "SELECT status FROM deployments WHERE host = 'a' AND certificate = 'web'"))[0]?.status === 'deployed',
      30_000,
      () => agent.output(),
    );
    expect(await query(fleetDb, "SELECT version, status FROM deployments WHERE host = 'a' AND certificate = 'web'")).toEqual([{ version: current!.current_version, status: 'deployed' }]);
    const served = new X509Certificate(readFileSync(join(dir, 'root-a', 'srv/tls/web.pem')));
    expect(served.serialNumber.toLowerCase().replace(/^0+/, '')).toBe(outcome.serialNumber!.toLowerCase().replace(/^0+/, ''));
    expect(await query(fleetDb, 'SELECT token FROM challenge_tokens')).toEqual([]);
    // The answer is gone: the agent now refuses the name.
    await expect(tlsHandshake(pebble.tlsPort, 'web.example.test', ['acme-tls/1'])).rejects.toThrow();
    // The key authorization (token "." thumbprint) is never in the agent's log, even with --verbose.
    expect(agent.output()).not.toMatch(/[A-Za-z0-9_-]{40,}\.[A-Za-z0-9_-]{43}/);
  }, 120_000);

  it("a runner on a store the agent does not read: the handshake is refused, the order fails with the CA's error, and the runner's answer is deleted", async () => {
    const otherDb = await postgres.createDatabase('agent_tls_alpn01_other');
    const other = configDir('other', 'other.example.test');
    expect((await cli(other, otherDb, ['store', 'migrate'])).code).toBe(0);
    const r = await cli(other, otherDb, ['renew', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const outcome = (JSON.parse(r.stdout) as RenewRunResult).certificates.find((c) => c.name === 'web')!;
    expect(outcome).toMatchObject({ action: 'failed', failedStage: 'order' });
    expect(outcome.error).toMatch(/^validation of other\.example\.test failed \(authorization invalid, tls-alpn-01\): /);
    expect(agent.output()).toContain('tls-alpn-01: refused other.example.test: no tls-alpn-01 answer in the store (none, or expired)');
    expect(await query(otherDb, 'SELECT token FROM challenge_tokens')).toEqual([]);
  }, 120_000);

  it('refuses --tls-alpn-01-listen with --once and an address it cannot read, as usage errors', async () => {
    const once = await cli(fleetConfig, fleetDb, ['agent', '--once', '--host', 'a', '--tls-alpn-01-listen', '8443']);
    expect(once.code).toBe(2);
    expect(once.stderr).toMatch(/--tls-alpn-01-listen and --http-01-listen are for the long-running agent: leave out --once/);
    const bad = await cli(fleetConfig, fleetDb, ['agent', '--host', 'a', '--tls-alpn-01-listen', 'port 443']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--tls-alpn-01-listen takes PORT or HOST:PORT/);
  }, 60_000);

  it('SIGTERM ends the agent with 0 and frees the tls-alpn-01 port', async () => {
    agent.kill('SIGTERM');
    const exit = await agent.exit;
    expect(exit.code, exit.stderr).toBe(0);
    await expect(tlsHandshake(pebble.tlsPort, 'web.example.test', ['acme-tls/1'])).rejects.toThrow(/ECONNREFUSED/);
  }, 30_000);
});
