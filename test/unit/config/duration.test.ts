/** The one duration rule: config durations carry a unit; flags read a bare number as seconds. */
import { describe, expect, it } from 'vitest';
import { duration, durationMs, durationProblem, parseDuration, parseDurationFlag } from '../../../src/config/duration.js';
import { UsageError } from '../../../src/errors.js';

const issue = (value: unknown) => {
  const r = durationMs.safeParse(value);
  if (r.success) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return r.error.issues.map((i) => i.message).join('\n');
};

describe('config durations', () => {
  it('reads strings with a unit', () => {
    expect(durationMs.parse('500ms')).toBe(500);
    expect(durationMs.parse('5s')).toBe(5000);
    expect(durationMs.parse('1.5s')).toBe(1500);
    expect(durationMs.parse('2m')).toBe(120_000);
    expect(durationMs.parse('1h')).toBe(3_600_000);
    expect(duration.parse('2m')).toBe('2m');
    expect(parseDuration('2m')).toBe(120_000);
  });

  it('refuses a bare number instead of reading it as milliseconds, and says what to write', () => {
    expect(issue(5)).toBe('5 has no unit: write 5s or 5000ms');
    expect(issue('5')).toBe('5 has no unit: write 5s or 5000ms');
    expect(issue(5000)).toBe('5000 has no unit: write 5000ms or 5s');
    expect(issue(1500)).toBe('1500 has no unit: write 1500ms or 1.5s');
    expect(issue(250)).toBe('250 has no unit: write 250ms or 250s');
    expect(duration.safeParse(30).success).toBe(false);
  });

  it('refuses what is no duration at all', () => {
    for (const bad of ['soon', '5 minutes', '5S', '', 0, -1, true, null]) expect(issue(bad)).toMatch(/a duration such as 5s/);
    expect(durationProblem('5s')).toBeUndefined();
  });
});

describe('duration flags', () => {
  it('reads a bare number as seconds, and a unit as written', () => {
    expect(parseDurationFlag('--lock-wait', '30')).toBe(30_000);
    expect(parseDurationFlag('--lock-wait', '0')).toBe(0);
    expect(parseDurationFlag('--lock-wait', '1.5')).toBe(1500);
    expect(parseDurationFlag('--lock-wait', '250ms')).toBe(250);
    expect(parseDurationFlag('--lock-wait', '2m')).toBe(120_000);
  });

  it('is a usage error naming the flag', () => {
    expect(() => parseDurationFlag('--lock-wait', 'soon')).toThrow(UsageError);
    expect(() => parseDurationFlag('--lock-wait', 'soon')).toThrow(/--lock-wait takes a duration such as 10s/);
  });
});
