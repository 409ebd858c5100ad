/**
 * `renew --metrics-file`: per-certificate facts read after the run from its outcomes and the
 * state directory, rendered as Prometheus gauges (the text itself is checked by promtool in
 * test/integration/renew-metrics-promtool.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { renderRenewMetrics } from '../../../src/cli/render/renew-metrics.js';
import { collectRenewMetrics, type RenewMetrics } from '../../../src/renewal/metrics.js';
import type { CertificateOutcome } from '../../../src/renewal/renew-certificate.js';
import type { RenewRunResult } from '../../../src/renewal/run.js';
import { CertificateStore, type IssuedVersion } from '../../../src/store/certificate-store.js';
import { tempDir } from '../../helpers/pki.js';

const files = { certPem: 'c', chainPem: '', fullchainPem: 'c', keyPem: 'k' };
const version = (serial: string, issuedAt: string): IssuedVersion => ({
  id: `v-${serial}`,
  serialNumber: serial,
  notBefore: '2026-03-01T00:00:00.000Z',
  notAfter: '2026-04-15T00:00:00.000Z',
  domains: ['www.example.test'],
  issuedAt,
});
const outcome = (o: Partial<CertificateOutcome>): CertificateOutcome => ({ name: 'www', action: 'not-due', reason: 'lifetime-fraction', explanation: '', durationMs: 1, ...o });
const run = (certificates: CertificateOutcome[]): RenewRunResult =>
  ({ schemaVersion: 1, startedAt: '2026-03-10T12:00:00.000Z', dryRun: false, certificates, problems: [], summary: { durationMs: 1500 } }) as unknown as RenewRunResult;
const s = (iso: string) => Date.parse(iso);

describe('renew metrics: the facts', () => {
  it('reads expiry, next renewal, last success and failure, failures and the ARI window for the current serial', async () => {
    const dir = tempDir();
    const store = new CertificateStore(dir);
    await store.addVersion('www', version('aa', '2026-03-01T00:00:05.000Z'), files);
    await store.setCurrent('www', 'v-aa');
    await store.saveState('www', {
      schemaVersion: 1,
      lastSuccessAt: '2026-03-01T00:00:09.000Z',
      failures: { consecutiveFailures: 2, lastFailureAt: s('2026-03-10T11:55:00Z'), lastError: 'x' },
      ari: { serialNumber: 'aa', windowStart: s('2026-03-30T00:00:00Z'), windowEnd: s('2026-04-01T00:00:00Z'), chosenAt: s('2026-03-31T00:00:00Z') },
    });
    // Certificate "old": state from before lastSuccessAt existed, an ARI answer about another serial.
    await store.addVersion('old', version('bb', '2026-02-01T00:00:00.000Z'), files);
    await store.setCurrent('old', 'v-bb');
    await store.saveState('old', { schemaVersion: 1, ari: { serialNumber: 'zz', windowStart: 1, windowEnd: 2, chosenAt: 1 } });

    const m = await collectRenewMetrics(
      store,
      run([
        outcome({ name: 'www', action: 'failed', reason: 'backoff', nextRenewalAt: '2026-03-10T12:15:00.000Z' }),
        outcome({ name: 'old', nextRenewalAt: '2026-03-31T00:00:00.000Z' }),
        outcome({ name: 'new', action: 'failed', reason: 'backoff' }),
      ]),
      () => undefined,
    );
    expect(m).toEqual({
      runStartedAt: s('2026-03-10T12:00:00Z'),
      runDurationMs: 1500,
      certificates: [
        {
          name: 'www',
          notBefore: s('2026-03-01T00:00:00Z'),
          notAfter: s('2026-04-15T00:00:00Z'),
          nextRenewalAt: s('2026-03-10T12:15:00Z'),
          lastSuccessAt: s('2026-03-01T00:00:09Z'),
          lastFailureAt: s('2026-03-10T11:55:00Z'),
          consecutiveFailures: 2,
          ariWindow: { start: s('2026-03-30T00:00:00Z'), end: s('2026-04-01T00:00:00Z') },
        },
        // No lastSuccessAt recorded: the current version's issue time; the stale ARI answer is left out.
        { name: 'old', notBefore: s('2026-03-01T00:00:00Z'), notAfter: s('2026-04-15T00:00:00Z'), nextRenewalAt: s('2026-03-31T00:00:00Z'), lastSuccessAt: s('2026-02-01T00:00:00Z'), consecutiveFailures: 0 },
        { name: 'new', consecutiveFailures: 0 },
      ],
    });
  });
});

describe('renew metrics: the exposition', () => {
  const metrics: RenewMetrics = {
    runStartedAt: s('2026-03-10T12:00:00Z'),
    runDurationMs: 1500,
    certificates: [
      { name: 'www', notBefore: s('2026-03-01T00:00:00Z'), notAfter: s('2026-04-15T00:00:00Z'), nextRenewalAt: s('2026-03-31T00:00:00Z'), lastSuccessAt: s('2026-03-01T00:00:09Z'), consecutiveFailures: 0, ariWindow: { start: 1_775_000_000_000, end: 1_775_100_000_000 } },
      { name: 'we"ird\\na\nme', consecutiveFailures: 3, lastFailureAt: s('2026-03-10T11:55:00Z') },
    ],
  };
  const text = [...renderRenewMetrics(metrics)].join('');

  it('has the cert-manager-style names, in seconds, with HELP and TYPE', () => {
    expect(text).toContain('# TYPE certfleet_renew_run_timestamp_seconds gauge\ncertfleet_renew_run_timestamp_seconds 1773144000\n');
    expect(text).toContain('certfleet_renew_run_duration_seconds 1.5\n');
    expect(text).toContain('certfleet_certificate_expiration_timestamp_seconds{name="www"} 1776211200\n');
    expect(text).toContain('certfleet_certificate_not_before_timestamp_seconds{name="www"} 1772323200\n');
    expect(text).toContain('certfleet_certificate_renewal_timestamp_seconds{name="www"} 1774915200\n');
    expect(text).toContain('certfleet_certificate_last_success_timestamp_seconds{name="www"} 1772323209\n');
    expect(text).toContain('certfleet_certificate_consecutive_failures{name="www"} 0\n');
    expect(text).toContain('certfleet_certificate_ari_window_start_timestamp_seconds{name="www"} 1775000000\n');
    expect(text).toContain('certfleet_certificate_ari_window_end_timestamp_seconds{name="www"} 1775100000\n');
    for (const family of text.match(/^certfleet_\w+/gm)!) {
      expect(text).toContain(`# HELP ${family} `);
      expect(text).toContain(`# TYPE ${family} gauge`);
    }
  });

  it('escapes label values as the exposition format requires', () => {
    expect(text).toContain('certfleet_certificate_consecutive_failures{name="we\\"ird\\\\na\\nme"} 3\n');
    expect(text).toContain('certfleet_certificate_last_failure_timestamp_seconds{name="we\\"ird\\\\na\\nme"} 1773143700\n');
  });

  it('a fact that is not known has no sample (never a 0 read as 1970)', () => {
    expect(text).not.toMatch(/expiration_timestamp_seconds\{name="we/);
    expect(text).not.toMatch(/last_failure_timestamp_seconds\{name="www"/);
  });
});
