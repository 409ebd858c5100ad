/**
 * `certfleet store export --to DIR`: the store's state written into a new state directory through
 * FileStateStore's ports, so the layout is exactly the one the file store reads (a config whose
 * stateDir is DIR runs on it). Only into an empty or new directory: merging into a working state
 * directory is what import's rules are for, and a typo must not land keys in the wrong place.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { FileStateStore } from '../file-state-store.js';
import { transferable, type TransferableStore } from '../ports.js';
import { copyState, type CopyOptions, type CopyResult } from './copy.js';

export interface ExportResult extends CopyResult {
  /** The store read, password masked. */
  from: string;
  /** The state directory written. */
  to: string;
}

export interface ExportOptions extends Pick<CopyOptions, 'onCertificate'> {
  pid: number;
  now: () => Date;
}

export async function exportToDir(source: TransferableStore, dir: string, options: ExportOptions): Promise<ExportResult> {
  prepareEmptyDir(dir);
  const target = new FileStateStore(dir, { pid: options.pid, now: () => options.now().getTime() });
  let result: CopyResult;
  try {
    // Nobody else uses a directory made a moment ago: no leases to take, nothing to overwrite.
    result = await copyState(source, transferable(target), { overwrite: false, ...(options.onCertificate ? { onCertificate: options.onCertificate } : {}) });
  } finally {
    await target.close();
  }
  // Every directory 0700 (the file store makes some with the umask's mode): the keys' directories
  // and the state's are root's alone. Keys are written 0600 by the store itself.
  closeDirectories(dir);
  return { from: source.location, to: dir, ...result };
}

function prepareEmptyDir(dir: string): void {
  let entries: string[] | undefined;
  try {
    const info = lstatSync(dir);
    if (!info.isDirectory()) throw new UsageError(`--to ${dir}: exists and is not a directory`, 'name a new or empty directory');
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`--to ${dir}: ${(err as Error).message}`);
  }
  if (entries !== undefined && entries.length > 0) {
    throw new UsageError(`--to ${dir}: the directory is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); export writes only into a new or empty directory`,
      'name a new directory; to merge a directory into the database, use `certfleet store import --from`');
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function closeDirectories(dir: string): void {
  chmodSync(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) closeDirectories(join(dir, entry.name));
  }
}
