/**
 * Agents' heartbeats end to end, against a real PostgreSQL and Pebble, with one host whose spec
 * names it `Idle-1` and whose agent is started as `--host IDLE-1` (one host: DNS names compare
 * without regard to case, and the store keeps them in lower case):
 * - `agent --once` deploys the certificate; days later (the report's time moved back by the test)
 *   the certificate is still deployed, so the next `agent --once` reports nothing, but its
 *   heartbeat says it is alive: `drill --dry-run --format json` shows the host's agent last seen
 *   at that heartbeat, not at the old report;
 * - `report` lists no host without an agent and no silent agent; once the heartbeat is older than
 *   3 hours (moved back by the test), the agent is listed as silent since then.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ReadinessReport } from '../../src/report/model.js';
import type { ReplacementPlan } from '../../src/revocation/plan.js';
import { runCli } from '../helpers/cli.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-agent-heartbeat-', (parts) => ({ pebble, postgres, dir } = parts));

describe('agent heartbeats', () => {
  it("an idle agent's heartbeat is its last sign of life in drill's plan, and report names it once it falls silent", async () => {
    const database = await postgres.createDatabase('agent_heartbeat');
    const home = join(dir, 'fleet');
    mkdirSync(join(home, 'certificates.d'), { recursive: true });
    const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
    const deploy = { fullchain: '/srv/tls/web.pem', key: '/srv/tls/web.key', createDirectories: true };
    writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: ['Idle-1'], deploy }]));
    writeFileSync(join(home, 'certfleet.config.yaml'), stringify(storeConfig(pebble, dir, join(home, 'state'))));
    const env = { CERTFLEET_TEST_DB: database };
    const cli = (args: string[]) => runCli(['--config', join(home, 'certfleet.config.yaml'), ...args], { env, timeoutMs: 120_000 });
    for (const step of [['store', 'migrate'], ['apply'], ['renew']]) {
      const r = await cli(step);
      expect(r.code, `${step.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    }
    const root = join(dir, 'root');
    mkdirSync(root, { recursive: true });
    const agent = () => cli(['agent', '--once', '--host', 'IDLE-1', '--root', root, '--state-dir', join(dir, 'agent-state'), '--format', 'json']);

    const first = await agent();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ host: 'idle-1', summary: { assigned: 1, deployed: 1 } });
    expect(await queryDatabase(database, 'SELECT certificate, host, status FROM deployments')).toEqual([{ certificate: 'web', host: 'idle-1', status: 'deployed' }]);

    // Three days later: nothing to deploy, so no report; only the heartbeat is new.
    const old = '2026-01-01T00:00:00.000Z';
    await queryDatabase(database, 'UPDATE deployments SET attempted_at = $1, deployed_at = $1', [old]);
    const second = await agent();
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ summary: { assigned: 1, alreadyDeployed: 1 } });
    const [heartbeat] = await queryDatabase<{ host: string; seen_at: Date; interval_ms: string | null; listening: string[] }>(database, 'SELECT host, seen_at, interval_ms, listening FROM agent_heartbeats');
    expect(heartbeat).toMatchObject({ host: 'idle-1', interval_ms: null, listening: [] });
    expect((await queryDatabase<{ attempted_at: Date }>(database, 'SELECT attempted_at FROM deployments'))[0]!.attempted_at.toISOString()).toBe(old);

    const plan = await cli(['drill', '--dry-run', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const fleet = (JSON.parse(plan.stdout) as ReplacementPlan).fleet;
    expect(fleet).toEqual({
      hosts: [{ host: 'idle-1', certificates: 1, agentLastSeen: heartbeat!.seen_at.toISOString() }],
      hostsNeverReported: [],
      withoutHosts: { certificates: 0, names: [] },
    });

    const report = async () => {
      const r = await cli(['report', root, '--format', 'json', '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as ReadinessReport).fleetHosts;
    };
    // Alive, and nothing else to say of the hosts: no Fleet section.
    expect(await report()).toBeUndefined();
    // Four hours without a heartbeat (an agent with no interval is expected at least hourly): silent since then.
    const silentSince = new Date(Date.now() - 4 * 3_600_000).toISOString();
    await queryDatabase(database, 'UPDATE agent_heartbeats SET seen_at = $1', [silentSince]);
    expect(await report()).toEqual({ hostsWithoutAgent: [], silentAgents: [{ host: 'idle-1', since: silentSince }] });
  }, 240_000);
});
