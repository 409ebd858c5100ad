/**
 * Waiting for every host to confirm a replacement (src/fleet/await-deployed.ts watchDeployed) with a fake clock,
 * fake timers, a fake change feed and fake deployment rows: a notification wakes the wait (no
 * polling: the 30 s safety re-read never fires while notifications come); each host's report is
 * one progress event with its seconds from the start; other versions and other certificates do not
 * count; at the deadline a host that never reported is "not reporting" and one that failed is
 * failed with its reason; a lost notification is caught by the safety re-read; a reconnect re-reads.
 * While the orders go on: certificates join one by one and are complete as soon as their last host
 * confirms; the --wait deadline counts from finish; one wake is one batch read; close stops it all.
 */
import { describe, expect, it } from 'vitest';
import { DEPLOYED_CHANNEL, pendingHosts, watchDeployed, type FleetConfirmation, type FleetTarget, type HostProgress } from '../../../src/fleet/await-deployed.js';
import { recordingLogger } from '../../../src/logger.js';
import type { ChangeListener, HostDeployment, ReplacementStatus } from '../../../src/store/ports.js';

/** Timers that fire only when `advance` moves the clock past them. */
class FakeTime {
  now = 1_000_000;
  private timers: Array<{ at: number; fire: () => void; id: number }> = [];
  private seq = 0;
  fired = 0;
  setTimer = (ms: number, fire: () => void) => {
    const id = ++this.seq;
    this.timers.push({ at: this.now + ms, fire, id });
    return () => {
      this.timers = this.timers.filter((t) => t.id !== id);
    };
  };
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.now = Math.max(this.now, due.at);
      this.fired++;
      due.fire();
    }
    this.now = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The deployments table and a change feed, as the PostgreSQL store offers them. */
class FakeStore {
  rows = new Map<string, Array<HostDeployment & { host: string }>>();
  current = new Map<string, string>();
  reads = 0;
  /** The names of each batch read. */
  batches: string[][] = [];
  listener: ChangeListener | undefined;
  channel: string | undefined;
  closed = false;
  deployments = {
    replacementStatus: (names: readonly string[]) => {
      this.reads += names.length;
      this.batches.push([...names]);
      return Promise.resolve(new Map(names.map((n): [string, ReplacementStatus] => [n, { currentVersion: this.current.get(n), hosts: [...(this.rows.get(n) ?? [])] }])));
    },
  };
  listen(channel: string, listener: ChangeListener) {
    this.channel = channel;
    this.listener = listener;
    listener.connection(true);
    return Promise.resolve({
      close: () => {
        this.closed = true;
        return Promise.resolve();
      },
    });
  }
  /** A host's report, as the agent writes it; `notify` as the trigger would. */
  report(name: string, host: string, version: string, status: 'deployed' | 'failed', detail?: string, notify = true): void {
    const list = (this.rows.get(name) ?? []).filter((r) => r.host !== host);
    list.push({ host, version, status, detail, attemptedAt: '2026-12-03T00:00:00.000Z', deployedAt: status === 'deployed' ? '2026-12-03T00:00:00.000Z' : undefined });
    this.rows.set(name, list);
    if (notify) this.listener?.message(name);
  }
}

const WAIT = 30 * 60_000;

/** The watch begun, `targets` added, and `finish` called at once (a command whose orders are all done). */
function start(store: object, time: FakeTime, targets: FleetTarget[] = [{ name: 'www', version: 'v2', hosts: ['a', 'b'] }]) {
  const events: HostProgress[] = [];
  let settled = false;
  const started = time.now;
  const promise = watchDeployed(store as FakeStore, { startedAt: started }, { now: () => time.now, setTimer: time.setTimer, logger: recordingLogger(), onProgress: (e) => events.push(e) })
    .then((watch) => {
      for (const t of targets) watch.add(t);
      return watch.finish(WAIT);
    })
    .then((r) => {
      settled = true;
      return r;
    });
  return { events, promise, settled: () => settled };
}

describe('watchDeployed, every certificate added at once', () => {
  it('is woken by each notification and finishes when every host deployed the version, without polling', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    store.report('www', 'a', 'v1', 'deployed', undefined, false); // the old version: does not count
    const w = start(store, time);
    await settle();
    expect(store.channel).toBe(DEPLOYED_CHANNEL);
    expect(w.settled()).toBe(false);

    time.now += 4_200;
    store.report('www', 'a', 'v2', 'deployed');
    await settle();
    expect(w.events).toEqual([{ certificate: 'www', host: 'a', status: 'deployed', version: 'v2', seconds: 4.2 }]);
    expect(w.settled()).toBe(false);

    store.report('other', 'b', 'v9', 'deployed'); // another certificate: no read
    const reads = store.reads;
    await settle();
    expect(store.reads).toBe(reads);

    time.now += 1_000;
    store.report('www', 'b', 'v2', 'failed', 'nginx -t failed');
    await settle();
    time.now += 1_000;
    store.report('www', 'b', 'v2', 'deployed');
    const result = await w.promise;
    expect(w.events.slice(1)).toEqual([
      { certificate: 'www', host: 'b', status: 'failed', version: 'v2', seconds: 5.2, detail: 'nginx -t failed' },
      { certificate: 'www', host: 'b', status: 'deployed', version: 'v2', seconds: 6.2 },
    ]);
    expect(result).toEqual([
      {
        name: 'www',
        version: 'v2',
        complete: true,
        hosts: [
          { host: 'a', status: 'deployed', version: 'v2', seconds: 4.2 },
          { host: 'b', status: 'deployed', version: 'v2', seconds: 6.2 },
        ],
      },
    ]);
    // Woken by notifications only: the safety re-read never came due, and the feed is closed.
    expect(time.fired).toBe(0);
    expect(store.closed).toBe(true);
  });

  it('at the deadline reports a silent host as not reporting and a failed one with its reason', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const w = start(store, time, [{ name: 'www', version: 'v2', hosts: ['a', 'b', 'c'] }]);
    await settle();
    time.now += 2_000;
    store.report('www', 'a', 'v2', 'deployed');
    store.report('www', 'c', 'v2', 'failed', 'disk full');
    await settle();
    await time.advance(WAIT);
    expect(w.settled()).toBe(true);
    const [www] = await w.promise;
    expect(www!.complete).toBe(false);
    expect(www!.hosts).toEqual([
      { host: 'a', status: 'deployed', version: 'v2', seconds: 2 },
      { host: 'b', status: 'not-reporting', version: 'v2', detail: expect.stringMatching(/has not reported/) },
      { host: 'c', status: 'failed', version: 'v2', detail: 'disk full' },
    ]);
    expect(pendingHosts(www!)).toBe('b not reporting; c failed: disk full');
    // Before the deadline: the 30 s safety re-reads only (60 of them in 30 min), no tight polling.
    expect(time.fired).toBe(60);
  });

  it('catches a lost notification with the 30 s safety re-read', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const w = start(store, time, [{ name: 'www', version: 'v2', hosts: ['a'] }]);
    await settle();
    store.report('www', 'a', 'v2', 'deployed', undefined, false);
    await time.advance(29_000);
    expect(w.settled()).toBe(false);
    await time.advance(1_000);
    expect(w.settled()).toBe(true);
    expect((await w.promise)[0]!.hosts).toEqual([{ host: 'a', status: 'deployed', version: 'v2', seconds: 30 }]);
  });

  it('reads again when the feed connection comes back after an outage', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const w = start(store, time, [{ name: 'www', version: 'v2', hosts: ['a'] }]);
    await settle();
    store.listener!.connection(false);
    store.report('www', 'a', 'v2', 'deployed', undefined, false); // sent while down: lost
    time.now += 3_000;
    store.listener!.connection(true);
    await settle();
    expect(w.settled()).toBe(true);
    expect((await w.promise)[0]!.complete).toBe(true);
    expect(time.fired).toBe(0);
  });

  it('finds hosts that deployed before the wait began', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    store.report('www', 'a', 'v2', 'deployed');
    store.report('www', 'b', 'v2', 'deployed');
    const w = start(store, time);
    const [www] = await w.promise;
    expect(www!.complete).toBe(true);
    expect(www!.hosts.map((h) => h.seconds)).toEqual([0, 0]);
  });
});

/** A watch as a command holds it: begun before its first order, certificates added as their orders finish. */
async function begin(store: FakeStore, time: FakeTime) {
  const events: HostProgress[] = [];
  const completed: Array<{ at: number; confirmation: FleetConfirmation }> = [];
  const started = time.now;
  const watch = await watchDeployed(store, { startedAt: started }, {
    now: () => time.now,
    setTimer: time.setTimer,
    logger: recordingLogger(),
    onProgress: (e) => events.push(e),
    onComplete: (c) => completed.push({ at: time.now, confirmation: c }),
  });
  return { watch, events, completed };
}

describe('watchDeployed while the orders go on', () => {
  it('listens before the first order, and a certificate confirmed on every host is complete then, not after the last order', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const { watch, events, completed } = await begin(store, time);
    expect(store.channel).toBe(DEPLOYED_CHANNEL);

    // The first order is done 10 s in; its version (the current one, read when it joins) goes out to a and b.
    time.now += 10_000;
    store.current.set('www', 'v2');
    watch.add({ name: 'www', hosts: ['a', 'b'] });
    await settle();
    time.now += 2_000;
    store.report('www', 'a', 'v1', 'deployed'); // the version it replaced: does not count
    store.report('www', 'a', 'v2', 'deployed');
    await settle();
    time.now += 1_500;
    store.report('www', 'b', 'v2', 'deployed');
    await settle();
    // Hours of orders still to go, and www is confirmed already, with its hosts' times from the start.
    expect(events.map((e) => [e.certificate, e.host, e.seconds])).toEqual([
      ['www', 'a', 12],
      ['www', 'b', 13.5],
    ]);
    expect(completed).toEqual([
      {
        at: time.now,
        confirmation: {
          name: 'www',
          version: 'v2',
          complete: true,
          hosts: [
            { host: 'a', status: 'deployed', version: 'v2', seconds: 12 },
            { host: 'b', status: 'deployed', version: 'v2', seconds: 13.5 },
          ],
        },
      },
    ]);

    // A later order: its host had deployed it before it joined (the agent heard certfleet_current first).
    await time.advance(3 * 3_600_000);
    store.current.set('api', 'k7');
    store.report('api', 'c', 'k7', 'deployed');
    watch.add({ name: 'api', hosts: ['c'] });
    await settle();
    expect(completed.map((c) => [c.confirmation.name, c.confirmation.hosts.map((h) => h.seconds)])).toEqual([
      ['www', [12, 13.5]],
      ['api', [3 * 3600 + 13.5]],
    ]);
    const result = await watch.finish(WAIT);
    expect(result.map((c) => [c.name, c.complete])).toEqual([
      ['www', true],
      ['api', true],
    ]);
    expect(completed).toHaveLength(2); // each said once
    expect(store.closed).toBe(true);
  });

  it('the --wait deadline counts from finish (the last order), not from the start', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const { watch } = await begin(store, time);
    store.current.set('www', 'v2');
    watch.add({ name: 'www', hosts: ['a'] });
    await time.advance(2 * WAIT); // ordering the rest took an hour: no deadline yet
    let settled = false;
    const finished = watch.finish(WAIT).then((r) => {
      settled = true;
      return r;
    });
    await time.advance(WAIT - 1_000);
    expect(settled).toBe(false);
    await time.advance(1_000);
    expect(settled).toBe(true);
    expect((await finished)[0]!.hosts).toEqual([{ host: 'a', status: 'not-reporting', version: 'v2', detail: expect.stringMatching(/has not reported/) }]);
  });

  it('reads what one wake concerns in one batch: the certificates that joined together, then every open one on the safety re-read', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const { watch } = await begin(store, time);
    const names = Array.from({ length: 1000 }, (_, i) => `c${i}`);
    for (const n of names) store.current.set(n, `${n}-v2`);
    for (const n of names) watch.add({ name: n, hosts: ['a'] });
    await settle();
    expect(store.batches).toEqual([names]);
    for (const n of names.slice(0, 990)) store.report(n, 'a', `${n}-v2`, 'deployed', undefined, false); // notifications lost
    store.batches.length = 0;
    await time.advance(30_000);
    expect(store.batches).toEqual([names]);
    store.batches.length = 0;
    await time.advance(30_000);
    expect(store.batches).toEqual([names.slice(990)]); // only those still open
    void watch.close();
  });

  it('leaves out a certificate with no current version, and waits for a given version rather than the current one', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const { watch } = await begin(store, time);
    watch.add({ name: 'never-issued', hosts: ['a'] });
    store.current.set('resumed', 'v3'); // renewed again since: the earlier run's v2 is what is awaited
    watch.add({ name: 'resumed', hosts: ['a'], version: 'v2' });
    store.report('resumed', 'a', 'v3', 'deployed', undefined, false);
    await settle();
    store.report('resumed', 'a', 'v2', 'deployed');
    const result = await watch.finish(WAIT);
    expect(result).toEqual([{ name: 'resumed', version: 'v2', complete: true, hosts: [{ host: 'a', status: 'deployed', version: 'v2', seconds: 0 }] }]);
  });

  it('close without finish stops the reading and the listening', async () => {
    const time = new FakeTime();
    const store = new FakeStore();
    const { watch } = await begin(store, time);
    store.current.set('www', 'v2');
    watch.add({ name: 'www', hosts: ['a'] });
    await settle();
    await watch.close();
    expect(store.closed).toBe(true);
    const reads = store.reads;
    store.report('www', 'a', 'v2', 'deployed');
    await time.advance(60_000);
    expect(store.reads).toBe(reads);
  });
});
