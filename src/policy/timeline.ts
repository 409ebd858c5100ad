/**
 * The policy timeline as data: which maximum lifetime was in force on a given day, and so on.
 * The figures live in timeline.json (with their sources); nothing here hard-codes a number.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonAs } from '../config/parse-json.js';
import { ConfigError } from '../errors.js';

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

const validityPhaseSchema = z.object({
  id: z.string(),
  authority: z.string(),
  effective: isoDay,
  maxValidityDays: z.number().int().positive(),
  domainValidationReuseDays: z.number().int().positive(),
  subjectInfoReuseDays: z.number().int().positive(),
  source: z.string(),
});

const timelineSchema = z.object({
  schemaVersion: z.literal(1),
  updated: isoDay,
  description: z.string().optional(),
  validityPhases: z.array(validityPhaseSchema).min(1),
  shortLived: z.array(z.object({ effective: isoDay, maxValidityDays: z.number().int().positive(), source: z.string() })),
  revocationDeadlines: z.array(z.object({ id: z.string(), hours: z.number().positive(), reasons: z.array(z.string()), source: z.string() })),
  caSchedules: z.array(
    z.object({
      ca: z.string(),
      issuerMatch: z.array(z.string()),
      /** The profile a client gets when it asks for none. */
      defaultProfile: z.string().optional(),
      phases: z.array(
        z.object({
          id: z.string(),
          effective: isoDay,
          profile: z.string(),
          validityDays: z.number().int().positive(),
          authorizationReuseHours: z.number().positive(),
          source: z.string(),
        }),
      ),
      /** From this day the CA refuses orders for OCSP Must-Staple certificates (renewals of them fail). */
      mustStapleRejectedFrom: isoDay.optional(),
      /** From this day the CA answers no OCSP requests: anything that staples or checks OCSP breaks. */
      ocspEndedFrom: isoDay.optional(),
      notes: z.array(z.object({ effective: isoDay, text: z.string() })).optional(),
    }),
  ),
  /** Lifetimes the report checks every automated renewal schedule against (47, 45 and 6 days). */
  cadenceLifetimes: z
    .array(z.object({ id: z.string(), hours: z.number().positive(), label: z.string(), source: z.string() }))
    .optional(),
});

export type PolicyTimeline = z.infer<typeof timelineSchema>;
export type ValidityPhase = z.infer<typeof validityPhaseSchema>;
export type CaSchedule = PolicyTimeline['caSchedules'][number];
export type CaPhase = CaSchedule['phases'][number];
export type CadenceLifetime = NonNullable<PolicyTimeline['cadenceLifetimes']>[number];

let shipped: PolicyTimeline | undefined;

/** The timeline shipped with certfleet. */
export function shippedTimeline(): PolicyTimeline {
  shipped ??= parseTimeline(readFileSync(new URL('./timeline.json', import.meta.url), 'utf8'), 'the shipped timeline.json');
  return shipped;
}

/** A user's own timeline file (JSON), validated with messages that name the bad key. */
export function loadTimelineFile(path: string): PolicyTimeline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read policy timeline ${path}: ${(err as Error).message}`);
  }
  return parseTimeline(text, path);
}

export function parseTimeline(text: string, name: string): PolicyTimeline {
  const data = parseJsonAs(text, timelineSchema, name);
  const phases = [...data.validityPhases].sort((a, b) => a.effective.localeCompare(b.effective));
  return { ...data, validityPhases: phases };
}

/** The phase in force for a certificate issued at `at` (its notBefore), or undefined before the first. */
export function validityPhaseAt(timeline: PolicyTimeline, at: Date | string): ValidityPhase | undefined {
  const day = (typeof at === 'string' ? at : at.toISOString()).slice(0, 10);
  let found: ValidityPhase | undefined;
  for (const phase of timeline.validityPhases) {
    if (phase.effective <= day) found = phase;
    else break;
  }
  return found;
}
