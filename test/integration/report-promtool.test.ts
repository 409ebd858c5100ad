/**
 * The Prometheus output read by Prometheus' own parser and linter: `promtool check metrics`
 * (Debian package prometheus). The same check is shown to reject a malformed exposition.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/cli/render/report.js';
import { fixtureReport } from '../unit/report/fixture.js';

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
  }
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('Prometheus text exposition', () => {
  it('passes promtool check metrics (parse and lint), with and without drill state', () => {
    for (const state of [true, false]) {
      const text = [...renderReport(fixtureReport({ state }), 'prometheus', { color: false, cwd: '/', toolVersion: 'test' })].join('');
      const r = promtool(text);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('promtool rejects a broken exposition (so the check above can fail)', () => {
    const text = [...renderReport(fixtureReport(), 'prometheus', { color: false, cwd: '/', toolVersion: 'test' })].join('');
    expect(promtool(text.replace('{automation="managed"}', '{automation="managed}')).status).not.toBe(0);
    expect(promtool(`${text}# TYPE certfleet_certificates gauge\ncertfleet_certificates 1\n`).status).not.toBe(0);
  });
});
