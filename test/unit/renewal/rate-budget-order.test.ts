/**
 * The CA's rate budget taken before each new order (src/renewal/rate-budget.ts through
 * renew-certificate.ts): what is taken, what a refusal does (not due, reason rate-budget, a
 * schedule for when a unit frees, no failure counted), and the ARI-window exemption. The fake
 * budget answers as told; the real ones are tested in test/integration/rate-budget-postgres.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { rateLimitPresets } from '../../../src/acme/rate-limit-presets.js';
import { DAY_MS } from '../../../src/renewal/decision.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { registeredDomain, registeredDomains } from '../../../src/renewal/rate-budget.js';
import { renewCertificate, type RenewDeps } from '../../../src/renewal/renew-certificate.js';
import { CertificateStore } from '../../../src/store/certificate-store.js';
import type { RateBudget } from '../../../src/store/ports.js';
import { fakeRenewDeps } from '../../helpers/fake-renew-deps.js';
import { FakeCa } from '../../helpers/fake-renew-ports.js';
import { managedCertificate } from '../../helpers/managed.js';
import { tempDir } from '../../helpers/pki.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;

type Take = Parameters<RateBudget['take']>[0];

class FakeBudget implements RateBudget {
  readonly takes: Take[] = [];
  /** Refuse takes of this bucket, a unit freeing at retryAt. */
  refuse: { bucket: string; retryAt: number } | undefined;
  take(request: Take) {
    this.takes.push(request);
    if (this.refuse && request.bucket === this.refuse.bucket) return Promise.resolve({ granted: false as const, retryAt: this.refuse.retryAt });
    return Promise.resolve({ granted: true as const });
  }
  usage(keys: readonly unknown[]) {
    return Promise.resolve(keys.map(() => ({ used: 0 })));
  }
}

let now: number;
let store: CertificateStore;
let ca: FakeCa;
let budget: FakeBudget;
let deps: RenewDeps;

const limited = (domains = ['www.example.co.uk', 'api.example.co.uk', 'shop.example.com']): ManagedCertificate => {
  const cert = managedCertificate({ domains });
  return { ...cert, ca: { ...cert.ca, rateLimits: rateLimitPresets.letsencrypt } };
};
const run = (cert: ManagedCertificate, force = false) => renewCertificate(cert, { force, plan: false }, deps);

beforeEach(() => {
  now = T0;
  store = new CertificateStore(tempDir('certfleet-rate-budget-unit-'));
  ca = new FakeCa(() => new Date(now));
  budget = new FakeBudget();
  deps = fakeRenewDeps({ store, issuers: ca, now: () => new Date(now), budget });
});

describe('registered domains', () => {
  it('come from the Public Suffix List, its private section included; a wildcard counts as its base name', () => {
    expect(registeredDomain('a.b.example.co.uk')).toBe('example.co.uk');
    expect(registeredDomain('*.example.com')).toBe('example.com');
    expect(registeredDomain('me.github.io')).toBe('me.github.io');
    expect(registeredDomains(['www.example.co.uk', 'example.co.uk', '*.shop.example.com'])).toEqual(['example.co.uk', 'example.com']);
  });
});

describe('before a new order', () => {
  it("takes one unit per registered domain (any account) and one of the account's new orders, then orders", async () => {
    expect(await run(limited())).toMatchObject({ action: 'renewed' });
    const week = 7 * 24 * HOUR;
    const caUrl = limited().ca.directoryUrl;
    expect(budget.takes).toEqual([
      { ca: caUrl, account: '', bucket: 'registered-domain:example.co.uk', limit: 50, windowMs: week, now: T0 },
      { ca: caUrl, account: '', bucket: 'registered-domain:example.com', limit: 50, windowMs: week, now: T0 },
      { ca: caUrl, account: ca.accountUrl, bucket: 'new-orders', limit: 300, windowMs: 3 * HOUR, now: T0 },
    ]);
    expect(ca.orders).toHaveLength(1);
  });

  it('takes nothing when the CA has no limits configured', async () => {
    expect(await run(managedCertificate())).toMatchObject({ action: 'renewed' });
    expect(budget.takes).toEqual([]);
  });

  it('refused: orders nothing, is not due until a unit frees, with a schedule for then and no failure counted', async () => {
    const retryAt = T0 + 2 * HOUR;
    budget.refuse = { bucket: 'new-orders', retryAt };
    const outcome = await run(limited());
    expect(outcome).toMatchObject({ action: 'not-due', reason: 'rate-budget', nextRenewalAt: new Date(retryAt).toISOString() });
    expect(outcome.explanation).toMatch(/300 new orders per account per 3 h/);
    expect(ca.orders).toEqual([]);
    expect((await store.loadStateReadOnly('www', () => undefined)).failures).toBeUndefined();
    await store.flushSchedules();
    expect((await store.schedules()).get('www')).toMatchObject({ checkAt: retryAt, outcome: { reason: 'rate-budget' } });
  });

  it('refused by a registered domain: stops there, the account is not charged', async () => {
    budget.refuse = { bucket: 'registered-domain:example.co.uk', retryAt: T0 + DAY_MS };
    expect(await run(limited(), true)).toMatchObject({ action: 'not-due', reason: 'rate-budget' });
    expect(budget.takes.map((t) => t.bucket)).toEqual(['registered-domain:example.co.uk']);
    expect(ca.orders).toEqual([]);
  });

  it("is not asked for a renewal inside the CA's ARI window (Let's Encrypt exempts those)", async () => {
    expect(await run(limited())).toMatchObject({ action: 'renewed' });
    budget.takes.length = 0;
    budget.refuse = { bucket: 'new-orders', retryAt: T0 + 30 * DAY_MS };
    now = T0 + 20 * DAY_MS;
    ca.renewalInfoAnswer = { suggestedWindow: { start: now - HOUR, end: now + HOUR } };
    const serialNumber = (await store.current('www'))!.version.serialNumber;
    await store.saveState('www', { ...(await store.loadStateReadOnly('www', () => undefined)), ariPoll: { serialNumber, nextPollAt: 0 } });
    now += HOUR / 2;
    const outcome = await run(limited());
    expect(outcome).toMatchObject({ action: 'renewed' });
    expect(budget.takes).toEqual([]);
    expect(ca.orders).toHaveLength(2);
  });

  it('is asked for a renewal outside an ARI window, and its refusal holds the order', async () => {
    expect(await run(limited())).toMatchObject({ action: 'renewed' });
    budget.refuse = { bucket: 'new-orders', retryAt: T0 + 40 * DAY_MS };
    now = T0 + 31 * DAY_MS;
    expect(await run(limited())).toMatchObject({ action: 'not-due', reason: 'rate-budget' });
    expect(ca.orders).toHaveLength(1);
  });
});
