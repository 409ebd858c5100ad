/**
 * One row per certificate, with a column per deadline saying what happens to it there: for a
 * spreadsheet owner chasing the manual tail, or a join with a CMDB.
 *   (empty)          the deadline does not apply to it
 *   ok               nothing to do
 *   shorter          automated; the CA issues it shorter and its schedule copes
 *   breaks:lifetime | breaks:cadence | breaks:must-staple   what breaks
 *   cadence:…        automated and not breaking, but its schedule is tight or wasteful there
 */
import { deadlineCovers } from '../../report/deadlines.js';
import type { ReadinessReport } from '../../report/model.js';
import { csvRow } from './csv.js';

const fixed = [
  'fingerprintSha256', 'name', 'names', 'subject', 'issuer', 'ca', 'profile', 'notBefore', 'notAfter', 'lifetimeDays', 'inScope',
  'automation', 'automationDetail', 'manualReason', 'place', 'nextIssuance', 'findings',
];

export function* renderReportCsv(r: ReadinessReport): Iterable<string> {
  yield csvRow([...fixed, ...r.deadlines.map((d) => d.id)]);
  const violating = r.deadlines.map((d) => new Map(d.violating.map((v) => [v.fingerprintSha256, v])));
  const cadence = r.deadlines.map((d) => new Map(d.cadence.problems.flatMap((p) => (p.fingerprintSha256 ? [[p.fingerprintSha256, p.verdict] as const] : []))));
  for (const c of r.certificates) {
    const status = r.deadlines.map((d, i) => {
      if (!deadlineCovers(d, c)) return '';
      const v = violating[i]!.get(c.fingerprintSha256);
      if (v?.blocking) return `breaks:${v.kind}`;
      const verdict = cadence[i]!.get(c.fingerprintSha256);
      if (verdict) return `cadence:${verdict}`;
      return v ? 'shorter' : 'ok';
    });
    yield csvRow([
      c.fingerprintSha256, c.name, c.names.join(' '), c.subject, c.issuer, c.ca, c.profile, c.notBefore, c.notAfter, c.lifetimeDays, c.inScope,
      c.automation, c.automationDetail, c.manualReason, c.place, c.nextIssuance, c.findings.map((f) => f.id).join(' '), ...status,
    ]);
  }
}
