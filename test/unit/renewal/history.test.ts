import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendHistory, HISTORY_FILE, HISTORY_ROTATED_FILE, historyEntries, readHistory, selectHistory, type HistoryEntry } from '../../../src/renewal/history.js';
import type { CertificateOutcome } from '../../../src/renewal/renew-certificate.js';
import { tempDir } from '../../helpers/pki.js';

const at = new Date('2026-03-01T10:00:00.000Z');
const outcome = (o: Partial<CertificateOutcome>): CertificateOutcome => ({ name: 'www', action: 'not-due', reason: 'lifetime-fraction', explanation: 'x', durationMs: 3, ...o });
const entry = (e: Partial<HistoryEntry>): HistoryEntry => ({ time: at.toISOString(), name: 'www', action: 'not-due', reason: 'lifetime-fraction', durationMs: 1, ...e });

describe('run history', () => {
  it('one line per outcome with the documented fields, and nothing else', () => {
    const lines = historyEntries(
      [
        outcome({ action: 'renewed', serialNumber: 'abc', nextRenewalAt: '2026-04-01T00:00:00.000Z', notAfter: 'ignored', explanation: 'ignored' }),
        outcome({ name: 'api', action: 'failed', reason: 'error', error: 'urn:ietf:params:acme:error:rateLimited', durationMs: 12 }),
      ],
      at,
    );
    expect(lines).toEqual([
      { time: '2026-03-01T10:00:00.000Z', name: 'www', action: 'renewed', reason: 'lifetime-fraction', serial: 'abc', nextRenewalAt: '2026-04-01T00:00:00.000Z', durationMs: 3 },
      { time: '2026-03-01T10:00:00.000Z', name: 'api', action: 'failed', reason: 'error', error: 'urn:ietf:params:acme:error:rateLimited', durationMs: 12 },
    ]);
  });

  it('appends runs as JSON lines, mode 0600, and reads them back oldest first', async () => {
    const dir = tempDir();
    await appendHistory(dir, [entry({ name: 'a' }), entry({ name: 'b' })]);
    await appendHistory(dir, [entry({ name: 'c', time: '2026-03-02T00:00:00.000Z' })]);
    const path = join(dir, HISTORY_FILE);
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as HistoryEntry).name)).toEqual(['a', 'b', 'c']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const read = await readHistory(dir);
    expect(read.entries.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(selectHistory(read.entries, { name: 'c' }).map((e) => e.name)).toEqual(['c']);
    expect(selectHistory(read.entries, { sinceMs: Date.parse('2026-03-01T12:00:00Z') }).map((e) => e.name)).toEqual(['c']);
  });

  it('tightens a history file others can read to 0600', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, HISTORY_FILE), '', { mode: 0o644 });
    await appendHistory(dir, [entry({})]);
    expect(statSync(join(dir, HISTORY_FILE)).mode & 0o777).toBe(0o600);
  });

  it('stays bounded: past the limit the file becomes history.1.jsonl, and reading spans both', async () => {
    const dir = tempDir();
    const line = JSON.stringify(entry({})).length + 1;
    const max = line * 3;
    for (let i = 0; i < 7; i++) await appendHistory(dir, [entry({ name: `n${i}` })], max);
    expect(statSync(join(dir, HISTORY_FILE)).size).toBeLessThanOrEqual(max);
    expect(statSync(join(dir, HISTORY_ROTATED_FILE)).size).toBeLessThanOrEqual(max);
    // 7 runs, files of 3: n0..n2 were rotated away twice over; n3..n5 rotated once; n6 current.
    expect((await readHistory(dir)).entries.map((e) => e.name)).toEqual(['n3', 'n4', 'n5', 'n6']);
  });

  it('never writes through a symlink planted at the history path', async () => {
    const dir = tempDir();
    const victim = join(tempDir(), 'passwd');
    writeFileSync(victim, 'root:x:0:0\n');
    symlinkSync(victim, join(dir, HISTORY_FILE));
    await expect(appendHistory(dir, [entry({})])).rejects.toThrow(/symlink/);
    expect(readFileSync(victim, 'utf8')).toBe('root:x:0:0\n');
    expect(lstatSync(join(dir, HISTORY_FILE)).isSymbolicLink()).toBe(true);
    await expect(readHistory(dir)).rejects.toThrow(/symlink/);
  });

  it('refuses a FIFO planted at the history path instead of waiting on it', async () => {
    const dir = tempDir();
    expect(spawnSync('mkfifo', [join(dir, HISTORY_FILE)]).status).toBe(0);
    await expect(appendHistory(dir, [entry({})])).rejects.toThrow();
    await expect(readHistory(dir)).rejects.toThrow(/not a regular file/);
  });

  it('skips lines that are not entries (a torn last write) and counts them', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, HISTORY_FILE), `${JSON.stringify(entry({ name: 'ok' }))}\nnot json\n{"time":"x"}\n{"name":"half`, { mode: 0o600 });
    const read = await readHistory(dir);
    expect(read.entries.map((e) => e.name)).toEqual(['ok']);
    expect(read.skipped).toBe(3);
  });

  it('a missing history is empty, not an error', async () => {
    expect(await readHistory(tempDir())).toEqual({ entries: [], skipped: 0 });
  });
});
