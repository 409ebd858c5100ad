/**
 * `renew --metrics-file`: the run and each managed certificate as Prometheus gauges, for
 * node_exporter's textfile collector. Names follow cert-manager's (certmanager_certificate_*):
 * timestamps in Unix seconds, one `name` label (the managed certificate's name). A fact that is not
 * known (no certificate yet, no ARI window, no failure since the last success) has no sample,
 * rather than a 0 an alert would read as 1970.
 */
import type { CertificateMetrics, RenewMetrics } from '../../renewal/metrics.js';
import { family, sample } from './prometheus-text.js';

const perCertificate: Array<{ name: string; help: string; value: (c: CertificateMetrics) => number | undefined }> = [
  { name: 'certfleet_certificate_expiration_timestamp_seconds', help: 'notAfter of the current certificate (Unix time).', value: (c) => seconds(c.notAfter) },
  { name: 'certfleet_certificate_not_before_timestamp_seconds', help: 'notBefore of the current certificate (Unix time).', value: (c) => seconds(c.notBefore) },
  { name: 'certfleet_certificate_renewal_timestamp_seconds', help: 'When the next renewal is due, as decided by this run (Unix time).', value: (c) => seconds(c.nextRenewalAt) },
  { name: 'certfleet_certificate_last_success_timestamp_seconds', help: 'When a renewal last succeeded: issued, deployed and verified (Unix time).', value: (c) => seconds(c.lastSuccessAt) },
  { name: 'certfleet_certificate_last_failure_timestamp_seconds', help: 'When the latest of the current run of failures happened (Unix time); absent after a success.', value: (c) => seconds(c.lastFailureAt) },
  { name: 'certfleet_certificate_consecutive_failures', help: 'Failed renewal attempts since the last success.', value: (c) => c.consecutiveFailures },
  { name: 'certfleet_certificate_ari_window_start_timestamp_seconds', help: "Start of the CA's suggested renewal window (RFC 9773 ARI) for the current certificate (Unix time).", value: (c) => seconds(c.ariWindow?.start) },
  { name: 'certfleet_certificate_ari_window_end_timestamp_seconds', help: "End of the CA's suggested renewal window (RFC 9773 ARI) for the current certificate (Unix time).", value: (c) => seconds(c.ariWindow?.end) },
];

export function* renderRenewMetrics(m: RenewMetrics): Iterable<string> {
  yield family('certfleet_renew_run_timestamp_seconds', 'When the last certfleet renew run started (Unix time).');
  yield sample('certfleet_renew_run_timestamp_seconds', {}, seconds(m.runStartedAt)!);
  yield family('certfleet_renew_run_duration_seconds', 'How long the last certfleet renew run took.');
  yield sample('certfleet_renew_run_duration_seconds', {}, m.runDurationMs / 1000);
  for (const metric of perCertificate) {
    const samples = m.certificates.flatMap((c) => {
      const value = metric.value(c);
      return value === undefined ? [] : [sample(metric.name, { name: c.name }, value)];
    });
    // A family with no samples is left out whole: promtool and the collector accept either, and it reads cleaner.
    if (samples.length === 0) continue;
    yield family(metric.name, metric.help);
    yield* samples;
  }
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms / 1000);
}
