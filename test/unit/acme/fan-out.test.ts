/**
 * An order's authorizations are worked a bounded number at a time: fetched, presented, answered
 * and awaited. (An order of 10,000 names once fetched every authorization at once and ran out of
 * file descriptors.) The fake CA counts the requests in flight; a counting solver the presents.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AcmeClient, createCsr, issueCertificate } from '../../../src/acme/index.js';
import { CA_REQUEST_CONCURRENCY, eachBounded, SOLVER_CONCURRENCY } from '../../../src/acme/fan-out.js';
import type { ChallengeSolver, ChallengeTask } from '../../../src/challenges/types.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { startFakeAcme, type FakeAcme } from '../../helpers/fake-acme.js';

let ca: FakeAcme | undefined;
let client: AcmeClient | undefined;
afterEach(async () => {
  client?.close();
  await ca?.close();
  client = ca = undefined;
});

const names = (n: number) => Array.from({ length: n }, (_, i) => `n${i}.test`);
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countingSolver(fail?: (task: ChallengeTask) => boolean) {
  const state = { running: 0, max: 0, presented: [] as string[], cleaned: [] as string[] };
  const solver: ChallengeSolver = {
    type: 'http-01',
    async present(task) {
      state.presented.push(task.domain);
      state.max = Math.max(state.max, ++state.running);
      try {
        await tick(5);
        if (fail?.(task)) throw new Error(`cannot present ${task.domain}`);
      } finally {
        state.running--;
      }
    },
    async cleanup(task) {
      state.cleaned.push(task.domain);
    },
  };
  return { solver, state };
}

describe('bounded work over authorizations', () => {
  it(`fetches the authorizations of a 200-name order at most ${CA_REQUEST_CONCURRENCY} at a time`, async () => {
    ca = await startFakeAcme({ authorizationDelayMs: 10 });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await client.ensureAccount({ termsAgreed: true });
    const order = await client.order({ identifiers: names(200) });
    expect(order.authorizations.map((a) => a.identifier)).toEqual(names(200));
    expect(ca.requests.filter((r) => r.kind === 'authz')).toHaveLength(200);
    expect(ca.maxInFlight).toBeLessThanOrEqual(CA_REQUEST_CONCURRENCY);
    expect(ca.maxInFlight).toBeGreaterThan(1);
  });

  it('presents, answers and awaits the challenges of a 100-name order within the bounds', async () => {
    ca = await startFakeAcme({ authorizationStatus: 'pending', authorizationDelayMs: 2 });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await client.ensureAccount({ termsAgreed: true });
    const { solver, state } = countingSolver();
    const identifiers = names(100);
    const issued = await issueCertificate(client, { identifiers, csrDer: await createCsr(identifiers, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': solver } });
    expect(issued.certificatePem).toContain('BEGIN CERTIFICATE');
    expect(state.max).toBeLessThanOrEqual(SOLVER_CONCURRENCY);
    expect(state.max).toBeGreaterThan(1);
    expect(state.cleaned.sort()).toEqual([...identifiers].sort());
    expect(ca.requests.filter((r) => r.kind === 'chall')).toHaveLength(100);
    expect(ca.maxInFlight).toBeLessThanOrEqual(CA_REQUEST_CONCURRENCY);
  });

  it('after a failed present starts no more, and cleans up exactly the ones that started', async () => {
    ca = await startFakeAcme({ authorizationStatus: 'pending' });
    client = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256') });
    await client.ensureAccount({ termsAgreed: true });
    const { solver, state } = countingSolver((task) => task.domain === 'n3.test');
    const identifiers = names(100);
    const err = await issueCertificate(client, { identifiers, csrDer: await createCsr(identifiers, await generatePrivateKey('ec-p256')) }, { solvers: { 'http-01': solver } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('cannot present n3.test');
    expect(state.presented.length).toBeLessThan(100);
    expect(state.cleaned.sort()).toEqual([...state.presented].sort());
    expect(ca.requests.filter((r) => r.kind === 'chall')).toHaveLength(0);
  });
});

describe('eachBounded', () => {
  it('keeps the order of results and never runs more than the limit', async () => {
    let running = 0;
    let max = 0;
    const out = await eachBounded([5, 1, 4, 2, 3, 0, 6], 3, async (ms) => {
      max = Math.max(max, ++running);
      await tick(ms);
      running--;
      return ms * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(max).toBe(3);
  });

  it('throws the first failure only after the running items settled, and starts none after it', async () => {
    const started: number[] = [];
    const settled: number[] = [];
    const heard: unknown[] = [];
    const err = await eachBounded([0, 1, 2, 3, 4, 5], 2, async (i) => {
      started.push(i);
      await tick(i === 0 ? 30 : 1);
      settled.push(i);
      if (i === 1) throw new Error('one');
      if (i === 0) throw new Error('zero');
    }, (e) => heard.push(e)).catch((e: unknown) => e);
    expect((err as Error).message).toBe('one');
    expect(started).toEqual([0, 1]);
    expect(settled.sort()).toEqual([0, 1]);
    expect(heard.map((e) => (e as Error).message)).toEqual(['one']);
  });
});
