/**
 * `DeploymentRecords.replacementStatus` (src/store/postgres/deployments.ts) against a real
 * PostgreSQL 15: what waiting for a fleet's replacement reads — each certificate's current version
 * and every host's last report — for many certificates at once: one statement per 500 names (a
 * thousand certificates were two thousand statements, `currentId` then `forCertificate` each), the
 * same answer as those per-certificate reads, a certificate without a version or without reports
 * included, a name the store does not hold absent.
 */
import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/store/postgres/connection.js';
import { Db } from '../../src/store/postgres/db.js';
import { PostgresDeployments, STATUS_PAGE } from '../../src/store/postgres/deployments.js';
import { addCurrent, applySpecs, hostSpec, usePostgresStores } from '../helpers/postgres-stores.js';

const { openStore, client } = usePostgresStores('rs');

describe('replacementStatus (PostgreSQL)', () => {
  it('reads the current version and every host report of each name, as currentId and forCertificate do one by one', async () => {
    const { store } = await openStore();
    await applySpecs(store, [hostSpec('both', ['a', 'b']), hostSpec('quiet', ['a']), hostSpec('never-issued', ['b'])], '1');
    await addCurrent(store, 'both', 'v1');
    await store.deployments.record('both', 'b', { status: 'deployed', version: 'v1' });
    await addCurrent(store, 'both', 'v2');
    await store.deployments.record('both', 'a', { status: 'failed', version: 'v2', detail: 'disk full' });
    await addCurrent(store, 'quiet', 'q1');

    const status = await store.deployments.replacementStatus(['both', 'quiet', 'never-issued', 'not-in-store']);
    expect([...status.keys()].sort()).toEqual(['both', 'never-issued', 'quiet']);
    expect(status.get('both')).toEqual({ currentVersion: await store.certificates.currentId('both'), hosts: await store.deployments.forCertificate('both') });
    expect(status.get('both')!.currentVersion).toBe('v2');
    expect(status.get('both')!.hosts.map((h) => [h.host, h.version, h.status, h.detail])).toEqual([
      ['a', 'v2', 'failed', 'disk full'],
      ['b', 'v1', 'deployed', undefined],
    ]);
    expect(status.get('quiet')).toEqual({ currentVersion: 'q1', hosts: [] });
    expect(status.get('never-issued')).toEqual({ currentVersion: undefined, hosts: [] });
    expect(await store.deployments.replacementStatus([])).toEqual(new Map());
  });

  it('answers 1,100 certificates in three statements, one per page of 500 names', async () => {
    const { url } = await openStore();
    const c = await client(url);
    const n = 1100;
    // The fleet written directly: a version per certificate, current, and two hosts' reports of it.
    await c.query(`INSERT INTO certificates (name) SELECT 'c' || i FROM generate_series(1, ${n}) AS i`);
    await c.query(
      `INSERT INTO versions (certificate, id, meta, cert_pem, chain_pem, fullchain_pem)
         SELECT 'c' || i, 'v' || i, '{}'::jsonb, 'C', '', 'C' FROM generate_series(1, ${n}) AS i`,
    );
    await c.query("UPDATE certificates SET current_version = 'v' || substr(name, 2)");
    await c.query(
      `INSERT INTO deployments (certificate, host, version, status) SELECT 'c' || i, h, 'v' || i, 'deployed' FROM generate_series(1, ${n}) AS i, (VALUES ('h1'), ('h2')) AS hs(h)`,
    );

    const pool = createPool(url);
    const statements: string[] = [];
    try {
      const db = new Db(pool.pool, 'test');
      const counting = Object.assign(Object.create(db) as Db, {
        query: (text: string, values?: unknown[]) => {
          statements.push(text);
          return db.query(text, values);
        },
      });
      const names = Array.from({ length: n }, (_, i) => `c${i + 1}`);
      const status = await new PostgresDeployments(counting).replacementStatus(names);
      expect(STATUS_PAGE).toBe(500);
      expect(statements).toHaveLength(3);
      expect(status.size).toBe(n);
      for (const name of ['c1', 'c500', 'c501', 'c1000', 'c1001', 'c1100']) {
        const v = `v${name.slice(1)}`;
        expect(status.get(name)).toMatchObject({ currentVersion: v, hosts: [{ host: 'h1', version: v, status: 'deployed' }, { host: 'h2', version: v, status: 'deployed' }] });
      }
    } finally {
      await pool.close();
    }
  });
});
