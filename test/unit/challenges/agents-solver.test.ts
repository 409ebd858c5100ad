/**
 * The http-01 agents solver against a store that fails: a put that fails is a ChallengeError naming
 * the store (the order must not ask the CA to validate an answer nobody can serve); a delete that
 * fails is a warning, since the answer expires by itself and the order's outcome stands.
 */
import { describe, expect, it } from 'vitest';
import { ChallengeError } from '../../../src/challenges/errors.js';
import { AgentsHttpSolver, ANSWER_TTL_MS } from '../../../src/challenges/http-01/agents.js';
import { recordingLogger } from '../../../src/logger.js';
import type { ChallengeToken } from '../../../src/store/ports.js';
import { makeTask } from '../../conformance/tasks.js';

const failing = (what: string) => () => Promise.reject(new Error(`${what}: connection terminated`));

describe('AgentsHttpSolver', () => {
  it('stores the token, key authorization, lower-cased name and an expiry an hour on', async () => {
    const put: ChallengeToken[] = [];
    const solver = new AgentsHttpSolver({ tokens: { put: (e) => Promise.resolve(void put.push(e)), get: () => Promise.resolve(undefined), delete: () => Promise.resolve(), forIdentifier: () => Promise.resolve(undefined) }, now: () => 1_000 });
    const task = makeTask('http-01', 'WWW.Example.test');
    await solver.present(task, { logger: recordingLogger(), signal: new AbortController().signal });
    expect(put).toEqual([{ token: task.token, keyAuthorization: task.keyAuthorization, identifier: 'www.example.test', type: 'http-01', expiresAt: 1_000 + ANSWER_TTL_MS }]);
  });

  it('a put that fails is a ChallengeError that names the shared store', async () => {
    const solver = new AgentsHttpSolver({ tokens: { put: failing('put'), get: failing('get'), delete: () => Promise.resolve(), forIdentifier: failing('forIdentifier') } });
    const err = await solver.present(makeTask('http-01', 'www.example.test'), { logger: recordingLogger(), signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChallengeError);
    expect((err as ChallengeError).message).toMatch(/^http-01 for www\.example\.test: the answer could not be put in the shared store: put: connection terminated/);
    expect((err as ChallengeError).hint).toMatch(/store\.postgres/);
  });

  it('a delete that fails is logged as a warning, not thrown, and never shows the key authorization', async () => {
    const logger = recordingLogger();
    const solver = new AgentsHttpSolver({ tokens: { put: () => Promise.resolve(), get: failing('get'), delete: failing('delete'), forIdentifier: failing('forIdentifier') } });
    const task = makeTask('http-01', 'www.example.test');
    await solver.cleanup(task, { logger, signal: new AbortController().signal });
    expect(logger.lines).toEqual([{ level: 'warn', message: expect.stringMatching(/answer could not be deleted from the shared store \(it expires within the hour\): delete: connection terminated/) }]);
    expect(JSON.stringify(logger.lines)).not.toContain(task.keyAuthorization);
  });
});
