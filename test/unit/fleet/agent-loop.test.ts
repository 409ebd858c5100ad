/**
 * The long-running agent's loop (src/fleet/agent-loop.ts) with a fake clock, fake timers and a fake
 * store: a pass at start; a notification for an assigned certificate makes one pass, a burst one
 * pass, one for another host's certificate none (unless it was assigned since); a failure is tried
 * again at 1, 2, 4 min and a success resets that; the safety pass every interval; a reconnect makes
 * a pass; a stop during a pass waits for it. No real time passes: timers fire when the test says.
 */
import { describe, expect, it } from 'vitest';
import type { AgentCertificateOutcome, AgentResult, AgentStatus } from '../../../src/fleet/agent.js';
import { AgentLoop, CURRENT_CHANNEL, SETTLE_MS, type AgentLoopIo } from '../../../src/fleet/agent-loop.js';
import { recordingLogger } from '../../../src/logger.js';
import type { ChangeListener, HostAssignment } from '../../../src/store/ports.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Timers that fire only when `advance` moves the clock past them. */
class FakeTime {
  now = 0;
  private timers: Array<{ at: number; fire: () => void; id: number }> = [];
  private seq = 0;
  setTimer = (ms: number, fire: () => void) => {
    const id = ++this.seq;
    this.timers.push({ at: this.now + ms, fire, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  };
  pendingTimers(): number {
    return this.timers.length;
  }
  /** Moves the clock to now + ms, firing every timer due on the way (in order), letting the loop react after each. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      due.fire();
    }
    this.now = end;
    await settle();
  }
}

/** Lets every promise chain the loop started run to its next wait (no clock involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function result(outcomes: Array<[string, AgentStatus]>): AgentResult {
  const certificates: AgentCertificateOutcome[] = outcomes.map(([name, status]) => ({ name, status, ...(status !== 'waiting' ? { version: `${name}-v1` } : {}) }));
  const count = (s: AgentStatus) => certificates.filter((c) => c.status === s).length;
  return {
    schemaVersion: 1,
    host: 'a',
    localState: '/state',
    certificates,
    summary: { assigned: certificates.length, deployed: count('deployed'), alreadyDeployed: count('already-deployed'), waiting: count('waiting'), busy: count('busy'), failed: count('failed'), durationMs: 1 },
  };
}

interface Harness {
  time: FakeTime;
  passes: number[];
  listener: () => ChangeListener;
  stop: () => void;
  done: Promise<void>;
  loop: AgentLoop;
  /** What the next passes return (the last one repeats). */
  script: Array<AgentResult | (() => Promise<AgentResult>)>;
  assigned: string[];
  closed: () => boolean;
}

function start(options: { feed?: boolean; intervalMs?: number; assigned?: string[] } = {}): Harness {
  const time = new FakeTime();
  const passes: number[] = [];
  const controller = new AbortController();
  let listener: ChangeListener | undefined;
  let closed = false;
  const h = {
    assigned: options.assigned ?? ['web'],
    script: [] as Harness['script'],
  };
  const store = {
    deployments: {
      assignedTo: (host: string) => Promise.resolve(h.assigned.map((name) => ({ name, spec: {}, currentVersion: undefined, deployed: undefined }) as unknown as HostAssignment).filter(() => host === 'a')),
    },
    certificates: {
      readVersion: (name: string, id: string) => Promise.resolve({ version: { id, notAfter: '2027-01-01T00:00:00Z' } as never, files: {} as never }),
    },
    ...(options.feed === false
      ? {}
      : {
          listen: (channel: string, l: ChangeListener) => {
            expect(channel).toBe(CURRENT_CHANNEL);
            listener = l;
            l.connection(true);
            return Promise.resolve({
              close: () => {
                closed = true;
                return Promise.resolve();
              },
            });
          },
        }),
  };
  const io: AgentLoopIo = { now: () => time.now, setTimer: time.setTimer, signal: controller.signal, logger: recordingLogger() };
  const loop = new AgentLoop(
    {
      host: 'a',
      intervalMs: options.intervalMs ?? HOUR,
      store,
      pass: () => {
        passes.push(time.now);
        const next = h.script.length > 1 ? h.script.shift()! : (h.script[0] ?? result(h.assigned.map((n) => [n, 'already-deployed'])));
        return typeof next === 'function' ? next() : Promise.resolve(next);
      },
    },
    io,
  );
  const done = loop.run();
  return {
    time,
    passes,
    listener: () => listener!,
    stop: () => controller.abort(),
    done,
    loop,
    get script() {
      return h.script;
    },
    set script(s) {
      h.script = s;
    },
    get assigned() {
      return h.assigned;
    },
    set assigned(a) {
      h.assigned = a;
    },
    closed: () => closed,
  };
}

describe('the long-running agent loop', () => {
  it('does a pass at start, and one pass for a notification naming an assigned certificate', async () => {
    const h = start();
    await h.time.advance(0);
    expect(h.passes).toEqual([0]);
    await h.time.advance(10 * MIN);
    expect(h.passes).toEqual([0]);
    h.listener().message('web');
    await h.time.advance(SETTLE_MS);
    expect(h.passes).toEqual([0, 10 * MIN + SETTLE_MS]);
    expect(h.loop.state.passes).toBe(2);
    h.stop();
    await h.done;
    expect(h.closed()).toBe(true);
  });

  it('coalesces a burst of notifications into one pass, including those heard during a pass', async () => {
    const h = start({ assigned: ['web', 'api', 'mail'] });
    await h.time.advance(MIN);
    for (let i = 0; i < 50; i++) h.listener().message(['web', 'api', 'mail'][i % 3]!);
    await h.time.advance(MIN);
    expect(h.passes).toEqual([0, MIN + SETTLE_MS]);

    // A pass that takes a while: notifications during it make exactly one more pass after it.
    let finish!: (r: AgentResult) => void;
    h.script = [() => new Promise<AgentResult>((resolve) => (finish = resolve)), result([['web', 'already-deployed']])];
    h.listener().message('web');
    await h.time.advance(SETTLE_MS);
    expect(h.passes).toHaveLength(3);
    for (let i = 0; i < 20; i++) h.listener().message('api');
    await h.time.advance(10 * SETTLE_MS);
    expect(h.passes).toHaveLength(3);
    finish(result([['web', 'already-deployed']]));
    await h.time.advance(MIN);
    expect(h.passes).toHaveLength(4);
    h.stop();
    await h.done;
  });

  it("ignores another host's certificate, but not one assigned since the last pass", async () => {
    const h = start();
    await h.time.advance(MIN);
    h.listener().message('elsewhere');
    await h.time.advance(MIN);
    expect(h.passes).toEqual([0]);
    h.assigned = ['web', 'new'];
    h.listener().message('new');
    await h.time.advance(MIN);
    expect(h.passes).toEqual([0, 2 * MIN + SETTLE_MS]);
    h.stop();
    await h.done;
  });

  it('tries a failed deployment again after 1, 2 and 4 min, and a success resets the backoff', async () => {
    const h = start();
    const failing = result([['web', 'failed']]);
    const ok = result([['web', 'deployed']]);
    h.script = [failing, failing, failing, ok, failing, ok];
    await h.time.advance(0);
    await h.time.advance(7 * MIN);
    expect(h.passes).toEqual([0, 1 * MIN, 3 * MIN, 7 * MIN]);
    expect(h.loop.state.certificates.get('web')).toMatchObject({ status: 'deployed', deployedVersion: 'web-v1', notAfter: Date.parse('2027-01-01T00:00:00Z') });
    // Deployed at 7 min: no retry pending, the next pass is the interval's...
    h.listener().message('web');
    await h.time.advance(SETTLE_MS);
    // ...unless a notification comes; that one fails, and its retry is 1 min again, not 8.
    expect(h.passes.at(-1)).toBe(7 * MIN + SETTLE_MS);
    expect(h.loop.state.certificates.get('web')?.status).toBe('failed');
    await h.time.advance(MIN);
    expect(h.passes.at(-1)).toBe(8 * MIN + SETTLE_MS);
    expect(h.passes).toHaveLength(6);
    h.stop();
    await h.done;
  });

  it('caps the backoff at 1 h', async () => {
    const h = start({ intervalMs: 24 * HOUR });
    h.script = [result([['web', 'failed']])];
    await h.time.advance(0);
    await h.time.advance(4 * HOUR);
    const gaps = h.passes.slice(1).map((t, i) => (t - h.passes[i]!) / MIN);
    expect(gaps.slice(0, 8)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    h.stop();
    await h.done;
  });

  it('does the safety pass every interval, and a pass after the store connection comes back', async () => {
    const h = start({ intervalMs: HOUR });
    await h.time.advance(0);
    await h.time.advance(HOUR - 1);
    expect(h.passes).toEqual([0]);
    await h.time.advance(1);
    expect(h.passes).toEqual([0, HOUR]);

    h.listener().connection(false);
    await h.time.advance(5 * MIN);
    expect(h.passes).toEqual([0, HOUR]);
    expect(h.loop.state.connected).toBe(false);
    h.listener().connection(true);
    await h.time.advance(0);
    expect(h.passes).toEqual([0, HOUR, HOUR + 5 * MIN]);
    expect(h.loop.state.connected).toBe(true);
    // The interval counts from the last pass.
    await h.time.advance(HOUR);
    expect(h.passes).toEqual([0, HOUR, HOUR + 5 * MIN, 2 * HOUR + 5 * MIN]);
    h.stop();
    await h.done;
  });

  it('works without a change feed (interval and retries only)', async () => {
    const h = start({ feed: false, intervalMs: 10 * MIN });
    await h.time.advance(30 * MIN);
    expect(h.passes).toEqual([0, 10 * MIN, 20 * MIN, 30 * MIN]);
    expect(h.loop.state.connected).toBeUndefined();
    h.stop();
    await h.done;
  });

  it('a pass that cannot run (the store down) is tried again with the backoff, not every few seconds', async () => {
    const h = start();
    h.script = [() => Promise.reject(new Error('connection refused')), () => Promise.reject(new Error('connection refused')), result([['web', 'already-deployed']])];
    await h.time.advance(10 * MIN);
    expect(h.passes).toEqual([0, MIN, 3 * MIN]);
    expect(h.loop.state.passes).toBe(1);
    h.stop();
    await h.done;
  });

  it('a stop during a pass waits for that pass to finish, then returns without another', async () => {
    const h = start();
    let finish!: (r: AgentResult) => void;
    h.script = [() => new Promise<AgentResult>((resolve) => (finish = resolve)), result([['web', 'deployed']])];
    await h.time.advance(0);
    expect(h.passes).toEqual([0]);
    let stopped = false;
    void h.done.then(() => (stopped = true));
    h.listener().message('web');
    h.stop();
    await h.time.advance(HOUR);
    expect(stopped).toBe(false);
    expect(h.closed()).toBe(false);
    finish(result([['web', 'deployed']]));
    await h.done;
    expect(h.passes).toEqual([0]);
    expect(h.closed()).toBe(true);
    expect(h.time.pendingTimers()).toBe(0);
  });

  it('a stop while idle returns at once', async () => {
    const h = start();
    await h.time.advance(MIN);
    h.stop();
    await h.done;
    expect(h.passes).toEqual([0]);
    expect(h.time.pendingTimers()).toBe(0);
  });
});
