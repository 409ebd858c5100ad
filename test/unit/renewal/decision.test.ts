import { describe, expect, it } from 'vitest';
import { chooseInWindow, DAY_MS, decideRenewal, defaultRenewalPolicy, type CertificateTimes } from '../../../src/renewal/decision.js';

const t0 = Date.parse('2026-12-01T00:00:00Z');
const HOUR = 3_600_000;
const cert = (days: number, serialNumber = 'aa'): CertificateTimes => ({ serialNumber, notBefore: t0, notAfter: t0 + days * DAY_MS });
const policy = defaultRenewalPolicy;

describe('decideRenewal (fake clock)', () => {
  it('renews at once when there is no certificate, or when forced', () => {
    expect(decideRenewal({ policy, now: t0 })).toMatchObject({ due: true, reason: 'no-certificate' });
    expect(decideRenewal({ certificate: cert(45), policy, now: t0 + HOUR * 2, force: true })).toMatchObject({ due: true, reason: 'forced' });
  });

  it('renews a 45-day certificate with a third of its life left (day 30), not before', () => {
    const c = cert(45);
    expect(decideRenewal({ certificate: c, policy, now: t0 + 29 * DAY_MS })).toMatchObject({ due: false, reason: 'lifetime-fraction', renewAt: t0 + 30 * DAY_MS });
    expect(decideRenewal({ certificate: c, policy, now: t0 + 30 * DAY_MS })).toMatchObject({ due: true });
  });

  it('renews a 6-day certificate at half its life', () => {
    expect(decideRenewal({ certificate: cert(6), policy, now: t0 }).renewAt).toBe(t0 + 3 * DAY_MS);
  });

  it('times a certificate longer than the policy by the policy, and says so', () => {
    const d = decideRenewal({ certificate: cert(90), policy, now: t0 });
    expect(d.exceedsPolicy).toBe(true);
    expect(d.renewAt).toBe(t0 + 30 * DAY_MS); // 45-day policy: two thirds in, not day 60
    expect(d.explanation).toMatch(/45-day policy lifetime/);
  });

  it('follows the chosen moment inside the ARI window', () => {
    const c = cert(45);
    const ari = { serialNumber: 'aa', windowStart: t0 + 20 * DAY_MS, windowEnd: t0 + 22 * DAY_MS, chosenAt: t0 + 21 * DAY_MS };
    expect(decideRenewal({ certificate: c, ari, policy, now: t0 + 20 * DAY_MS })).toMatchObject({ due: false, reason: 'ari-window', renewAt: t0 + 21 * DAY_MS });
    expect(decideRenewal({ certificate: c, ari, policy, now: t0 + 21 * DAY_MS }).due).toBe(true);
  });

  it('renews at once when the ARI window is already past (a revoked certificate)', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 + 1 * HOUR, windowEnd: t0 + 2 * HOUR, chosenAt: t0 + 1 * HOUR };
    expect(decideRenewal({ certificate: cert(45), ari, policy, now: t0 + 3 * DAY_MS })).toMatchObject({ due: true, reason: 'ari-window-passed' });
  });

  it('ignores an ARI answer about another serial (the stale answer behind renewal storms)', () => {
    const ari = { serialNumber: 'old', windowStart: t0 - DAY_MS, windowEnd: t0 - HOUR, chosenAt: t0 - DAY_MS };
    expect(decideRenewal({ certificate: cert(45, 'new'), ari, policy, now: t0 + 2 * HOUR })).toMatchObject({ due: false, reason: 'lifetime-fraction' });
  });

  it('never lets an ARI window push renewal near expiry', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 + 44 * DAY_MS, windowEnd: t0 + 45 * DAY_MS, chosenAt: t0 + 44.9 * DAY_MS };
    expect(decideRenewal({ certificate: cert(45), ari, policy, now: t0 }).renewAt).toBe(t0 + 40.5 * DAY_MS);
  });

  it('storm guard: no second order within the minimum interval, even if an open ARI window says now', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 - 2 * HOUR, windowEnd: t0 + 5 * HOUR, chosenAt: t0 - 2 * HOUR };
    const d = decideRenewal({ certificate: cert(6), ari, policy, now: t0 + 60_000 });
    expect(d).toMatchObject({ due: false, reason: 'storm-guard', renewAt: t0 + HOUR });
  });

  it('backs off exponentially after failures, up to the cap', () => {
    const c = cert(45);
    const now = t0 + 31 * DAY_MS;
    const after = (n: number) => decideRenewal({ certificate: c, policy, now, failures: { consecutiveFailures: n, lastFailureAt: now, lastError: 'CA down' } });
    expect(after(1)).toMatchObject({ due: false, reason: 'backoff', renewAt: now + 5 * 60_000 });
    expect(after(3).renewAt).toBe(now + 20 * 60_000);
    expect(after(20).renewAt).toBe(now + 4 * HOUR);
    expect(after(1).explanation).toMatch(/CA down/);
    // Once the backoff has run out, renewal is due again.
    expect(decideRenewal({ certificate: c, policy, now: now + 5 * 60_000, failures: { consecutiveFailures: 1, lastFailureAt: now } }).due).toBe(true);
  });

  it('does not trust a failure recorded in the future (a clock that was ahead)', () => {
    // Recorded at +40 days by a wrong clock; corrected, the renewal due at day 30 goes ahead.
    const c = cert(45);
    const failures = { consecutiveFailures: 3, lastFailureAt: t0 + 40 * DAY_MS, lastError: 'clock was wrong' };
    expect(decideRenewal({ certificate: c, policy, now: t0 + 30 * DAY_MS, failures })).toMatchObject({ due: true, reason: 'lifetime-fraction' });
    expect(decideRenewal({ certificate: c, policy, now: t0 + 29 * DAY_MS, failures })).toMatchObject({ due: false, reason: 'lifetime-fraction', renewAt: t0 + 30 * DAY_MS });
  });

  it('never backs off past the moment the certificate expires', () => {
    const c = cert(45);
    const expires = c.notAfter;
    // Two hours left after the 20th failure: the 4-hour backoff shrinks to half of what is left.
    const d = decideRenewal({ certificate: c, policy, now: expires - 2 * HOUR, failures: { consecutiveFailures: 20, lastFailureAt: expires - 2 * HOUR } });
    expect(d).toMatchObject({ due: false, reason: 'backoff', renewAt: expires - HOUR });
    // A minute at least between tries, however close the end.
    const close = decideRenewal({ certificate: c, policy, now: expires - 30_000, failures: { consecutiveFailures: 20, lastFailureAt: expires - 30_000 } });
    expect(close.renewAt).toBe(expires + 30_000);
    // Already expired: the usual backoff (the site is down either way; the CA's limits still count).
    const expired = decideRenewal({ certificate: c, policy, now: expires + HOUR, failures: { consecutiveFailures: 20, lastFailureAt: expires + HOUR } });
    expect(expired.renewAt).toBe(expires + 5 * HOUR);
  });

  it('orders at once when the config asks for something the certificate was not ordered with', () => {
    const d = decideRenewal({ certificate: cert(45), policy, now: t0 + 60_000, specChange: 'domains changed: +new.example.test' });
    expect(d).toMatchObject({ due: true, reason: 'spec-changed' });
    expect(d.explanation).toMatch(/domains changed: \+new\.example\.test/);
    // A failing new spec backs off like any failure.
    const failures = { consecutiveFailures: 1, lastFailureAt: t0 + 60_000, lastError: 'rejected' };
    expect(decideRenewal({ certificate: cert(45), policy, now: t0 + 120_000, specChange: 'x', failures })).toMatchObject({ due: false, reason: 'backoff' });
  });

  it('backs off for a certificate never issued too (a broken new one must not hit the CA every run)', () => {
    const failures = { consecutiveFailures: 2, lastFailureAt: t0, lastError: 'validation failed' };
    expect(decideRenewal({ policy, now: t0 + 60_000, failures })).toMatchObject({ due: false, reason: 'backoff', renewAt: t0 + 10 * 60_000 });
    expect(decideRenewal({ policy, now: t0 + 10 * 60_000, failures })).toMatchObject({ due: true, reason: 'no-certificate' });
  });

  it("keeps the CA's Retry-After as a floor for the next try", () => {
    const failures = { consecutiveFailures: 1, lastFailureAt: t0, lastError: 'rateLimited', retryNotBefore: t0 + 3 * HOUR };
    const d = decideRenewal({ policy, now: t0 + HOUR, failures });
    expect(d).toMatchObject({ due: false, reason: 'backoff', renewAt: t0 + 3 * HOUR });
    expect(d.explanation).toMatch(/the CA asked to wait until then/);
    expect(decideRenewal({ policy, now: t0 + 3 * HOUR, failures }).due).toBe(true);
  });

  it('picks the ARI moment uniformly inside the window', () => {
    expect(chooseInWindow(100, 200, 0)).toBe(100);
    expect(chooseInWindow(100, 200, 0.999)).toBe(199);
  });
});

describe('decideRenewal: storm guard and ARI (RFC 9773, fake clock)', () => {
  it('never holds back a certificate whose ARI window has closed: revoked, replace at once', () => {
    // Issued a minute ago, revoked: the CA's window lies in the past (Boulder: an hour ago, for 30 minutes).
    const ari = { serialNumber: 'aa', windowStart: t0 - HOUR, windowEnd: t0 - HOUR / 2, chosenAt: t0 - HOUR + 1000 };
    const d = decideRenewal({ certificate: cert(6), ari, policy, now: t0 + 60_000 });
    expect(d).toMatchObject({ due: true, reason: 'ari-window-passed' });
    expect(d.renewAt).toBeLessThanOrEqual(t0 + 60_000);
  });

  it('reports storm-guard only while the guard holds, never after it has passed', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 - 2 * HOUR, windowEnd: t0 + 5 * DAY_MS, chosenAt: t0 + 10 * 60_000 };
    expect(decideRenewal({ certificate: cert(45), ari, policy, now: t0 + 30 * 60_000 })).toMatchObject({ due: false, reason: 'storm-guard' });
    const later = decideRenewal({ certificate: cert(45), ari, policy, now: t0 + 3 * DAY_MS });
    expect(later).toMatchObject({ due: true, reason: 'ari-window' });
    expect(later.explanation).not.toMatch(/minimum renewal interval/);
    // The same for a lifetime schedule shorter than the interval (a policy with a long guard).
    const guarded = { ...policy, minRenewalIntervalMs: 4 * DAY_MS };
    expect(decideRenewal({ certificate: cert(6), policy: guarded, now: t0 + 3.5 * DAY_MS })).toMatchObject({ due: false, reason: 'storm-guard', renewAt: t0 + 4 * DAY_MS });
    expect(decideRenewal({ certificate: cert(6), policy: guarded, now: t0 + 4 * DAY_MS + 1 })).toMatchObject({ due: true, reason: 'lifetime-fraction', renewAt: t0 + 3 * DAY_MS });
  });

  it('carries the CA\'s explanationURL in the decision and its explanation', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 - HOUR, windowEnd: t0 - HOUR / 2, chosenAt: t0 - HOUR, explanationUrl: 'https://ca.test/incident/42' };
    const d = decideRenewal({ certificate: cert(45), ari, policy, now: t0 + 2 * DAY_MS });
    expect(d.explanationUrl).toBe('https://ca.test/incident/42');
    expect(d.explanation).toMatch(/the CA explains: https:\/\/ca\.test\/incident\/42/);
    expect(decideRenewal({ certificate: cert(45), policy, now: t0 }).explanationUrl).toBeUndefined();
  });
});
