/**
 * `challenge: { type: tls-alpn-01, agents: true }`: the schema (no port or address with agents),
 * the registry's solver, what it puts in and takes out of the store (a fake here; PostgreSQL in
 * test/integration/challenges-tls-alpn-agents.test.ts), and the spec checks (store.postgres and
 * hosts), one ConfigError each.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { challengeConfigSchema, resolveChallengeSecrets } from '../../../src/challenges/config.js';
import { ChallengeError } from '../../../src/challenges/errors.js';
import { ANSWER_TTL_MS } from '../../../src/challenges/http-01/agents.js';
import { createSolver, solverKind } from '../../../src/challenges/registry.js';
import { AgentsTlsAlpnSolver } from '../../../src/challenges/tls-alpn-01/agents.js';
import type { ChallengeTask } from '../../../src/challenges/types.js';
import { ConfigError } from '../../../src/errors.js';
import { recordingLogger } from '../../../src/logger.js';
import type { ChallengeToken, ChallengeTokens } from '../../../src/store/ports.js';
import { agentsChallengeSpec } from '../../helpers/agents-challenge-spec.js';

function task(domain: string, type: ChallengeTask['type'] = 'tls-alpn-01'): ChallengeTask {
  const token = randomBytes(32).toString('base64url');
  return { type, domain, wildcard: false, token, keyAuthorization: `${token}.${randomBytes(32).toString('base64url')}`, dnsTxtValue: '' };
}

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });
const failing = (what: string) => () => Promise.reject(new Error(`${what}: connection terminated`));

function memoryTokens(): ChallengeTokens & { rows: Map<string, ChallengeToken> } {
  const rows = new Map<string, ChallengeToken>();
  return {
    rows,
    put: (e) => Promise.resolve(void rows.set(e.token, e)),
    get: (t) => Promise.resolve(rows.get(t)),
    delete: (t) => Promise.resolve(void rows.delete(t)),
    forIdentifier: (identifier, type) => Promise.resolve([...rows.values()].find((r) => r.identifier === identifier && r.type === type)),
  };
}

describe('tls-alpn-01 agents: true, the schema', () => {
  const issues = (input: unknown) => {
    const result = challengeConfigSchema.safeParse(input);
    if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
    return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('parses agents: true alone, and keeps the standalone shape (port 443 by default) without it', () => {
    expect(challengeConfigSchema.parse({ type: 'tls-alpn-01', agents: true })).toEqual({ type: 'tls-alpn-01', agents: true });
    expect(challengeConfigSchema.parse({ type: 'tls-alpn-01' })).toEqual({ type: 'tls-alpn-01', port: 443 });
    expect(challengeConfigSchema.parse({ type: 'tls-alpn-01', port: 8443, address: '127.0.0.1' })).toEqual({ type: 'tls-alpn-01', port: 8443, address: '127.0.0.1' });
  });

  it('refuses a port or an address next to agents: true (even port 443), and agents: false', () => {
    const message = 'agents: tls-alpn-01 with agents: true takes no port or address: each agent listens where its --tls-alpn-01-listen says';
    expect(issues({ type: 'tls-alpn-01', agents: true, port: 443 })).toEqual([message]);
    expect(issues({ type: 'tls-alpn-01', agents: true, address: '127.0.0.1' })).toEqual([message]);
    expect(issues({ type: 'tls-alpn-01', agents: false }).join()).toMatch(/^agents: /);
  });

  it('maps to the agents solver over the store it is given, and refuses to make one without', async () => {
    const resolved = (input: unknown) => resolveChallengeSecrets(challengeConfigSchema.parse(input), {}, () => Promise.reject(new Error('no files here')));
    const config = await resolved({ type: 'tls-alpn-01', agents: true });
    expect(solverKind(config)).toBe('tls-alpn-01/agents');
    expect(solverKind(await resolved({ type: 'tls-alpn-01' }))).toBe('tls-alpn-01');
    const solver = createSolver(config, { challengeTokens: memoryTokens() });
    expect(solver).toBeInstanceOf(AgentsTlsAlpnSolver);
    expect(solver.type).toBe('tls-alpn-01');
    expect(() => createSolver(config)).toThrow(new ConfigError('tls-alpn-01 with agents: true needs the shared store (store.postgres): the agents read the answers from it'));
  });
});

describe('AgentsTlsAlpnSolver', () => {
  it('stores the key authorization under the lower-cased name, typed tls-alpn-01, for an hour; cleanup deletes it', async () => {
    const tokens = memoryTokens();
    const solver = new AgentsTlsAlpnSolver({ tokens, now: () => 1_000 });
    const t = task('WWW.Example.test');
    await solver.present(t, context());
    expect([...tokens.rows.values()]).toEqual([{ token: t.token, keyAuthorization: t.keyAuthorization, identifier: 'www.example.test', type: 'tls-alpn-01', expiresAt: 1_000 + ANSWER_TTL_MS }]);
    expect(await tokens.forIdentifier('www.example.test', 'tls-alpn-01')).toMatchObject({ token: t.token });
    await solver.cleanup(t, context());
    expect(tokens.rows.size).toBe(0);
  });

  it('refuses another type and a wildcard before touching the store', async () => {
    const tokens = { ...memoryTokens(), put: failing('put') };
    const solver = new AgentsTlsAlpnSolver({ tokens });
    await expect(solver.present(task('www.example.test', 'http-01'), context())).rejects.toThrow('a tls-alpn-01 solver was given a http-01 challenge');
    await expect(solver.present({ ...task('example.test'), wildcard: true }, context())).rejects.toThrow('can only be validated with dns-01');
  });

  it('a put that fails is a ChallengeError naming the shared store; a delete that fails a warning without the key authorization', async () => {
    const solver = new AgentsTlsAlpnSolver({ tokens: { ...memoryTokens(), put: failing('put'), delete: failing('delete') } });
    const t = task('www.example.test');
    const err = await solver.present(t, context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChallengeError);
    expect((err as ChallengeError).message).toBe('tls-alpn-01 for www.example.test: the answer could not be put in the shared store: put: connection terminated');
    expect((err as ChallengeError).hint).toMatch(/store\.postgres/);
    const logger = recordingLogger();
    await solver.cleanup(t, { logger, signal: new AbortController().signal });
    expect(logger.lines).toEqual([{ level: 'warn', message: 'tls-alpn-01 for www.example.test: the answer could not be deleted from the shared store (it expires within the hour): delete: connection terminated' }]);
    expect(JSON.stringify(logger.lines)).not.toContain(t.keyAuthorization);
  });
});

describe('tls-alpn-01 agents: true in a certificate spec', () => {
  const deploy = { cert: '/etc/tls/web.pem', key: '/etc/tls/web.key' };
  const { resolveWith, refusal } = agentsChallengeSpec({ type: 'tls-alpn-01', agents: true });

  it('is resolved with store.postgres and hosts', async () => {
    const cert = (await resolveWith({ hosts: ['a', 'b'], deploy })).certificates[0]!;
    expect(cert.challenge).toEqual({ type: 'tls-alpn-01', agents: true });
  });

  it('needs hosts, and store.postgres, one ConfigError each', async () => {
    const noHosts = await refusal({ deploy });
    expect(noHosts.message).toBe('certificates[0] (web).challenge: tls-alpn-01 with agents: true needs hosts: the agents of those hosts answer the CA');
    expect(noHosts.hint).toMatch(/certfleet agent --tls-alpn-01-listen/);
    const noStore = await refusal({ deploy }, {});
    expect(noStore.message).toBe('certificates[0] (web).challenge: tls-alpn-01 with agents: true needs store.postgres: the agents serve the answers from the shared store');
    expect(noStore.hint).toBe('configure store.postgres, or leave agents out (renew answers on its own listener, port: 443 by default) on the host that runs renew');
  });

  it('a port next to agents: true is a config error naming the certificate', async () => {
    await expect(resolveWith({ hosts: ['a'], deploy, challenge: { type: 'tls-alpn-01', agents: true, port: 443 } })).rejects.toThrow(
      'certificates[0] (web).challenge.agents: tls-alpn-01 with agents: true takes no port or address: each agent listens where its --tls-alpn-01-listen says',
    );
  });
});
