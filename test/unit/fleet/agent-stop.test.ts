/**
 * runAgentOnce's stop (the long-running agent's SIGTERM): the certificates under way are finished
 * and reported, no other is attempted. Certificates waiting for their first issuance keep the pass free
 * of any deployment machinery.
 */
import { describe, expect, it } from 'vitest';
import { runAgentOnce, type AgentOnceInput } from '../../../src/fleet/agent.js';
import { silentLogger } from '../../../src/logger.js';
import type { HostAssignment } from '../../../src/store/ports.js';

const assignment = (name: string) => ({ name, spec: {}, currentVersion: undefined, deployed: undefined }) as unknown as HostAssignment;

function input(concurrency?: number): AgentOnceInput {
  return {
    host: 'a',
    ...(concurrency !== undefined ? { concurrency } : {}),
    specs: { resolve: () => Promise.reject(new Error('not reached')) },
    policy: {} as AgentOnceInput['policy'],
    shared: { deployments: { assignedTo: () => Promise.resolve(['one', 'two', 'three'].map(assignment)) } } as unknown as AgentOnceInput['shared'],
    local: { certificates: {}, location: '/state' } as unknown as AgentOnceInput['local'],
  };
}

describe('runAgentOnce stop', () => {
  it('without a stop, attempts every certificate', async () => {
    const r = await runAgentOnce(input(), { now: () => new Date(), random: Math.random, logger: silentLogger, commandEnv: {}, owner: 'me' });
    expect(r.certificates.map((c) => c.name)).toEqual(['one', 'two', 'three']);
  });

  it('stopped during the first certificate: that one is reported, no other attempted', async () => {
    const stop = new AbortController();
    const r = await runAgentOnce(input(1), { now: () => new Date(), random: Math.random, logger: silentLogger, commandEnv: {}, owner: 'me', stop: stop.signal, onCertificate: () => stop.abort() });
    expect(r.certificates).toEqual([{ name: 'one', status: 'waiting' }]);
  });

  it('deploying two at a time and stopped during the first: the two under way are reported, in assigned order, the third not attempted', async () => {
    const stop = new AbortController();
    const r = await runAgentOnce(input(2), { now: () => new Date(), random: Math.random, logger: silentLogger, commandEnv: {}, owner: 'me', stop: stop.signal, onCertificate: () => stop.abort() });
    expect(r.certificates).toEqual([
      { name: 'one', status: 'waiting' },
      { name: 'two', status: 'waiting' },
    ]);
  });
});
