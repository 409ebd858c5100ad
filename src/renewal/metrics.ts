/**
 * What `renew --metrics-file` exports, as data: per managed certificate the facts a dashboard or an
 * alert needs (expiry, next renewal, last success and failure, the CA's ARI window), read after the
 * run from its outcomes and the state directory, plus the run's own time and duration. Rendering
 * it as Prometheus text is the CLI's job (src/cli/render/renew-metrics.ts). Times in Unix ms.
 */
import { CertificateStore } from '../store/certificate-store.js';
import type { RenewSettings } from './managed.js';
import type { RenewRunResult } from './run.js';

export interface CertificateMetrics {
  name: string;
  notBefore?: number;
  notAfter?: number;
  /** The next renewal (the decision's time after this run). */
  nextRenewalAt?: number;
  lastSuccessAt?: number;
  /** Known only while failures are counted (a success clears them). */
  lastFailureAt?: number;
  consecutiveFailures: number;
  ariWindow?: { start: number; end: number };
}

export interface RenewMetrics {
  runStartedAt: number;
  runDurationMs: number;
  certificates: CertificateMetrics[];
}

export async function collectRenewMetrics(settings: RenewSettings, result: RenewRunResult, warn: (message: string) => void): Promise<RenewMetrics> {
  const store = new CertificateStore(settings.stateDir);
  const certificates: CertificateMetrics[] = [];
  for (const outcome of result.certificates) {
    const state = await store.loadStateReadOnly(outcome.name, warn);
    const current = await store.current(outcome.name).catch(() => undefined);
    const v = current?.version;
    const m: CertificateMetrics = { name: outcome.name, consecutiveFailures: state.failures?.consecutiveFailures ?? 0 };
    if (v) {
      m.notBefore = Date.parse(v.notBefore);
      m.notAfter = Date.parse(v.notAfter);
    }
    const next = outcome.nextRenewalAt ? Date.parse(outcome.nextRenewalAt) : NaN;
    if (!Number.isNaN(next)) m.nextRenewalAt = next;
    // State written before lastSuccessAt existed: the current version is what the last success
    // put in place, and it was issued at the start of that renewal.
    const success = state.lastSuccessAt ?? v?.issuedAt;
    if (success && !Number.isNaN(Date.parse(success))) m.lastSuccessAt = Date.parse(success);
    if (state.failures && state.failures.consecutiveFailures > 0) m.lastFailureAt = state.failures.lastFailureAt;
    // An answer about another serial is stale (the decision ignores it too).
    if (state.ari && v && state.ari.serialNumber === v.serialNumber) m.ariWindow = { start: state.ari.windowStart, end: state.ari.windowEnd };
    certificates.push(m);
  }
  return { runStartedAt: Date.parse(result.startedAt), runDurationMs: result.summary.durationMs, certificates };
}
