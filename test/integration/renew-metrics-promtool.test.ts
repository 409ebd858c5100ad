/**
 * `renew --metrics-file` read by Prometheus' own parser and linter: `promtool check metrics`
 * (Debian package prometheus), for a fleet with every fact known, none known, and a name that
 * needs escaping. The e2e test (renew-observability-cli) checks a file a real run wrote.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderRenewMetrics } from '../../src/cli/render/renew-metrics.js';
import type { RenewMetrics } from '../../src/renewal/metrics.js';

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const t = Date.parse('2026-03-10T12:00:00Z');
const metrics: RenewMetrics = {
  runStartedAt: t,
  runDurationMs: 1234,
  certificates: [
    { name: 'www', notBefore: t - 9 * 86_400_000, notAfter: t + 36 * 86_400_000, nextRenewalAt: t + 21 * 86_400_000, lastSuccessAt: t - 9 * 86_400_000, consecutiveFailures: 0, ariWindow: { start: t + 20 * 86_400_000, end: t + 22 * 86_400_000 } },
    { name: 'api "edge"\\\n', consecutiveFailures: 4, lastFailureAt: t - 60_000, nextRenewalAt: t + 3_600_000 },
    { name: 'new', consecutiveFailures: 0 },
  ],
};

describe('renew metrics exposition', () => {
  it('passes promtool check metrics (parse and lint)', () => {
    for (const m of [metrics, { ...metrics, certificates: [] }]) {
      const r = promtool([...renderRenewMetrics(m)].join(''));
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('promtool rejects a broken exposition (so the check above can fail)', () => {
    const text = [...renderRenewMetrics(metrics)].join('');
    expect(promtool(text.replace('{name="www"}', '{name="www}')).status).not.toBe(0);
  });
});
