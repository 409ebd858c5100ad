/**
 * What `renew --metrics-file` exports, as data: per managed certificate the facts a dashboard or an
 * alert needs (expiry, next renewal, last success and failure, the CA's ARI window), read after the
 * run from its outcomes and the state store (either one), plus the run's own time and duration. Rendering
 * it as Prometheus text is the CLI's job (src/cli/render/renew-metrics.ts). Times in Unix ms.
 */
import { batchReads, type CertificateBatchReads, type CertificateRecords, type CertificateState, type IssuedVersion } from '../store/ports.js';
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

/** Certificates read at once with the store's batch read (ports.ts `CertificateBatchReads`). */
export const METRICS_PAGE = 500;

type MetricsStore = Pick<CertificateRecords, 'loadStateReadOnly' | 'current' | 'names' | 'schedules'> & Partial<CertificateBatchReads>;

/**
 * `store`: the configured store's certificate records, read only. A run on the shared store lists
 * only the certificates it looked at (`summary.notListed` counts the others, whose next look has
 * not come): those are read from the store too, with the next renewal their schedule holds, so no
 * certificate's series vanishes from the file because its turn had not come. A store with a batch
 * read (PostgreSQL) is read a page at a time; the file store one certificate at a time.
 */
export async function collectRenewMetrics(store: MetricsStore, result: RenewRunResult, warn: (message: string) => void): Promise<RenewMetrics> {
  const batch = batchReads(store);
  const listed = result.certificates.map((o) => ({ name: o.name, nextRenewalAt: o.nextRenewalAt }));
  const certificates = batch ? await readPaged(batch, listed, warn) : await readEach(store, listed, warn);
  if (result.summary.notListed) {
    const seen = new Set(listed.map((c) => c.name));
    const others = (await store.names()).filter((name) => !seen.has(name));
    if (batch) {
      // Their next renewal is the one their schedule holds: read with them, a page at a time.
      certificates.push(...(await readPaged(batch, others.map((name) => ({ name, fromSchedule: true })), warn)));
    } else {
      const schedules = await store.schedules();
      certificates.push(...(await readEach(store, others.map((name) => ({ name, nextRenewalAt: schedules.get(name)?.outcome.nextRenewalAt })), warn)));
    }
  }
  return { runStartedAt: Date.parse(result.startedAt), runDurationMs: result.summary.durationMs, certificates };
}

interface Wanted {
  name: string;
  nextRenewalAt?: string | undefined;
  /** The next renewal is the stored schedule's (a certificate the run did not look at). */
  fromSchedule?: boolean;
}

async function readPaged(store: CertificateBatchReads, wanted: readonly Wanted[], warn: (message: string) => void): Promise<CertificateMetrics[]> {
  const out: CertificateMetrics[] = [];
  for (let i = 0; i < wanted.length; i += METRICS_PAGE) {
    const page = wanted.slice(i, i + METRICS_PAGE);
    const facts = await store.statusPage(
      page.map((w) => w.name),
      warn,
    );
    for (const w of page) {
      const f = facts.get(w.name);
      out.push(metricsOf(w.name, f?.state ?? { schemaVersion: 1 }, f?.current?.version, w.fromSchedule ? f?.schedule?.outcome.nextRenewalAt : w.nextRenewalAt));
    }
  }
  return out;
}

async function readEach(store: Pick<CertificateRecords, 'loadStateReadOnly' | 'current'>, wanted: readonly Wanted[], warn: (message: string) => void): Promise<CertificateMetrics[]> {
  const out: CertificateMetrics[] = [];
  for (const w of wanted) {
    const state = await store.loadStateReadOnly(w.name, warn);
    const current = await store.current(w.name).catch(() => undefined);
    out.push(metricsOf(w.name, state, current?.version, w.nextRenewalAt));
  }
  return out;
}

function metricsOf(name: string, state: CertificateState, v: IssuedVersion | undefined, nextRenewalAt: string | undefined): CertificateMetrics {
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
