/**
 * `certfleet store import --from DIR`: a state directory (the file store's layout, read through
 * FileStateStore's ports) copied into the configured PostgreSQL store by copy.ts's rules. The
 * directory is only read: it stays the working state of the host it came from until its config
 * names the database.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { FileStateStore } from '../file-state-store.js';
import { transferable, type TransferableStore } from '../ports.js';
import { copyState, type CopyOptions, type CopyResult } from './copy.js';

export interface ImportResult extends CopyResult {
  /** The state directory read. */
  from: string;
  /** The store written, password masked. */
  to: string;
  /** Whether anything was written (false: everything was already present, or left as the target had it). */
  changed: boolean;
}

export interface ImportOptions extends Pick<CopyOptions, 'overwrite' | 'leaseTtlMs' | 'onCertificate'> {
  /** Who holds the certificates' leases while each is copied (with-lease.ts `runnerId`). */
  owner: string;
  pid: number;
  now: () => Date;
}

/** What a state directory holds at its top: one of these is there unless the path is a typo. */
const STATE_ENTRIES = ['certificates', 'accounts', 'history.jsonl', 'history.1.jsonl', 'managed.json', 'revocations', 'drills', 'replacements'];

export async function importStateDir(dir: string, target: TransferableStore, options: ImportOptions): Promise<ImportResult> {
  checkStateDir(dir);
  const source = new FileStateStore(dir, { pid: options.pid, now: () => options.now().getTime() });
  let result: CopyResult;
  try {
    result = await copyState(transferable(source), target, {
      overwrite: options.overwrite,
      leaseOwner: options.owner,
      ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
      ...(options.onCertificate ? { onCertificate: options.onCertificate } : {}),
    });
  } finally {
    await source.close();
  }
  const copied = [result.certificates, result.versions, result.accounts, result.retiredAccountKeys, result.runRecords].some((t) => t.copied > 0);
  return { from: dir, to: target.location, ...result, changed: copied || result.overwritten.length > 0 || result.filled > 0 };
}

function checkStateDir(dir: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (err) {
    throw new UsageError(`--from ${dir}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (err as Error).message}`, 'name the state directory to import (stateDir in its config; /var/lib/certfleet by default as root)');
  }
  if (!isDirectory) throw new UsageError(`--from ${dir}: not a directory`);
  const found = STATE_ENTRIES.some((entry) => {
    try {
      statSync(join(dir, entry));
      return true;
    } catch {
      return false;
    }
  });
  if (!found) {
    throw new UsageError(`--from ${dir}: not a certfleet state directory (none of ${STATE_ENTRIES.join(', ')} is there)`, 'name the state directory to import (stateDir in its config; /var/lib/certfleet by default as root)');
  }
}
