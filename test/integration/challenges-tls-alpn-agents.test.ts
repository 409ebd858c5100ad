/**
 * tls-alpn-01 `agents: true` over a real PostgreSQL: the runner's solver puts answers in the shared
 * store and an agent's TLS listener (fleet/tls-alpn-01-server.ts, over its own connection to the
 * store) presents the challenge certificate for the name in SNI. The conformance suite every solver
 * passes, then the store's side: the newest unexpired answer of the type, found through the
 * identifier index of migration 8, and a handshake for an expired answer refused.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsTlsAlpnSolver } from '../../src/challenges/tls-alpn-01/agents.js';
import { serveTlsAlpn01Answers, type TlsAlpn01Server } from '../../src/fleet/tls-alpn-01-server.js';
import { recordingLogger } from '../../src/logger.js';
import type { ChallengeToken } from '../../src/store/ports.js';
import { createPool } from '../../src/store/postgres/connection.js';
import type { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { checkAcmeCertificate, tlsAlpnVerifier, tlsHandshake } from '../conformance/verifiers.js';
import { queryDatabase } from '../helpers/store-and-ca.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { runnerAndAgentStores } from '../helpers/postgres-stores.js';

let postgres: RunningPostgres;
let url: string;
/** The runner's store (the solver writes) and the agent's (its listener reads): two pools, as two hosts have. */
let runner: PostgresStateStore;
let agentStore: PostgresStateStore;
let agent: TlsAlpn01Server;
const agentLog = recordingLogger();
const port = { value: 0 };

beforeAll(async () => {
  postgres = await startPostgres();
  ({ url, runner, agentStore } = await runnerAndAgentStores(postgres, 'agents_tls_alpn'));
  agent = await serveTlsAlpn01Answers({ host: '127.0.0.1', port: 0 }, agentStore.challenges, agentLog);
  port.value = agent.address.port;
  // One connection open in each pool before the suite counts handles: a pool's first connect is not a leak.
  await Promise.all([runner.challenges.get('warm-up'), agentStore.challenges.forIdentifier('warm-up.test', 'tls-alpn-01')]);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await runner?.close();
  await agentStore?.close();
  await postgres?.stop();
});

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });

describeSolverConformance(
  'tls-alpn-01 agents (shared store)',
  () => solverFromConfig({ type: 'tls-alpn-01', agents: true }, { challengeTokens: runner.challenges }),
  () => tlsAlpnVerifier(port.value, ['www.example.test', 'api.example.test']),
);

describe('tls-alpn-01 answers in the shared store', () => {
  const entry = (over: Partial<ChallengeToken>): ChallengeToken => ({
    token: randomBytes(32).toString('base64url'),
    keyAuthorization: 'k.a',
    identifier: 'lookup.example.test',
    type: 'tls-alpn-01',
    expiresAt: Date.now() + 60_000,
    ...over,
  });

  it('forIdentifier finds the newest unexpired answer of the type for the name', async () => {
    const older = entry({ expiresAt: Date.now() + 60_000 });
    const newer = entry({ expiresAt: Date.now() + 120_000 });
    const expired = entry({ expiresAt: Date.now() - 1_000 });
    const http = entry({ type: 'http-01', expiresAt: Date.now() + 600_000 });
    for (const e of [older, newer, http]) await runner.challenges.put(e);
    // put() sweeps expired rows: this one goes in last, straight through SQL, to stay.
    await queryDatabase(url, 'INSERT INTO challenge_tokens (token, key_authorization, identifier, type, expires_at) VALUES ($1, $2, $3, $4, $5)', [
      expired.token,
      expired.keyAuthorization,
      expired.identifier,
      expired.type,
      new Date(expired.expiresAt),
    ]);
    try {
      expect((await agentStore.challenges.forIdentifier('lookup.example.test', 'tls-alpn-01'))?.token).toBe(newer.token);
      expect((await agentStore.challenges.forIdentifier('lookup.example.test', 'http-01'))?.token).toBe(http.token);
      await runner.challenges.delete(newer.token);
      expect(await agentStore.challenges.forIdentifier('lookup.example.test', 'tls-alpn-01')).toEqual({ ...older, expiresAt: older.expiresAt });
      await runner.challenges.delete(older.token);
      expect(await agentStore.challenges.forIdentifier('lookup.example.test', 'tls-alpn-01')).toBeUndefined();
      expect(await agentStore.challenges.forIdentifier('LOOKUP.example.test', 'http-01')).toBeUndefined();
    } finally {
      for (const e of [older, newer, expired, http]) await runner.challenges.delete(e.token);
    }
  });

  it('the lookup by name is an index scan of challenge_tokens_identifier (migration 8), not a read of the table', async () => {
    const c = createPool(url);
    const client = await c.pool.connect();
    try {
      // A test table is tiny, where a sequential scan wins on cost: take that choice away to see which index serves.
      await client.query('SET enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        "EXPLAIN SELECT token FROM challenge_tokens WHERE identifier = 'x.example.test' AND type = 'tls-alpn-01' AND expires_at > now() ORDER BY expires_at DESC LIMIT 1",
      );
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan Backward using challenge_tokens_identifier on challenge_tokens/);
    } finally {
      client.release();
      await c.close();
    }
  });

  it('refuses the handshake for an answer that has expired, and presents a fresh one', async () => {
    const stale = new AgentsTlsAlpnSolver({ tokens: runner.challenges, now: () => Date.now() - 2 * 3_600_000 });
    const task = makeTask('tls-alpn-01', 'expiry.example.test');
    await stale.present(task, context());
    await expect(tlsHandshake(port.value, task.domain, ['acme-tls/1'])).rejects.toThrow();
    const fresh = new AgentsTlsAlpnSolver({ tokens: runner.challenges });
    const live = makeTask('tls-alpn-01', 'expiry.example.test');
    await fresh.present(live, context());
    try {
      expect(checkAcmeCertificate((await tlsHandshake(port.value, live.domain, ['acme-tls/1'])).certDer, live).valid).toBe(true);
    } finally {
      await fresh.cleanup(live, context());
      await stale.cleanup(task, context());
    }
  });

  it('never logs a key authorization', () => {
    const logged = JSON.stringify(agentLog.lines);
    expect(logged).toContain('tls-alpn-01: answered for www.example.test');
    expect(logged).not.toMatch(/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/);
  });
});
