/**
 * Migration 005's trigger against a real PostgreSQL 15: every report an agent writes to
 * `deployments` (insert, and the update of a later report) sends `certfleet_deployed` with the
 * certificate's name; and `watchDeployed` over the real store's ChangeFeed is woken by it: with
 * the safety re-read and the deadline an hour away, the wait still ends as soon as both hosts
 * reported (without the trigger it would hang until the test's timeout).
 */
import { describe, expect, it } from 'vitest';
import { DEPLOYED_CHANNEL, watchDeployed, type HostProgress } from '../../src/fleet/await-deployed.js';
import { recordingLogger } from '../../src/logger.js';
import type { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { usePostgresStores, hostSpec, applySpecs, addCurrent } from '../helpers/postgres-stores.js';

const { openStore, client } = usePostgresStores('n');

async function withCurrent(store: PostgresStateStore, name: string, id: string): Promise<void> {
  await applySpecs(store, [hostSpec(name, ['a', 'b'])], id);
  await addCurrent(store, name, id);
}

describe('certfleet_deployed (PostgreSQL)', () => {
  it('notifies the certificate name on every deployment report, first and later', async () => {
    const { store, url } = await openStore();
    await withCurrent(store, 'web', 'v1');
    const listener = await client(url);
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === DEPLOYED_CHANNEL) heard.push(n.payload ?? '');
    });
    await listener.query(`LISTEN ${DEPLOYED_CHANNEL}`);
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v1' }); // insert
    await store.deployments.record('web', 'b', { status: 'failed', version: 'v1', detail: 'reload refused' });
    await store.deployments.record('web', 'b', { status: 'deployed', version: 'v1' }); // update
    // A round trip on the listening connection: notifications committed before it are delivered before its answer.
    await listener.query('SELECT 1');
    expect(heard).toEqual(['web', 'web', 'web']);
  });

  it('wakes watchDeployed through the store change feed, long before its safety re-read', async () => {
    const { store } = await openStore();
    await withCurrent(store, 'web', 'v2');
    const events: HostProgress[] = [];
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    // The real store's deployments and change feed; the first read (finding nothing) is awaited before the agents report.
    let firstRead: Promise<unknown> | undefined;
    const watched = {
      deployments: {
        replacementStatus: (names: readonly string[]) => {
          const read = store.deployments.replacementStatus(names);
          firstRead ??= read;
          return read;
        },
      },
      listen: store.listen.bind(store),
    };
    const watch = await watchDeployed(watched, { startedAt: Date.now(), safetyRereadMs: 3_600_000 }, {
      now: Date.now,
      setTimer: (ms, fire) => {
        const t = setTimeout(fire, ms);
        timers.push(t);
        return () => clearTimeout(t);
      },
      logger: recordingLogger(),
      onProgress: (e) => events.push(e),
    });
    watch.add({ name: 'web', version: 'v2', hosts: ['a', 'b'] });
    const wait = watch.finish(3_600_000);
    // Listening starts before the first read: once that read is done, only a notification can wake the wait.
    while (firstRead === undefined) await new Promise((resolve) => setImmediate(resolve));
    expect(await firstRead).toEqual(new Map([['web', { currentVersion: 'v2', hosts: [] }]]));
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v2' });
    await store.deployments.record('web', 'b', { status: 'deployed', version: 'v2' });
    const [web] = await wait;
    for (const t of timers) clearTimeout(t);
    expect(web!.complete).toBe(true);
    expect(events.map((e) => [e.host, e.status])).toEqual([
      ['a', 'deployed'],
      ['b', 'deployed'],
    ]);
  }, 20_000);
});
