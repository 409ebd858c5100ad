/**
 * Revocation readiness: could the fleet be replaced within the Baseline Requirements' revocation
 * deadlines (24 hours, 5 days) if its CA had an incident? Measured by the last drill and projected
 * to the whole fleet at the drill's throughput; without a drill, nothing is measured and only the
 * automated share is credited. Dependencies on OCSP (Must-Staple, CAs that turned OCSP off) count
 * against it: they break when the CA's OCSP is gone, incident or not.
 */
import type { PolicyTimeline } from '../policy/timeline.js';
import type { Assessed } from './classify.js';
import { hours } from './cadence.js';
import type { DrillSummary } from './inputs.js';
import type { OcspDependency, RevocationReadiness } from './model.js';

export function assessRevocation(fleet: Assessed[], drill: DrillSummary | undefined, timeline: PolicyTimeline, asOf: Date): RevocationReadiness {
  const day = asOf.toISOString().slice(0, 10);
  const deadlines = [...timeline.revocationDeadlines].sort((a, b) => a.hours - b.hours).map((d) => ({ id: d.id, hours: d.hours }));
  const inScope = fleet.filter((a) => a.cert.inScope);
  const n = inScope.length;
  const automatedCount = inScope.filter((a) => a.cert.automation !== 'manual').length;
  const counts = { automated: automatedCount, manual: n - automatedCount };
  const reasons: string[] = [];

  const ocspDependencies: OcspDependency[] = [];
  for (const { cert: c } of inScope) {
    const schedule = c.ca ? timeline.caSchedules.find((s) => s.ca === c.ca) : undefined;
    const base = { fingerprintSha256: c.fingerprintSha256, name: c.name };
    if (c.mustStaple) {
      ocspDependencies.push({ ...base, kind: 'must-staple', reason: 'OCSP Must-Staple: clients refuse it without a fresh stapled OCSP response, which a CA without OCSP cannot give' });
    } else if (c.hasOcspUrl && schedule?.ocspEndedFrom && schedule.ocspEndedFrom <= day) {
      ocspDependencies.push({ ...base, kind: 'ocsp-ended', reason: `names an OCSP responder, but ${schedule.issuerMatch[0] ?? schedule.ca} turned OCSP off on ${schedule.ocspEndedFrom}: stapling and OCSP checks for it fail` });
    }
  }

  const projectedHours: RevocationReadiness['projectedHours'] = { automated: null, manual: null, fleet: null };
  const fleetWithin: Record<string, number> = {};
  const result: RevocationReadiness = { deadlines, projectedHours, fleetWithin, ocspDependencies, readiness: 1, reasons };
  if (n === 0) {
    for (const d of deadlines) fleetWithin[d.id] = 1;
    reasons.push('no certificate in scope');
    return result;
  }

  if (drill && drill.certificates.length > 0) {
    const drilled = drill.certificates;
    const replacedWithin: Record<string, number> = {};
    for (const d of deadlines) replacedWithin[d.id] = share(drilled.filter((c) => c.secondsToReplace !== null && c.secondsToReplace <= d.hours * 3600).length, drilled.length);
    const notReplaced = drilled.filter((c) => c.secondsToReplace === null).length;
    const drilledAutomated = drilled.filter((c) => c.automated).length;
    result.drill = {
      startedAt: drill.startedAt,
      finishedAt: drill.finishedAt,
      certificates: drilled.length,
      shareAutomated: drill.shareAutomated ?? share(drilledAutomated, drilled.length),
      replacedWithin,
      notReplaced,
    };
    if (drill.id !== undefined) result.drill.id = drill.id;

    // Each class (machines, people) at its own measured throughput; the two work in parallel.
    for (const cls of ['automated', 'manual'] as const) {
      const sample = drilled.filter((c) => c.automated === (cls === 'automated'));
      if (counts[cls] === 0) projectedHours[cls] = 0;
      else if (sample.length === 0) reasons.push(`no ${cls} certificate was drilled: the ${counts[cls]} ${cls} ones are not measured`);
      else if (sample.some((c) => c.secondsToReplace === null)) reasons.push(`${sample.filter((c) => c.secondsToReplace === null).length} ${cls} certificates were not replaced during the drill`);
      else {
        const slowest = sample.reduce((max, c) => Math.max(max, c.secondsToReplace ?? 0), 0);
        projectedHours[cls] = round2((slowest * Math.max(1, counts[cls] / sample.length)) / 3600);
      }
    }
    if (projectedHours.automated !== null && projectedHours.manual !== null) projectedHours.fleet = Math.max(projectedHours.automated, projectedHours.manual);
    for (const d of deadlines) {
      let done = 0;
      for (const cls of ['automated', 'manual'] as const) {
        const p = projectedHours[cls];
        if (p !== null && p <= d.hours) done += counts[cls];
      }
      fleetWithin[d.id] = share(done, n);
    }
    const fleet = projectedHours.fleet;
    reasons.unshift(
      fleet === null
        ? `the last drill (${drill.startedAt.slice(0, 10)}) does not cover the whole fleet`
        : `the last drill (${drill.startedAt.slice(0, 10)}) projects ${hours(fleet)} to replace all ${n} certificates (${deadlines.map((d) => `${d.id}: ${fleet <= d.hours ? 'met' : 'missed'}`).join(', ')})`,
    );
  } else {
    // Unmeasured: automation could plausibly replace its certificates within the longest deadline; nothing is credited for the shorter ones.
    const longest = deadlines[deadlines.length - 1]?.id;
    for (const d of deadlines) fleetWithin[d.id] = d.id === longest ? share(counts.automated, n) : 0;
    reasons.push(`no revocation drill recorded: nothing is measured (credited: the ${counts.automated} automated of ${n} certificates within ${longest ?? 'the longest deadline'})`);
  }

  const within = deadlines.length ? deadlines.reduce((sum, d) => sum + (fleetWithin[d.id] ?? 0), 0) / deadlines.length : 1;
  if (ocspDependencies.length > 0) reasons.push(`${ocspDependencies.length} certificate${ocspDependencies.length === 1 ? ' depends' : 's depend'} on OCSP (Must-Staple, or a CA that turned OCSP off)`);
  result.readiness = round2(within * (1 - ocspDependencies.length / n));
  return result;
}

function share(part: number, whole: number): number {
  return whole === 0 ? 0 : round2(part / whole);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
