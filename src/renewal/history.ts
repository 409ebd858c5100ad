/**
 * The run history: `<stateDir>/history.jsonl`, one JSON line per certificate per run (what was
 * decided, what was done, why), so "what did certfleet do last night?" has an answer after the
 * terminal scrolled away. Bounded: past `maxBytes` the file becomes `history.1.jsonl` (replacing the
 * older one), so at most about twice that is kept.
 *
 * The state directory is root's, but the file is opened with O_NOFOLLOW and must be a regular file:
 * a planted symlink or FIFO is refused, never followed or waited on. Appends use O_APPEND and one
 * write per run, so lines are never interleaved.
 */
import { constants } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateOutcome } from './renew-certificate.js';

export const HISTORY_FILE = 'history.jsonl';
export const HISTORY_ROTATED_FILE = 'history.1.jsonl';
/** 4 MiB a file: about 16,000 lines, a month of 5-minute runs for a host with a few certificates. */
export const HISTORY_MAX_BYTES = 4 * 1024 * 1024;

export interface HistoryEntry {
  /** When the decision was made (the run's clock, ISO 8601). */
  time: string;
  name: string;
  action: string;
  reason: string;
  serial?: string;
  nextRenewalAt?: string;
  error?: string;
  durationMs: number;
}

export function historyEntries(outcomes: readonly CertificateOutcome[], time: Date): HistoryEntry[] {
  return outcomes.map((o) => ({
    time: time.toISOString(),
    name: o.name,
    action: o.action,
    reason: o.reason,
    ...(o.serialNumber ? { serial: o.serialNumber } : {}),
    ...(o.nextRenewalAt ? { nextRenewalAt: o.nextRenewalAt } : {}),
    ...(o.error ? { error: o.error } : {}),
    durationMs: o.durationMs,
  }));
}

const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Append the run's lines; rotate first when they would take the file past `maxBytes`. Throws on any failure (the caller makes it a run problem). */
export async function appendHistory(stateDir: string, entries: readonly HistoryEntry[], maxBytes = HISTORY_MAX_BYTES): Promise<void> {
  if (entries.length === 0) return;
  const data = Buffer.from(entries.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
  const path = join(stateDir, HISTORY_FILE);
  let handle = await openRegular(path, APPEND_FLAGS);
  try {
    const { size } = await handle.stat();
    if (size > 0 && size + data.length > maxBytes) {
      await handle.close();
      await rename(path, join(stateDir, HISTORY_ROTATED_FILE));
      handle = await openRegular(path, APPEND_FLAGS);
    }
    await handle.writeFile(data);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export interface HistoryRead {
  entries: HistoryEntry[];
  /** Lines that are not history entries (a torn write after a crash, an edit by hand): skipped and counted. */
  skipped: number;
}

/** Every entry kept, oldest first (the rotated file, then the current one). A missing file is an empty history. */
export async function readHistory(stateDir: string): Promise<HistoryRead> {
  const out: HistoryRead = { entries: [], skipped: 0 };
  for (const file of [HISTORY_ROTATED_FILE, HISTORY_FILE]) {
    let text: string;
    try {
      const handle = await openRegular(join(stateDir, file), READ_FLAGS);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const entry = parseEntry(line);
      if (entry) out.entries.push(entry);
      else out.skipped++;
    }
  }
  return out;
}

function parseEntry(line: string): HistoryEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const e = value as Partial<HistoryEntry> | null;
  if (!e || typeof e !== 'object' || typeof e.time !== 'string' || Number.isNaN(Date.parse(e.time))) return undefined;
  if (typeof e.name !== 'string' || typeof e.action !== 'string' || typeof e.reason !== 'string' || typeof e.durationMs !== 'number') return undefined;
  return e as HistoryEntry;
}

async function openRegular(path: string, flags: number) {
  let handle;
  try {
    handle = await open(path, flags, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // O_NOFOLLOW on a symlink: ELOOP (Linux), EMLINK (FreeBSD).
    if (code === 'ELOOP' || code === 'EMLINK') throw Object.assign(new Error(`${path} is a symlink; refusing to follow it (remove it)`), { code });
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is not a regular file (remove it)`), { code: 'EFTYPE' });
    // A file created by an older version, or copied in by hand, may be readable by others: the
    // errors in it can name hosts and paths.
    if ((flags & constants.O_WRONLY) !== 0 && (stat.mode & 0o077) !== 0) await handle.chmod(0o600);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Entries for one certificate (or all) at or after `since` (ms). */
export function selectHistory(entries: readonly HistoryEntry[], filter: { name?: string; sinceMs?: number }): HistoryEntry[] {
  return entries.filter((e) => (filter.name === undefined || e.name === filter.name) && (filter.sinceMs === undefined || Date.parse(e.time) >= filter.sinceMs));
}
