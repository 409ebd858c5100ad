/**
 * The PostgreSQL certificate records' batch read (`statusPage`, ports.ts `CertificateBatchReads`)
 * against a real PostgreSQL: a page of certificates in one query, with state, schedule, the
 * current version's metadata and cert.pem and the number of versions; a certificate with no
 * version, one with no row, one whose state certfleet did not write; and never a key read (a store
 * opened with another encryption key reads the same page). The metrics read a page the same way.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectRenewMetrics } from '../../src/renewal/metrics.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { IssuedVersion, Schedule } from '../../src/store/ports.js';
import { PostgresCertificates } from '../../src/store/postgres/certificates.js';
import { createPool, type PostgresConnection } from '../../src/store/postgres/connection.js';
import { Db } from '../../src/store/postgres/db.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;
let connection: PostgresConnection;
const ring = keyring(dataKey(randomBytes(32)));

beforeAll(async () => {
  server = await startPostgres();
  connection = createPool(await server.createDatabase('status_page'));
  await migrate(connection.pool);
}, 60_000);

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

function version(id: string): IssuedVersion {
  return { id, serialNumber: id.split('-')[1]!, notBefore: '2026-01-01T00:00:00.000Z', notAfter: '2026-03-01T00:00:00.000Z', domains: ['web.example.test'], issuedAt: '2026-01-01T00:00:05.000Z' };
}

const keyPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const files = (tag: string) => ({ certPem: `CERT ${tag}\n`, chainPem: `CHAIN ${tag}\n`, fullchainPem: `CERT ${tag}\nCHAIN ${tag}\n`, keyPem: keyPem() });
const schedule: Schedule = { checkAt: Date.parse('2026-02-10T00:00:00Z'), specHash: 'h', outcome: { reason: 'lifetime-fraction', explanation: 'later', nextRenewalAt: '2026-02-10T00:00:00.000Z' } };

describe('statusPage', () => {
  it('reads a page in one query: state, schedule, current version and cert.pem, version count; no version, no row, a foreign state; never a key', async () => {
    const records = new PostgresCertificates(new Db(connection.pool, 'test'), ring);
    const state = { schemaVersion: 1 as const, failures: { consecutiveFailures: 2, lastFailureAt: 7, lastError: 'rateLimited' } };
    await records.addVersion('web', version('20260101T000000Z-01'), files('one'));
    await records.addVersion('web', version('20260201T000000Z-02'), files('two'));
    await records.setCurrent('web', '20260201T000000Z-02');
    await records.saveState('web', state);
    await records.setSchedule('web', schedule);
    // Never issued: state only (a failed first order).
    await records.saveState('new', { schemaVersion: 1, failures: { consecutiveFailures: 1, lastFailureAt: 9 } });
    // Written by hand, not by certfleet.
    await connection.pool.query(`INSERT INTO certificates (name, state) VALUES ('odd', '{"hello": 1}')`);

    // Another encryption key: a read that decrypted any key would fail.
    const otherKey = new PostgresCertificates(new Db(connection.pool, 'test'), keyring(dataKey(randomBytes(32))));
    const query = vi.spyOn(connection.pool, 'query');
    const corrupt: string[] = [];
    let page;
    try {
      page = await otherKey.statusPage(['web', 'new', 'odd', 'absent'], (m) => corrupt.push(m));
      expect(query).toHaveBeenCalledTimes(1);
      expect(await otherKey.statusPage([], () => undefined)).toEqual(new Map());
      expect(query).toHaveBeenCalledTimes(1);
    } finally {
      query.mockRestore();
    }

    expect([...page.keys()].sort()).toEqual(['new', 'odd', 'web']);
    expect(page.get('web')).toEqual({ state, current: { version: version('20260201T000000Z-02'), certPem: 'CERT two\n' }, versions: 2, schedule });
    expect(page.get('new')).toEqual({ state: { schemaVersion: 1, failures: { consecutiveFailures: 1, lastFailureAt: 9 } }, current: undefined, versions: 0, schedule: undefined });
    expect(page.get('odd')).toEqual({ state: { schemaVersion: 1 }, current: undefined, versions: 0, schedule: undefined });
    expect(corrupt).toEqual([expect.stringMatching(/^the state of odd in the database is unreadable \(not a certfleet state document, schemaVersion 1\)/)]);

    // A state write voids the schedule, as schedules() sees it.
    await records.saveState('web', state);
    expect((await records.statusPage(['web'], () => undefined)).get('web')?.schedule).toBeUndefined();
  });

  it('renew --metrics-file reads the certificates a run did not list a page at a time, their next renewal from the schedule', async () => {
    const records = new PostgresCertificates(new Db(connection.pool, 'metrics'), ring);
    const names = Array.from({ length: 1203 }, (_, i) => `m${String(i).padStart(4, '0')}`);
    // 1,203 certificates with a version and a schedule, written in one statement each.
    await connection.pool.query(`INSERT INTO certificates (name, schedule, next_check_at) SELECT n, $2, now() + interval '1 day' FROM unnest($1::text[]) AS n`, [names, JSON.stringify(schedule)]);
    await connection.pool.query(
      `INSERT INTO versions (certificate, id, meta, cert_pem) SELECT n, 'v1', $2, 'CERT' FROM unnest($1::text[]) AS n`,
      [names, JSON.stringify(version('20260101T000000Z-0a'))],
    );
    await connection.pool.query(`UPDATE certificates SET current_version = 'v1' WHERE name = ANY($1::text[])`, [names]);
    const result = {
      startedAt: '2026-02-01T00:00:00.000Z',
      certificates: [{ name: 'm0000', action: 'not-due', reason: 'lifetime-fraction', explanation: '', durationMs: 1, nextRenewalAt: '2026-02-11T00:00:00.000Z' }],
      summary: { durationMs: 10, notListed: names.length - 1 },
    } as unknown as RenewRunResult;

    const query = vi.spyOn(connection.pool, 'query');
    let metrics;
    try {
      metrics = await collectRenewMetrics(records, result, () => undefined);
      // names(), the listed one's page, and the others' 1,202 in three pages of 500: not two queries per certificate.
      expect(query).toHaveBeenCalledTimes(1 + 1 + 3);
    } finally {
      query.mockRestore();
    }
    const byName = new Map(metrics.certificates.map((m) => [m.name, m]));
    expect(metrics.certificates.filter((m) => m.name.startsWith('m'))).toHaveLength(names.length);
    expect(byName.get('m0000')).toMatchObject({ nextRenewalAt: Date.parse('2026-02-11T00:00:00Z'), notAfter: Date.parse('2026-03-01T00:00:00Z') });
    expect(byName.get('m1202')).toMatchObject({ nextRenewalAt: Date.parse('2026-02-10T00:00:00Z'), notAfter: Date.parse('2026-03-01T00:00:00Z'), lastSuccessAt: Date.parse('2026-01-01T00:00:05Z') });
  });
});
