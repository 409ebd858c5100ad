/**
 * Golden files: every renderer over the fixed fleet and a fixed --as-of, byte for byte. A change
 * in wording or layout shows up here as a diff to review; regenerate with
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/report/golden.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../src/cli/render/report.js';
import { reportExtensions as extension, reportFormats } from '../../../src/cli/render/report-formats.js';
import { fixtureDir, fixtureReport } from './fixture.js';

const options = { color: false, cwd: '/srv', toolVersion: '0.0.0-test' };

function check(name: string, text: string): void {
  const path = `${fixtureDir}golden/${name}`;
  if (process.env.UPDATE_GOLDEN || !existsSync(path)) {
    if (!process.env.UPDATE_GOLDEN) throw new Error(`golden file ${name} is missing: run with UPDATE_GOLDEN=1 to create it`);
    writeFileSync(path, text);
  }
  expect(text, `${name} differs from its golden file (UPDATE_GOLDEN=1 to accept)`).toBe(readFileSync(path, 'utf8'));
}

describe('report renderers against golden files (fixture fleet, as of 2026-11-22)', () => {
  const report = fixtureReport();
  for (const format of reportFormats) {
    it(format, () => check(`report.${extension[format]}`, [...renderReport(report, format, options)].join('')));
  }

  it('summary without managed state or drill', () => {
    check('report-no-state.txt', [...renderReport(fixtureReport({ state: false }), 'summary', options)].join(''));
  });

  it('summary with colour uses ANSI codes, without it none', () => {
    const colored = [...renderReport(report, 'summary', { ...options, color: true })].join('');
    expect(colored).toContain('\u001b[');
    expect([...renderReport(report, 'summary', options)].join('')).not.toContain('\u001b[');
  });
});
