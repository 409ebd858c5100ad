/**
 * http-01 `agents: true` over a real PostgreSQL: the runner's solver puts answers in the shared
 * store and an agent's listener (fleet/http-01-server.ts, over its own connection to the store)
 * serves them. The conformance suite every solver passes, then the listener's own duties: expired
 * answers 404, one lookup by token per request, oversized requests refused, a store outage a 503.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsHttpSolver } from '../../src/challenges/http-01/agents.js';
import { serveHttp01Answers, type Http01Server } from '../../src/fleet/http-01-server.js';
import { recordingLogger } from '../../src/logger.js';
import type { ChallengeToken } from '../../src/store/ports.js';
import type { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { httpGet, httpVerifier } from '../conformance/verifiers.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { runnerAndAgentStores } from '../helpers/postgres-stores.js';

let postgres: RunningPostgres;
/** The runner's store (the solver writes) and the agent's (its listener reads): two pools, as two hosts have. */
let runner: PostgresStateStore;
let agentStore: PostgresStateStore;
let agent: Http01Server;
const agentLog = recordingLogger();
const port = { value: 0 };

beforeAll(async () => {
  postgres = await startPostgres();
  ({ runner, agentStore } = await runnerAndAgentStores(postgres, 'agents_http'));
  agent = await serveHttp01Answers({ host: '127.0.0.1', port: 0 }, agentStore.challenges, agentLog);
  port.value = agent.address.port;
  // One connection open in each pool before the suite counts handles: a pool's first connect is not a leak.
  await Promise.all([runner.challenges.get('warm-up'), agentStore.challenges.get('warm-up')]);
}, 60_000);

afterAll(async () => {
  await agent?.close();
  await runner?.close();
  await agentStore?.close();
  await postgres?.stop();
});

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });

describeSolverConformance(
  'http-01 agents (shared store)',
  () => solverFromConfig({ type: 'http-01', agents: true }, { challengeTokens: runner.challenges }),
  () => httpVerifier(port.value, ['www.example.test', 'api.example.test']),
);

/** One raw request (no client-side limits); the code of the status line the agent sent back. */
function rawStatus(head: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port.value, '127.0.0.1', () => socket.end(head));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

describe('the agent http-01 listener', () => {
  it('serves what the runner put in the store, and nothing once it has expired', async () => {
    const solver = new AgentsHttpSolver({ tokens: runner.challenges, now: () => Date.now() - 2 * 3_600_000 });
    const task = makeTask('http-01', 'www.example.test');
    await solver.present(task, context());
    // Present by a solver whose clock is two hours behind: the answer expired an hour ago.
    expect((await httpGet(port.value, task.domain, `/.well-known/acme-challenge/${task.token}`)).status).toBe(404);
    const fresh = new AgentsHttpSolver({ tokens: runner.challenges });
    const live = makeTask('http-01', 'www.example.test');
    await fresh.present(live, context());
    const answer = await httpGet(port.value, live.domain, `/.well-known/acme-challenge/${live.token}`);
    expect([answer.status, answer.contentType, answer.body]).toEqual([200, 'text/plain', live.keyAuthorization]);
    await fresh.cleanup(live, context());
    await solver.cleanup(task, context());
  });

  it('answers a tls-alpn-01 answer, an unknown token and other paths with 404', async () => {
    const entry: ChallengeToken = { token: randomBytes(32).toString('base64url'), keyAuthorization: 'k.a', identifier: 'www.example.test', type: 'tls-alpn-01', expiresAt: Date.now() + 60_000 };
    await runner.challenges.put(entry);
    for (const path of [`/.well-known/acme-challenge/${entry.token}`, '/.well-known/acme-challenge/nope', '/', `/.well-known/acme-challenge/${entry.token}/x`]) {
      expect((await httpGet(port.value, 'www.example.test', path)).status, path).toBe(404);
    }
    await runner.challenges.delete(entry.token);
  });

  it('refuses oversized requests: headers past 8 KiB (431) and a request target past 1 KiB (414)', async () => {
    expect(await rawStatus(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`)).toBe(431);
    expect(await rawStatus(`GET /.well-known/acme-challenge/abc?${'q'.repeat(2_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).toBe(414);
  });

  it('never logs a key authorization', () => {
    const logged = JSON.stringify(agentLog.lines);
    expect(logged).toContain('answered for www.example.test');
    expect(logged).not.toMatch(/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/);
  });

  it('answers 503 when its lookup fails (the store unreachable), and the stored answer through a working one', async () => {
    const task = makeTask('http-01', 'www.example.test');
    const solver = new AgentsHttpSolver({ tokens: runner.challenges });
    await solver.present(task, context());
    const broken = await serveHttp01Answers({ host: '127.0.0.1', port: 0 }, { get: () => Promise.reject(new Error('connect ECONNREFUSED')) }, recordingLogger());
    try {
      const get = (p: number) => httpGet(p, task.domain, `/.well-known/acme-challenge/${task.token}`);
      expect((await get(broken.address.port)).status).toBe(503);
      expect((await get(port.value)).status).toBe(200);
    } finally {
      await broken.close();
      await solver.cleanup(task, context());
    }
  });
});
