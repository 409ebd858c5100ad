/**
 * Prometheus text exposition format (0.0.4), for node_exporter's textfile collector: write it
 * with `--output /var/lib/node_exporter/textfile/certfleet.prom` (atomically, as the collector
 * needs) from a timer. Gauges only, in base units (seconds); no timestamps (the collector
 * refuses them). Every family has HELP and TYPE and its samples together.
 */
import type { ReadinessReport } from '../../report/model.js';
import { family, sample, type Labels } from './prometheus-text.js';

export { labelValue } from './prometheus-text.js';

export function* renderReportPrometheus(r: ReadinessReport): Iterable<string> {
  const seconds = (iso: string) => Math.round(Date.parse(iso) / 1000);
  yield family('certfleet_report_as_of_timestamp_seconds', 'The day the report evaluated the fleet as of (Unix time).');
  yield sample('certfleet_report_as_of_timestamp_seconds', {}, seconds(r.asOf));

  yield family('certfleet_certificates', 'Certificates in scope of the lifetime rules, by who renews them.');
  const f = r.fleet;
  yield sample('certfleet_certificates', { automation: 'managed' }, f.automated.managed);
  yield sample('certfleet_certificates', { automation: 'acme-client' }, f.automated.acmeClient);
  yield sample('certfleet_certificates', { automation: 'manual' }, f.manual.keystoreOnly + f.manual.endpointOnly + f.manual.notManaged);

  const certLabels = (c: ReadinessReport['certificates'][number]): Labels => ({
    fingerprint: c.fingerprintSha256,
    name: c.name,
    issuer: c.issuer,
    automation: c.automation,
  });
  yield family('certfleet_certificate_expiry_timestamp_seconds', 'notAfter of each certificate (Unix time).');
  for (const c of r.certificates) yield sample('certfleet_certificate_expiry_timestamp_seconds', certLabels(c), seconds(c.notAfter));
  yield family('certfleet_certificate_lifetime_seconds', 'Validity period of each certificate, notAfter - notBefore + 1 s.');
  for (const c of r.certificates) {
    yield sample('certfleet_certificate_lifetime_seconds', { fingerprint: c.fingerprintSha256, name: c.name }, (Date.parse(c.notAfter) - Date.parse(c.notBefore)) / 1000 + 1);
  }

  yield family('certfleet_findings', 'Inventory findings on certificates and keys, by finding id and severity.');
  for (const x of r.findings) yield sample('certfleet_findings', { id: x.id, severity: x.severity }, x.count);

  yield family('certfleet_deadline_readiness_score', 'Readiness score (0-100) per lifetime deadline.');
  for (const d of r.deadlines) yield sample('certfleet_deadline_readiness_score', { deadline: d.id, authority: d.authority, effective: d.effective }, d.score);
  yield family('certfleet_deadline_effective_timestamp_seconds', 'When each deadline takes effect (Unix time).');
  for (const d of r.deadlines) yield sample('certfleet_deadline_effective_timestamp_seconds', { deadline: d.id }, seconds(`${d.effective}T00:00:00Z`));
  yield family('certfleet_deadline_breaking_certificates', 'Certificates that will break at each deadline if nothing changes, by who renews them.');
  for (const d of r.deadlines) {
    const manual = d.violating.filter((v) => v.blocking && v.automation === 'manual').length;
    yield sample('certfleet_deadline_breaking_certificates', { deadline: d.id, automation: 'manual' }, manual);
    yield sample('certfleet_deadline_breaking_certificates', { deadline: d.id, automation: 'automated' }, d.counts.blocking - manual);
  }

  yield family('certfleet_revocation_readiness_ratio', 'Revocation readiness (0-1): share of the fleet projected to be replaced within the revocation deadlines, less OCSP dependencies.');
  yield sample('certfleet_revocation_readiness_ratio', {}, r.revocation.readiness);
  if (r.revocation.projectedHours.fleet !== null) {
    yield family('certfleet_revocation_projected_replacement_seconds', 'Projected time to replace every certificate, from the last drill.');
    yield sample('certfleet_revocation_projected_replacement_seconds', {}, Math.round(r.revocation.projectedHours.fleet * 3600));
  }
  if (r.rateBudget?.cas.length) {
    yield family('certfleet_rate_budget_replacement_seconds', "Time to order a new certificate for every configured one at its CA's rate limits, from what is left of the budget now.");
    for (const ca of r.rateBudget.cas) yield sample('certfleet_rate_budget_replacement_seconds', { ca: ca.ca }, Math.round(ca.hours * 3600));
    yield family('certfleet_rate_budget_certificates', 'Configured certificates per CA with rate limits.');
    for (const ca of r.rateBudget.cas) yield sample('certfleet_rate_budget_certificates', { ca: ca.ca }, ca.certificates);
  }
}
