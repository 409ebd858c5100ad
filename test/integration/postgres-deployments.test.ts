/**
 * DeploymentRecords (src/store/postgres/deployments.ts, schema version 4) against a real
 * PostgreSQL 15: which certificates a host is assigned (by the applied spec's hosts, archived ones
 * left out, through the GIN index), each host's report kept apart, a failure keeping when the host
 * last deployed, the rows gone with the certificate, and the notification a current-version change
 * sends on `certfleet_current`.
 */
import { describe, expect, it } from 'vitest';
import { usePostgresStores, hostSpec, applySpecs, addCurrent } from '../helpers/postgres-stores.js';

const { openStore, client } = usePostgresStores('d');
const spec = hostSpec;
const apply = applySpecs;

describe('DeploymentRecords (PostgreSQL)', () => {
  it('assigns by the spec hosts, keeps each host report apart, and keeps when a host last deployed through a failure', async () => {
    const { store } = await openStore();
    await apply(store, [spec('both', ['a', 'b']), spec('only-a', ['a']), spec('nobody'), spec('gone', ['a'])], '1');
    await apply(store, [spec('both', ['a', 'b']), spec('only-a', ['a']), spec('nobody')], '2'); // gone is archived
    await addCurrent(store, 'both', 'v1');

    const forA = await store.deployments.assignedTo('a');
    expect(forA.map((x) => [x.name, x.currentVersion, x.deployed])).toEqual([
      ['both', 'v1', undefined],
      ['only-a', undefined, undefined],
    ]);
    expect(forA[0]!.spec).toEqual(spec('both', ['a', 'b']));
    expect((await store.deployments.assignedTo('b')).map((x) => x.name)).toEqual(['both']);
    expect(await store.deployments.assignedTo('c')).toEqual([]);

    await store.deployments.record('both', 'a', { status: 'deployed', version: 'v1' });
    await store.deployments.record('both', 'b', { status: 'failed', version: 'v1', detail: 'reload failed' });
    const [a] = await store.deployments.assignedTo('a');
    expect(a!.deployed).toMatchObject({ version: 'v1', status: 'deployed', detail: undefined });
    expect(Date.parse(a!.deployed!.deployedAt!)).toBe(Date.parse(a!.deployed!.attemptedAt));
    const [b] = await store.deployments.assignedTo('b');
    expect(b!.deployed).toMatchObject({ version: 'v1', status: 'failed', detail: 'reload failed', deployedAt: undefined });

    // v2 fails on a: the row says failed for v2, and still when a last deployed (v1's time).
    await addCurrent(store, 'both', 'v2');
    await store.deployments.record('both', 'a', { status: 'failed', version: 'v2', detail: 'disk full' });
    const rows = await store.deployments.forCertificate('both');
    expect(rows.map((r) => [r.host, r.version, r.status, r.detail])).toEqual([
      ['a', 'v2', 'failed', 'disk full'],
      ['b', 'v1', 'failed', 'reload failed'],
    ]);
    expect(rows[0]!.deployedAt).toBe(a!.deployed!.deployedAt);
  });

  it('a report for a certificate the store does not hold is refused; deleting a certificate deletes its reports', async () => {
    const { store, url } = await openStore();
    await expect(store.deployments.record('nope', 'a', { status: 'deployed', version: 'v1' })).rejects.toThrow(/foreign key/);
    await apply(store, [spec('web', ['a'])], '1');
    await addCurrent(store, 'web', 'v1');
    await store.deployments.record('web', 'a', { status: 'deployed', version: 'v1' });
    const c = await client(url);
    await c.query("DELETE FROM certificates WHERE name = 'web'");
    expect((await c.query('SELECT count(*)::int AS n FROM deployments')).rows[0]).toEqual({ n: 0 });
  });

  it('"assigned to host H" is answered by the GIN index, not a scan of the fleet', async () => {
    const { store, url } = await openStore();
    await apply(store, [spec('web', ['a'])], '1');
    const c = await client(url);
    // A fleet of 5,000 over 100 hosts, with its statistics: the planner's own choice is looked at.
    await c.query(
      `INSERT INTO certificates (name, spec) SELECT 'c' || i, jsonb_build_object('name', 'c' || i, 'entry', jsonb_build_object('hosts', jsonb_build_array('h' || (i % 100))))
         FROM generate_series(1, 5000) AS i`,
    );
    await c.query('ANALYZE certificates');
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT name FROM certificates c WHERE c.archived_at IS NULL AND c.spec IS NOT NULL AND c.spec->'entry'->'hosts' ? 'a'`,
    );
    expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toContain('Bitmap Index Scan on certificates_hosts');
    expect((await store.deployments.assignedTo('h7')).length).toBe(50);
  });

  it('notifies certfleet_current with the name when the current version changes, and only then', async () => {
    const { store, url } = await openStore();
    const listener = await client(url);
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === 'certfleet_current') heard.push(n.payload ?? '');
    });
    await listener.query('LISTEN certfleet_current');
    await apply(store, [spec('web', ['a']), spec('api', ['a'])], '1');
    await addCurrent(store, 'web', 'v1');
    await store.certificates.saveState('web', { schemaVersion: 1 }); // not a version change
    await store.certificates.setCurrent('web', 'v1'); // the same version: nothing changed
    await addCurrent(store, 'api', 'v1');
    await addCurrent(store, 'web', 'v2');
    // A round trip on the listening connection: notifications committed before it are delivered before its answer.
    await listener.query('SELECT 1');
    expect(heard).toEqual(['web', 'api', 'web']);
  });
});
