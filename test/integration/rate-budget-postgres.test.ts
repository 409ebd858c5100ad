/**
 * The CA's rate budget shared by two runners (two PostgresStateStores, two pools, as two hosts
 * would have) against a real PostgreSQL: eight due certificates renewed concurrently, four by each
 * runner, with a budget of five new orders: exactly five are ordered, the other three wait for
 * a unit (not due, reason rate-budget), none counted as failed. And the budget's read (usage),
 * what drill, replace and report take what is left from.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../src/renewal/managed.js';
import { renewCertificate, type RenewDeps } from '../../src/renewal/renew-certificate.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { fakeRenewDeps } from '../helpers/fake-renew-deps.js';
import { FakeCa } from '../helpers/fake-renew-ports.js';
import { managedCertificate } from '../helpers/managed.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';
import { migratedDatabase } from '../helpers/postgres-stores.js';

let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

it('two runners taking from one budget never exceed its limit together', async () => {
  const url = await migratedDatabase(server, 'budget');
  const ring = keyring(dataKey(randomBytes(32)));
  const runners = [await PostgresStateStore.open({ url, keyring: ring }), await PostgresStateStore.open({ url, keyring: ring })];
  try {
    const now = Date.parse('2026-12-01T00:00:00Z');
    const ca = new FakeCa(() => new Date(now));
    const cert = (i: number): ManagedCertificate => {
      const base = managedCertificate({ name: `c${i}`, domains: [`c${i}.example${i}.test`] });
      // Only the account's new orders are limited here: each certificate is its own registered domain.
      return { ...base, deploy: undefined, verify: [], ca: { ...base.ca, rateLimits: { newOrders: { limit: 5, windowMs: 3 * 3_600_000 } } } };
    };
    const deps = (store: PostgresStateStore): RenewDeps => fakeRenewDeps({ store: store.certificates, issuers: ca, now: () => new Date(now), budget: store.budget });
    const outcomes = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => renewCertificate(cert(i), { force: false, plan: false }, deps(runners[i % 2]!))));
    expect(outcomes.filter((o) => o.action === 'renewed')).toHaveLength(5);
    const waiting = outcomes.filter((o) => o.action !== 'renewed');
    expect(waiting).toHaveLength(3);
    for (const o of waiting) expect(o).toMatchObject({ action: 'not-due', reason: 'rate-budget', nextRenewalAt: new Date(now + 3 * 3_600_000).toISOString() });
    expect(ca.orders).toHaveLength(5);
  } finally {
    for (const r of runners) await r.close();
  }
});

it('reads what is used of each bucket now (usage), per account or across the CA, and deletes nothing', async () => {
  const url = await migratedDatabase(server, 'budget_usage');
  const store = await PostgresStateStore.open({ url, keyring: keyring(dataKey(randomBytes(32))) });
  try {
    const HOUR = 3_600_000;
    const t0 = Date.parse('2026-12-01T00:00:00Z');
    const ca = 'https://ca.example.test/directory';
    const take = async (now: number, account: string, bucket = 'new-orders', windowMs = 3 * HOUR) =>
      expect(await store.budget.take({ ca, account, bucket, limit: 300, windowMs, now })).toEqual({ granted: true });
    await take(t0, 'acct-1');
    await take(t0, 'acct-1'); // the same moment twice: one row, used 2
    await take(t0 + HOUR, 'acct-1');
    await take(t0 + 2 * HOUR, 'acct-2');
    await take(t0 + 1, '', 'registered-domain:example.com', 168 * HOUR);
    await store.budget.take({ ca: 'https://other.test/directory', account: 'acct-1', bucket: 'new-orders', limit: 300, windowMs: 3 * HOUR, now: t0 });

    const keys = [
      { ca, account: 'acct-1', bucket: 'new-orders', windowMs: 3 * HOUR },
      { ca, bucket: 'new-orders', windowMs: 3 * HOUR },
      { ca, account: '', bucket: 'registered-domain:example.com', windowMs: 168 * HOUR },
      { ca, account: '', bucket: 'registered-domain:example.org', windowMs: 168 * HOUR },
    ];
    expect(await store.budget.usage(keys, t0 + 2 * HOUR)).toEqual([
      { used: 3, oldestFreesAt: t0 + 3 * HOUR },
      { used: 4, oldestFreesAt: t0 + 3 * HOUR },
      { used: 1, oldestFreesAt: t0 + 1 + 168 * HOUR },
      { used: 0 },
    ]);
    // At t0 + 3 h the first two have left the window (the boundary take uses).
    expect(await store.budget.usage(keys.slice(0, 2), t0 + 3 * HOUR)).toEqual([
      { used: 1, oldestFreesAt: t0 + 4 * HOUR },
      { used: 2, oldestFreesAt: t0 + 4 * HOUR },
    ]);
    expect(await store.budget.usage([], t0)).toEqual([]);

    const check = createPool(url);
    try {
      const { rows } = await check.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rate_budget');
      expect(rows[0]?.n).toBe(5); // taken: 6 units in 5 rows; none of them deleted by the reads
    } finally {
      await check.close();
    }
  } finally {
    await store.close();
  }
});
