/**
 * A report with the CA rate-budget finding (src/report/rate-budget.ts) in the formats external
 * tools read: SARIF validated against the official 2.1.0 schema (as report-sarif-schema.test.ts
 * does), and the Prometheus exposition through `promtool check metrics` (as report-promtool.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { caPresets } from '../../src/acme/directory.js';
import { rateLimitPresets } from '../../src/acme/rate-limit-presets.js';
import { renderReport } from '../../src/cli/render/report.js';
import { shippedTimeline } from '../../src/policy/timeline.js';
import { buildReport } from '../../src/report/build.js';
import { RATE_BUDGET_FINDING } from '../../src/report/rate-budget.js';
import { readInventoryFile } from '../../src/report/read-inventory.js';
import { fixtureAsOf, fixtureDir } from '../unit/report/fixture.js';

const require = createRequire(import.meta.url);
const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

const spread = (n: number, domains: number) => new Map(Array.from({ length: domains }, (_, i) => [`d${i}.example`, n / domains]));
const report = buildReport(
  {
    inventory: readInventoryFile(`${fixtureDir}inventory.json`),
    rateBudget: [
      { ca: caPresets.letsencrypt, limits: rateLimitPresets.letsencrypt, count: 40_000, perRegisteredDomain: spread(40_000, 1000), used: { newOrders: 120, perRegisteredDomain: new Map() } },
      { ca: 'https://acme.internal.example/dir', limits: rateLimitPresets.letsencrypt, count: 3300, perRegisteredDomain: spread(3300, 100) },
    ],
  },
  { asOf: fixtureAsOf, timeline: shippedTimeline() },
);
const render = (format: 'sarif' | 'prometheus') => [...renderReport(report, format, { color: false, cwd: fixtureDir, toolVersion: '0.1.0' })].join('');

describe('the rate-budget finding in SARIF and Prometheus', () => {
  it('is valid SARIF 2.1.0, a result per CA that misses a window', () => {
    const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
    const { $schema: _draft, id, ...rest } = schema;
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    const validate = ajv.compile({ ...rest, $id: id } as Record<string, unknown>);
    const log = JSON.parse(render('sarif')) as { runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(log.runs[0]!.results.filter((x) => x.ruleId === RATE_BUDGET_FINDING).map((x) => x.level)).toEqual(['error', 'warning']);
  });

  it('passes promtool check metrics', () => {
    const text = render('prometheus');
    expect(text).toContain('certfleet_rate_budget_replacement_seconds{ca="https://acme.internal.example/dir"} 108000');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (r.error) throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});
