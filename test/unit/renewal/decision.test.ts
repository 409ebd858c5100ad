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

  it('storm guard: no second order within the minimum interval, even if ARI says now', () => {
    const ari = { serialNumber: 'aa', windowStart: t0 - 2 * HOUR, windowEnd: t0 - HOUR, chosenAt: t0 - 2 * HOUR };
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

  it('picks the ARI moment uniformly inside the window', () => {
    expect(chooseInWindow(100, 200, 0)).toBe(100);
    expect(chooseInWindow(100, 200, 0.999)).toBe(199);
  });
});
