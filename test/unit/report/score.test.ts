import { describe, expect, it } from 'vitest';
import { score, scoreParts, scoreWeights, type ScoreInputs } from '../../../src/report/score.js';

const base: ScoreInputs = { inScope: 10, breaking: 0, automated: 10, cadenceCredit: 10, dcvExposed: true, names: 20, exposedNames: 0, revocation: 1 };

describe('readiness score', () => {
  it('weights add up to 100, and a fleet with nothing wrong scores 100', () => {
    expect(Object.values(scoreWeights).reduce((a, b) => a + b, 0)).toBe(100);
    expect(score(base)).toBe(100);
  });

  it('no certificate in scope scores 100', () => {
    expect(score({ ...base, inScope: 0, automated: 0, cadenceCredit: 0, names: 0 })).toBe(100);
  });

  it('follows the formula part by part', () => {
    // 4 of 10 break (35*0.6=21), 5 automated (12.5), their credit 4 of 5 (12), 5 of 20 names exposed (7.5), revocation 0.5 (7.5)
    const parts = scoreParts({ inScope: 10, breaking: 4, automated: 5, cadenceCredit: 4, dcvExposed: true, names: 20, exposedNames: 5, revocation: 0.5 });
    expect(parts).toEqual({ lifetime: 21, automation: 12.5, cadence: 12, dcvReuse: 7.5, revocation: 7.5 });
    expect(score({ inScope: 10, breaking: 4, automated: 5, cadenceCredit: 4, dcvExposed: true, names: 20, exposedNames: 5, revocation: 0.5 })).toBe(61);
  });

  it('validation reuse costs nothing while a validation still covers the next issuance', () => {
    expect(scoreParts({ ...base, dcvExposed: false, exposedNames: 20 }).dcvReuse).toBe(10);
  });

  it('a fleet renewed entirely by hand earns no cadence points', () => {
    expect(scoreParts({ ...base, automated: 0, cadenceCredit: 0 }).cadence).toBe(0);
  });
});
