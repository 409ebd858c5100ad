import { describe, expect, it } from 'vitest';
import { parseSince } from '../../../src/cli/commands/log-action.js';
import { renderHistory } from '../../../src/cli/render/history.js';
import type { HistoryEntry } from '../../../src/renewal/history.js';

const now = new Date('2026-03-10T12:00:00Z');

describe('certfleet log --since', () => {
  it('takes a duration back from now, or a date', () => {
    expect(parseSince('24h', now)).toBe(Date.parse('2026-03-09T12:00:00Z'));
    expect(parseSince('7d', now)).toBe(Date.parse('2026-03-03T12:00:00Z'));
    expect(parseSince('30m', now)).toBe(Date.parse('2026-03-10T11:30:00Z'));
    expect(parseSince('2026-03-01', now)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseSince('2026-03-01T06:00:00+02:00', now)).toBe(Date.parse('2026-03-01T04:00:00Z'));
  });

  it('anything else is a usage error (exit 2) that says what it takes', () => {
    expect(() => parseSince('yesterday', now)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/--since takes a duration .* or a date/) }));
    expect(() => parseSince('5', now)).toThrow(/--since takes/);
  });
});

describe('certfleet log output', () => {
  const entries: HistoryEntry[] = [
    { time: '2026-03-10T11:00:00.123Z', name: 'www', action: 'renewed', reason: 'lifetime-fraction', serial: 'ab12', nextRenewalAt: '2026-04-10T00:00:00.000Z', durationMs: 812 },
    { time: '2026-03-10T11:05:00.000Z', name: 'api', action: 'failed', reason: 'backoff', error: 'CA said \u001b[31mno\u001b[0m', durationMs: 40 },
  ];

  it('a table, one aligned line per entry, controls in a CA error escaped', () => {
    const text = renderHistory({ stateDir: '/var/lib/certfleet', entries }, 'table').join('');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+NAME\s+ACTION\s+REASON\s+SERIAL\s+NEXT RENEWAL\s+TOOK\s+ERROR$/);
    expect(lines[1]).toMatch(/^2026-03-10T11:00:00Z\s+www\s+renewed\s+lifetime-fraction\s+ab12\s+2026-04-10T00:00:00Z\s+812 ms$/);
    expect(lines[2]).toContain('CA said \\x1b[31mno\\x1b[0m');
    expect(lines[1]!.indexOf('renewed')).toBe(lines[2]!.indexOf('failed'));
  });

  it('JSON: one document with a schemaVersion', () => {
    const doc = JSON.parse(renderHistory({ stateDir: '/s', entries }, 'json').join(''));
    expect(doc).toEqual({ schemaVersion: 1, stateDir: '/s', entries });
  });

  it('says so when there is nothing to show', () => {
    expect(renderHistory({ stateDir: '/s', entries: [] }, 'table').join('')).toMatch(/^no history in \/s/);
  });
});
