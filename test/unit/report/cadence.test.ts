import { describe, expect, it } from 'vitest';
import { describeSchedule, dueAtHours, evaluateCadence, scheduleOfManaged } from '../../../src/report/cadence.js';
import type { EffectiveSchedule } from '../../../src/report/model.js';

const D = 24;
const schedule = (s: Partial<EffectiveSchedule>): EffectiveSchedule => ({ runIntervalMinutes: 60, usesAri: false, client: 'test', assumed: false, ...s });

describe('renewal cadence at a lifetime', () => {
  it('hourly at two thirds works at 47, 45 and 6 days', () => {
    for (const life of [47 * D, 45 * D, 160]) expect(evaluateCadence(schedule({}), life).verdict).toBe('ok');
  });

  it('renews at half the lifetime for 10 days or less, two thirds above (certbot, lego, cert-manager)', () => {
    expect(dueAtHours(schedule({}), 160)).toBe(80);
    expect(dueAtHours(schedule({}), 90 * D)).toBeCloseTo(60 * D);
  });

  it('"30 days before expiry" renews at every run at 6 days (storm) and wastes orders at 45 days', () => {
    const fixed = schedule({ fixedDaysBeforeExpiry: 30, runIntervalMinutes: 1440 });
    const storm = evaluateCadence(fixed, 160);
    expect(storm.verdict).toBe('storm');
    expect(storm.reason).toContain('30 days before expiry');
    expect(evaluateCadence(fixed, 45 * D)).toMatchObject({ verdict: 'wasteful', dueAtHours: 15 * D });
    expect(evaluateCadence(fixed, 90 * D).verdict).toBe('ok');
  });

  it('"30 days after issuance" expires before renewal at 6 days', () => {
    const r = evaluateCadence(schedule({ fixedDaysAfterIssuance: 30, runIntervalMinutes: 1440 }), 160);
    expect(r.verdict).toBe('fails');
    expect(r.marginHours).toBeLessThan(0);
  });

  it('a daily run at two thirds of 6 days leaves two runs: tight; a weekly run can miss the window entirely', () => {
    const daily = evaluateCadence(schedule({ runIntervalMinutes: 1440, renewAtFraction: 2 / 3 }), 160);
    expect(daily.verdict).toBe('tight');
    expect(daily.reason).toMatch(/only 2 runs/);
    expect(evaluateCadence(schedule({ runIntervalMinutes: 7 * 1440 }), 160).verdict).toBe('fails');
  });

  it('ARI takes precedence over fixed days, but the fixed fallback is still called out', () => {
    const s = schedule({ usesAri: true, fixedDaysBeforeExpiry: 30 });
    const r = evaluateCadence(s, 160);
    expect(r.verdict).toBe('ok');
    expect(r.reason).toContain('counts fixed days when the CA offers no ARI');
  });

  it('managed state without a run interval assumes a daily run and says so', () => {
    const s = scheduleOfManaged({ name: 'x', domains: ['x.test'], schedule: { usesAri: true }, challenge: { type: 'http-01' } });
    expect(s).toMatchObject({ runIntervalMinutes: 1440, assumed: true, client: 'certfleet renew' });
    expect(describeSchedule(s)).toContain('(assumed)');
  });
});
