/**
 * Which deadlines a report lists at `asOf`: every CA/Browser Forum validity phase in force on or
 * after that day (the one in force at asOf included, those already replaced before it left out),
 * and the same for each CA schedule's profiles, when at least one certificate in scope is from
 * that CA with that profile.
 */
import type { PolicyTimeline } from '../policy/timeline.js';
import type { Assessed } from './classify.js';
import type { AssessedCertificate, DeadlineReport } from './model.js';

/** Whether a deadline applies to a certificate: every leaf in scope, or for a CA's schedule, its certificates with that profile. */
export function deadlineCovers(d: { ca?: string; profile?: string }, c: AssessedCertificate): boolean {
  return c.inScope && (d.ca === undefined || (c.ca === d.ca && c.profile === d.profile));
}

/** What the report says of a deadline (DeadlineReport's own fields), plus what evaluating it needs. */
export interface DeadlineSpec extends Pick<DeadlineReport, 'id' | 'authority' | 'ca' | 'profile' | 'effective' | 'inForce' | 'maxValidityDays' | 'source'> {
  dcvReuseHours: number;
  /** From this day the CA refuses Must-Staple orders (CA schedules only). */
  mustStapleRejectedFrom?: string;
  appliesTo(a: Assessed): boolean;
}

/** Indexes (into a list sorted by date) of the entries still relevant at `day`: the one in force and all later. */
function currentAndLater<T extends { effective: string }>(sorted: T[], day: string): Array<{ entry: T; inForce: boolean }> {
  let inForce = -1;
  sorted.forEach((p, i) => {
    if (p.effective <= day) inForce = i;
  });
  return sorted.slice(Math.max(inForce, 0)).map((entry, i) => ({ entry, inForce: inForce >= 0 && i === 0 }));
}

export function deadlinesAt(timeline: PolicyTimeline, asOf: Date, certificates: Assessed[]): DeadlineSpec[] {
  const day = asOf.toISOString().slice(0, 10);
  const specs: DeadlineSpec[] = [];
  const phases = [...timeline.validityPhases].sort((a, b) => a.effective.localeCompare(b.effective));
  for (const { entry: p, inForce } of currentAndLater(phases, day)) {
    specs.push({
      id: p.id,
      authority: p.authority,
      effective: p.effective,
      inForce,
      maxValidityDays: p.maxValidityDays,
      dcvReuseHours: p.domainValidationReuseDays * 24,
      source: p.source,
      appliesTo: (a) => deadlineCovers({}, a.cert),
    });
  }

  for (const schedule of timeline.caSchedules) {
    const profilesInUse = new Set(certificates.filter((a) => a.cert.inScope && a.cert.ca === schedule.ca).map((a) => a.cert.profile));
    const byProfile = new Map<string, typeof schedule.phases>();
    for (const p of schedule.phases) byProfile.set(p.profile, [...(byProfile.get(p.profile) ?? []), p]);
    for (const [profile, list] of byProfile) {
      if (!profilesInUse.has(profile)) continue;
      const sorted = [...list].sort((a, b) => a.effective.localeCompare(b.effective));
      for (const { entry: p, inForce } of currentAndLater(sorted, day)) {
        const spec: DeadlineSpec = {
          id: p.id,
          authority: schedule.issuerMatch[0] ?? schedule.ca,
          ca: schedule.ca,
          profile,
          effective: p.effective,
          inForce,
          maxValidityDays: p.validityDays,
          dcvReuseHours: p.authorizationReuseHours,
          source: p.source,
          appliesTo: (a) => deadlineCovers({ ca: schedule.ca, profile }, a.cert),
        };
        if (schedule.mustStapleRejectedFrom) spec.mustStapleRejectedFrom = schedule.mustStapleRejectedFrom;
        specs.push(spec);
      }
    }
  }
  // By date; on the same day the industry-wide rule first.
  return specs.sort((a, b) => a.effective.localeCompare(b.effective) || Number(a.ca !== undefined) - Number(b.ca !== undefined) || a.id.localeCompare(b.id));
}
