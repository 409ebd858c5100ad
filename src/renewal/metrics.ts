/**
 * What `renew --metrics-file` exports, as data: per managed certificate the facts a dashboard or an
 * alert needs (expiry, next renewal, last success and failure, the CA's ARI window), read after the
 * run from its outcomes and the state store (either one), plus the run's own time and duration. Rendering
 * it as Prometheus text is the CLI's job (src/cli/render/renew-metrics.ts). Times in Unix ms.
 */
import type { CertificateRecords } from '../store/ports.js';
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

/**
 * `store`: the configured store's certificate records, read only. A run on the shared store lists
 * only the certificates it looked at (`summary.notListed` counts the others, whose next look has
 * not come): those are read from the store too, with the next renewal their schedule holds, so no
 * certificate's series vanishes from the file because its turn had not come.
 */
export async function collectRenewMetrics(
  store: Pick<CertificateRecords, 'loadStateReadOnly' | 'current' | 'names' | 'schedules'>,
  result: RenewRunResult,
  warn: (message: string) => void,
): Promise<RenewMetrics> {
  const certificates: CertificateMetrics[] = [];
  for (const outcome of result.certificates) certificates.push(await certificateMetrics(store, outcome.name, outcome.nextRenewalAt, warn));
  if (result.summary.notListed) {
    const listed = new Set(result.certificates.map((o) => o.name));
    const schedules = await store.schedules();
    for (const name of await store.names()) {
      if (!listed.has(name)) certificates.push(await certificateMetrics(store, name, schedules.get(name)?.outcome.nextRenewalAt, warn));
    }
  }
  return { runStartedAt: Date.parse(result.startedAt), runDurationMs: result.summary.durationMs, certificates };
}

async function certificateMetrics(store: Pick<CertificateRecords, 'loadStateReadOnly' | 'current'>, name: string, nextRenewalAt: string | undefined, warn: (message: string) => void): Promise<CertificateMetrics> {
  const state = await store.loadStateReadOnly(name, warn);
  const current = await store.current(name).catch(() => undefined);
  const v = current?.version;
  const m: CertificateMetrics = { name, consecutiveFailures: state.failures?.consecutiveFailures ?? 0 };
  if (v) {
    m.notBefore = Date.parse(v.notBefore);
    m.notAfter = Date.parse(v.notAfter);
  }
  const next = nextRenewalAt ? Date.parse(nextRenewalAt) : NaN;
  if (!Number.isNaN(next)) m.nextRenewalAt = next;
  // State written before lastSuccessAt existed: the current version is what the last success
  // put in place, and it was issued at the start of that renewal.
  const success = state.lastSuccessAt ?? v?.issuedAt;
  if (success && !Number.isNaN(Date.parse(success))) m.lastSuccessAt = Date.parse(success);
  if (state.failures && state.failures.consecutiveFailures > 0) m.lastFailureAt = state.failures.lastFailureAt;
  // An answer about another serial is stale (the decision ignores it too).
  if (state.ari && v && state.ari.serialNumber === v.serialNumber) m.ariWindow = { start: state.ari.windowStart, end: state.ari.windowEnd };
  return m;
}
