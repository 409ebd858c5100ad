/**
 * The readiness score of one deadline, 0-100: five parts, each a share (0-1) times its weight.
 *
 *   lifetime    35  1 - (certificates that will break at the deadline: renewed by hand and over
 *                   the maximum, or depending on a CA feature that is gone) / in scope
 *   automation  25  automated / in scope
 *   cadence     15  mean schedule credit of the automated ones at this lifetime
 *                   (ok 1, wasteful 0.75, tight 0.5, fails or storm 0); 0 when none is automated
 *   dcvReuse    10  1 - names validated by hand / names, when every issuance needs a fresh
 *                   validation (reuse period shorter than the renewal interval); else 1
 *   revocation  15  the fleet's revocation readiness (revocation.ts), the same for every deadline
 *
 * No certificate in scope scores 100. The weights say what matters most when lifetimes shrink:
 * a certificate nobody renews in time is an outage; the rest is how close the others run to one.
 */
import type { ScoreParts } from './model.js';

export const scoreWeights: ScoreParts = { lifetime: 35, automation: 25, cadence: 15, dcvReuse: 10, revocation: 15 };

export interface ScoreInputs {
  inScope: number;
  /** Certificates that break at the deadline for lifetime or CA-feature reasons (schedules are in `cadenceCredit`). */
  breaking: number;
  automated: number;
  /** Sum of the automated certificates' cadence credits. */
  cadenceCredit: number;
  dcvExposed: boolean;
  names: number;
  exposedNames: number;
  /** 0-1 */
  revocation: number;
}

export function scoreParts(s: ScoreInputs): ScoreParts {
  if (s.inScope === 0) return { ...scoreWeights };
  const share = {
    lifetime: 1 - s.breaking / s.inScope,
    automation: s.automated / s.inScope,
    cadence: s.automated > 0 ? s.cadenceCredit / s.automated : 0,
    dcvReuse: s.dcvExposed && s.names > 0 ? 1 - s.exposedNames / s.names : 1,
    revocation: s.revocation,
  };
  const parts = {} as ScoreParts;
  for (const key of Object.keys(scoreWeights) as Array<keyof ScoreParts>) parts[key] = round1(scoreWeights[key] * clamp01(share[key]));
  return parts;
}

export function totalScore(parts: ScoreParts): number {
  return Math.round(parts.lifetime + parts.automation + parts.cadence + parts.dcvReuse + parts.revocation);
}

export function score(s: ScoreInputs): number {
  return totalScore(scoreParts(s));
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
