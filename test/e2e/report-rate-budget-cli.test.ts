/**
 * `certfleet report` (the built CLI) on the file store checks the CA's rate budget: ten certificates
 * at a CA whose configured limit is 2 new orders per 12 h, one unit of it already taken by a run,
 * take 54 hours: longer than the 24-hour revocation window, within the 5-day one. The report says
 * so in its summary and JSON, exits 0 (a report informs), and 1 with --fail-on warning; the dry run
 * of a drill says the same time from the same budget. Nothing contacts the CA (its URL is a
 * loopback port nobody listens on).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../../src/report/model.js';
import { RATE_BUDGET_FINDING } from '../../src/report/rate-budget.js';
import { FileRateBudget } from '../../src/store/file-rate-budget.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/pki.js';

const HOUR = 3_600_000;
const CA = 'http://127.0.0.1:9/directory';
const inventory = new URL('../fixtures/report/inventory.json', import.meta.url).pathname;
let dir: string;
let config: string;

beforeAll(async () => {
  dir = tempDir('certfleet-report-rate-budget-e2e-');
  config = join(dir, 'certfleet.yaml');
  const certificates = Array.from({ length: 10 }, (_, i) => `  - { name: c${i}, domains: [www.site${i}.example.com], challenge: { type: http-01, webroot: ${dir} } }`);
  writeFileSync(
    config,
    ['stateDir: ./state', 'acme:', `  server: "${CA}"`, '  rateLimits: { newOrders: { limit: 2, per: 12h } }', 'certificates:', ...certificates, ''].join('\n'),
  );
  // One unit taken an hour ago, as a run's takeOrderBudget would (the store's own writer).
  mkdirSync(join(dir, 'state'), { mode: 0o700 });
  const budget = new FileRateBudget(join(dir, 'state'), (section) => section());
  expect(await budget.take({ ca: CA, account: 'http://127.0.0.1:9/acct/1', bucket: 'new-orders', limit: 2, windowMs: 12 * HOUR, now: Date.now() - HOUR })).toEqual({ granted: true });
});

const message = "at 127.0.0.1:9's limits (2 new orders per account per 12 h, 1 used now), replacing 10 certificates takes 54 hours: longer than the 24-hour revocation window (within the 5-day revocation window); ask the CA for a rate-limit exemption or spread across accounts";

describe('certfleet report and the CA rate budget', () => {
  it('finds that the configured certificates take longer than 24 hours at the limits, from what is left of the budget now', async () => {
    const r = await runCli(['--config', config, 'report', '--inventory', inventory, '--format', 'json', '--quiet'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReadinessReport;
    expect(report.rateBudget!.cas).toEqual([
      {
        ca: CA,
        caName: '127.0.0.1:9',
        certificates: 10,
        hours: 54,
        limitedBy: 'new-orders',
        limit: { limit: 2, windowMs: 12 * HOUR },
        used: 1,
        budgetRead: true,
        windows: [
          { id: 'revoke-24h', hours: 24, met: false },
          { id: 'revoke-5d', hours: 120, met: true },
        ],
        finding: { id: RATE_BUDGET_FINDING, severity: 'warning' },
        message,
      },
    ]);
    expect(report.findings).toContainEqual(expect.objectContaining({ id: RATE_BUDGET_FINDING, severity: 'warning', count: 1 }));

    const summary = await runCli(['--config', config, 'report', '--inventory', inventory, '--quiet'], { cwd: dir });
    expect(summary.code, summary.stderr).toBe(0);
    expect(summary.stdout).toContain(`\nCA rate limits\n  warning: ${message}\n`);
  });

  it('fails with --fail-on warning, as any finding at that severity does', async () => {
    const r = await runCli(['--config', config, 'report', '--inventory', inventory, '--format', 'json', '--fail-on', 'warning'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${RATE_BUDGET_FINDING} (1)`);
    const error = await runCli(['--config', config, 'report', '--inventory', inventory, '--format', 'json', '--fail-on', 'error'], { cwd: dir });
    expect(error.stderr).not.toContain(RATE_BUDGET_FINDING);
  });

  it("a drill's dry run plans from the same budget", async () => {
    const r = await runCli(['--config', config, 'drill', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("at your CA's limits (2 new orders per account per 12 h, 1 used now), drilling 10 certificate(s) takes 54 hours");
  });
});
