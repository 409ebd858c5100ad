/**
 * The file store's index of renew's last decisions: `<stateDir>/schedule.json`, so a run in which
 * nothing is due reads one file and stats two per certificate instead of parsing every state and
 * version file (issue 9: a run costs what is due, not the fleet).
 *
 * The index is a cache that cannot lie: each entry carries the identity (inode and mtime) of the
 * certificate's state.json and `current` link as they were when the decision was made. Every state
 * write renames a new file in, so any later change (a revocation asking for ARI now, a hand edit, a
 * restored backup) voids the entry and the certificate is looked at in full. A lost or corrupt index
 * costs one slow run, never a wrong one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { Schedule } from './ports.js';

interface Entry {
  identity: string;
  schedule: Schedule;
}

interface IndexFile {
  schemaVersion: 1;
  entries: Record<string, Entry>;
}

export const SCHEDULE_INDEX_FILE = 'schedule.json';

export class ScheduleIndex {
  private readonly pending = new Map<string, Entry>();

  constructor(
    private readonly stateDir: string,
    private readonly identity: (name: string) => string,
  ) {}

  private get path(): string {
    return join(this.stateDir, SCHEDULE_INDEX_FILE);
  }

  valid(): Map<string, Schedule> {
    const out = new Map<string, Schedule>();
    for (const [name, entry] of Object.entries(this.read().entries)) {
      if (entry.identity === this.identity(name)) out.set(name, entry.schedule);
    }
    return out;
  }

  set(name: string, schedule: Schedule): void {
    this.pending.set(name, { identity: this.identity(name), schedule });
  }

  hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Merge this run's entries into the file as it is now (another run may have added its own). */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const file = this.read();
    for (const [name, entry] of this.pending) file.entries[name] = entry;
    this.pending.clear();
    await writeFileAtomic(this.path, JSON.stringify(file) + '\n', { mode: 0o600 });
  }

  private read(): IndexFile {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<IndexFile>;
      if (parsed.schemaVersion === 1 && typeof parsed.entries === 'object' && parsed.entries !== null) return { schemaVersion: 1, entries: parsed.entries };
    } catch {
      // missing or unreadable: every certificate is looked at in full, and the index is rebuilt
    }
    return { schemaVersion: 1, entries: Object.create(null) as Record<string, Entry> };
  }
}
