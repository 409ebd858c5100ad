/** Polling: short first waits growing to a cap, Retry-After honoured, a deadline, and abort. */
import { describe, expect, it } from 'vitest';
import { AcmeError, AcmeTimeoutError } from '../../../src/acme/errors.js';
import { pollUntil, type PollStep } from '../../../src/acme/poll.js';

function recorder(steps: Array<Omit<PollStep<number>, 'value'>>) {
  const at: number[] = [];
  const started = Date.now();
  let i = 0;
  return {
    at,
    check: async (): Promise<PollStep<number>> => {
      at.push(Date.now() - started);
      const step = steps[Math.min(i, steps.length - 1)]!;
      return { ...step, value: i++ };
    },
  };
}

describe('pollUntil', () => {
  it('checks at once, then after waits that double up to the cap', async () => {
    const r = recorder([...Array(5).fill({ status: 'pending', done: false }), { status: 'valid', done: true }]);
    const value = await pollUntil('order', 'https://o', r.check, { timing: { initialDelayMs: 20, factor: 2, maxDelayMs: 50, timeoutMs: 5000 } });
    expect(value).toBe(5);
    const gaps = r.at.slice(1).map((t, i) => t - r.at[i]!);
    expect(r.at[0]).toBeLessThan(15);
    // Timers may fire a little late, never (much) early.
    const expected = [20, 40, 50, 50, 50];
    expect(gaps).toHaveLength(expected.length);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(expected[i]! - 2));
    expect(gaps[4]!).toBeLessThan(150);
  });

  it('waits as long as Retry-After asks, not its own shorter interval', async () => {
    const r = recorder([{ status: 'processing', done: false, retryAfterSeconds: 0.3 }, { status: 'valid', done: true }]);
    await pollUntil('order', 'https://o', r.check, { timing: { initialDelayMs: 10, timeoutMs: 5000 } });
    expect(r.at[1]! - r.at[0]!).toBeGreaterThanOrEqual(295);
  });

  it('uses a known first state without asking again', async () => {
    const r = recorder([{ status: 'valid', done: true }]);
    const value = await pollUntil('order', 'https://o', r.check, { first: { value: 42, status: 'valid', done: true } });
    expect(value).toBe(42);
    expect(r.at).toEqual([]);
  });

  it('gives up at the deadline with the last status it saw', async () => {
    const r = recorder([{ status: 'processing', done: false }]);
    const started = Date.now();
    const err = await pollUntil('order', 'https://o/1', r.check, { timing: { initialDelayMs: 10, maxDelayMs: 20, timeoutMs: 200 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeTimeoutError);
    expect((err as AcmeTimeoutError).lastStatus).toBe('processing');
    expect((err as Error).message).toContain('order https://o/1 was still processing');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops when the caller aborts', async () => {
    const r = recorder([{ status: 'pending', done: false }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('run cancelled')), 50);
    const err = await pollUntil('authorization', 'https://a', r.check, { timing: { initialDelayMs: 1000, timeoutMs: 10_000 }, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    expect((err as Error).message).toContain('run cancelled');
  });
});
