/**
 * The CA's rate budget shared by two runners (two PostgresStateStores, two pools, as two hosts
 * would have) against a real PostgreSQL: eight due certificates renewed concurrently, four by each
 * runner, with a budget of five new orders: exactly five are ordered, the other three wait for
 * a unit (not due, reason rate-budget), none counted as failed.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { oneAtATime } from '../../src/concurrency.js';
import { silentLogger } from '../../src/logger.js';
import { defaultRenewalPolicy } from '../../src/renewal/decision.js';
import type { ManagedCertificate } from '../../src/renewal/managed.js';
import { renewCertificate, type RenewDeps } from '../../src/renewal/renew-certificate.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { dataKey, keyring } from '../../src/store/postgres/encryption.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { PostgresStateStore } from '../../src/store/postgres/state-store.js';
import { FakeCa, FakeCommands, FakeDeployer, FakeVerifier } from '../helpers/fake-renew-ports.js';
import { managedCertificate } from '../helpers/managed.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

it('two runners taking from one budget never exceed its limit together', async () => {
  const url = await server.createDatabase('budget');
  const c = createPool(url);
  try {
    await migrate(c.pool);
  } finally {
    await c.close();
  }
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
    const deps = (store: PostgresStateStore): RenewDeps => ({
      store: store.certificates,
      specHash: () => 'hash',
      issuers: ca,
      deployer: new FakeDeployer(),
      verifier: new FakeVerifier(),
      runCommand: new FakeCommands().run,
      policy: defaultRenewalPolicy,
      now: () => new Date(now),
      random: () => 0.5,
      logger: silentLogger,
      commandEnv: {},
      exclusive: oneAtATime(),
      budget: store.budget,
    });
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
