/**
 * The configured state store for a command other than the renew run itself (account, remove,
 * revoke, drill, replace, report, the metrics file): opened as `renew` opens it (openStateStore:
 * the state directory, or store.postgres), closed when the command's work is done.
 */
import type { Logger } from '../../logger.js';
import { openStateStore, type OpenStoreIo } from '../../store/open-store.js';
import type { StateStore } from '../../store/ports.js';
import { packageVersion } from '../version.js';

/** The process's side of opening a store: its environment (the database URL and key may come from it), pid and clock. */
export function commandStoreIo(logger: Logger, lockWaitMs?: number): OpenStoreIo {
  return { env: process.env, pid: process.pid, now: () => new Date(), logger, ...(lockWaitMs !== undefined ? { lockWaitMs } : {}), binaryVersion: packageVersion() };
}

/** `work` on the store the settings name; the store is closed after it, whatever happened. */
export async function withCommandStore<T>(settings: Parameters<typeof openStateStore>[0], io: OpenStoreIo, work: (store: StateStore) => Promise<T>): Promise<T> {
  const store = await openStateStore(settings, io);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
