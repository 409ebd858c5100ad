/**
 * The file implementation of the run records (ports.ts), where they always were:
 *   <stateDir>/history.jsonl (+ history.1.jsonl)       the run history (renewal/history.ts)
 *   <stateDir>/{revocations,drills,replacements}/ID.json  one record per run; drills/latest.json
 *   <stateDir>/managed.json                            the summary `report` reads
 */
import { updateLines } from './summary-lines.js';
import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { appendHistory, readHistory, type HistoryEntry, type HistoryRead } from '../renewal/history.js';
import { writeFileAtomic } from './atomic-write.js';
import type { RecordKind, RunRecordListing, RunRecords, StoredRunRecord } from './ports.js';

const FOLDERS: Record<RecordKind, string> = { revocation: 'revocations', drill: 'drills', replacement: 'replacements' };
export const SUMMARY_FILE = 'managed.json';

export class FileRunRecords implements RunRecords, RunRecordListing {
  constructor(
    private readonly stateDir: string,
    /** The state directory's short lock: a history rotation or a summary update never races another run's. */
    private readonly exclusively: <T>(section: () => Promise<T>) => Promise<T>,
  ) {}

  appendHistory(entries: readonly HistoryEntry[]): Promise<void> {
    return this.exclusively(() => appendHistory(this.stateDir, entries));
  }

  readHistory(): Promise<HistoryRead> {
    return readHistory(this.stateDir);
  }

  recordLocation(kind: RecordKind, id: string): string {
    return join(this.stateDir, FOLDERS[kind], `${id}.json`);
  }

  async writeRecord(kind: RecordKind, id: string, record: object, options: { latest?: boolean } = {}): Promise<void> {
    await mkdir(join(this.stateDir, FOLDERS[kind]), { recursive: true, mode: 0o700 });
    const text = JSON.stringify(record, null, 2) + '\n';
    await writeFileAtomic(this.recordLocation(kind, id), text);
    // latest.json only after the record itself: it never names a run whose record is missing.
    if (options.latest) await writeFileAtomic(join(this.stateDir, FOLDERS[kind], 'latest.json'), text);
  }

  async latestRecord(kind: RecordKind): Promise<unknown> {
    return readJson(join(this.stateDir, FOLDERS[kind], 'latest.json'));
  }

  updateSummary(update: (previous: unknown) => object, options: { only?: readonly string[] } = {}): Promise<void> {
    return this.exclusively(async () => {
      let previous: unknown;
      try {
        previous = readJson(join(this.stateDir, SUMMARY_FILE));
      } catch {
        previous = undefined; // unreadable: replaced by this run's
      }
      const next = options.only ? updateLines(previous, options.only, update) : update(previous);
      await writeFileAtomic(join(this.stateDir, SUMMARY_FILE), JSON.stringify(next, null, 2) + '\n');
    });
  }

  async readSummary(): Promise<unknown> {
    return readJson(join(this.stateDir, SUMMARY_FILE));
  }

  /** Every `<folder>/ID.json` but latest.json; the latest is the one whose text latest.json repeats (writeRecord writes both from one text). */
  async records(kind: RecordKind, unreadable: (message: string) => void = () => undefined): Promise<StoredRunRecord[]> {
    const folder = join(this.stateDir, FOLDERS[kind]);
    let names: string[];
    try {
      names = (await readdir(folder)).filter((n) => n.endsWith('.json') && n !== 'latest.json').sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let latestText: string | undefined;
    try {
      latestText = readFileSync(join(folder, 'latest.json'), 'utf8');
    } catch {
      latestText = undefined;
    }
    const out: StoredRunRecord[] = [];
    for (const name of names) {
      const path = join(folder, name);
      try {
        const text = readFileSync(path, 'utf8');
        out.push({ id: name.slice(0, -'.json'.length), record: JSON.parse(text) as unknown, latest: text === latestText });
      } catch (err) {
        unreadable(`${path}: ${(err as Error).message}`);
      }
    }
    return out;
  }
}

/** Undefined when missing; other read errors and bad JSON throw (the caller says which file). */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text);
}
