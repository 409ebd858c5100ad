/**
 * `challenge: { type: http-01, agents: true }` in a certificate spec: resolved with store.postgres
 * and hosts; without the shared store or without hosts a ConfigError (exit 2) naming the
 * certificate's challenge, since no agent would answer the CA.
 */
import { describe, expect, it } from 'vitest';
import { agentsChallengeSpec } from '../../helpers/agents-challenge-spec.js';

const deploy = { cert: '/etc/tls/web.pem', key: '/etc/tls/web.key' };
const { resolveWith, refusal } = agentsChallengeSpec({ type: 'http-01', agents: true });

describe('http-01 agents: true in a certificate spec', () => {
  it('is resolved with store.postgres and hosts', async () => {
    const cert = (await resolveWith({ hosts: ['a', 'b'], deploy })).certificates[0]!;
    expect(cert.challenge).toEqual({ type: 'http-01', agents: true });
    expect(cert.hosts).toEqual(['a', 'b']);
  });

  it('needs hosts: without them no agent answers for the names', async () => {
    const err = await refusal({ deploy });
    expect(err.message).toBe('certificates[0] (web).challenge: http-01 with agents: true needs hosts: the agents of those hosts answer the CA');
    expect(err.hint).toMatch(/certfleet agent --http-01-listen/);
  });

  it('needs store.postgres: the file store is no store the agents share', async () => {
    const err = await refusal({ deploy }, {});
    expect(err.message).toBe('certificates[0] (web).challenge: http-01 with agents: true needs store.postgres: the agents serve the answers from the shared store');
  });
});
