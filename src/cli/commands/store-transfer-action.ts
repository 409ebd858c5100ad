/** `certfleet store import`, `store export`, `store rotate-key`: the store from the config (or --store), one core call, the result rendered. */
import { resolve } from 'node:path';
import { ExitCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { openStateStore, type ResolvedStoreSettings } from '../../store/open-store.js';
import { transferable, type TransferableStore } from '../../store/ports.js';
import { runnerId } from '../../store/with-lease.js';
import { stderrLogger } from '../logger.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { renderExport, renderImport, renderRotateKey } from '../render/store-transfer.js';
import { packageVersion } from '../version.js';
import { resolveStoreSettings } from './store-action.js';

type Format = 'table' | 'json';

async function withPostgres<T>(store: ResolvedStoreSettings, logger: Logger, work: (store: TransferableStore) => Promise<T>): Promise<T> {
  const opened = await openStateStore({ stateDir: '', store }, { env: process.env, pid: process.pid, now: () => new Date(), logger, binaryVersion: packageVersion() });
  try {
    return await work(transferable(opened));
  } finally {
    await opened.close();
  }
}

function setup(flags: Record<string, unknown>, globals: GlobalOptions): { logger: Logger; format: Format } {
  return { logger: stderrLogger({ quiet: globals.quiet ?? false, verbose: flags.verbose === true }), format: (flags.format as Format | undefined) ?? 'table' };
}

export async function runStoreImport(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { logger, format } = setup(flags, globals);
  const store = await resolveStoreSettings(flags, globals, 'import');
  const { importStateDir } = await import('../../store/transfer/import.js');
  const result = await withPostgres(store, logger, (target) =>
    importStateDir(resolve(String(flags.from)), target, {
      overwrite: flags.overwrite === true,
      owner: runnerId(process.pid),
      pid: process.pid,
      now: () => new Date(),
      onCertificate: (name, done, total) => logger.debug(`${done}/${total} ${name}`),
    }),
  );
  await writeOutput([renderImport(result, format)], undefined);
  // Something the database holds differently, or could not be copied: the copy is not exact (exit 1, listed).
  return result.left.length + result.conflicts.length + result.skipped.length > 0 ? ExitCode.findings : ExitCode.ok;
}

export async function runStoreExport(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { logger, format } = setup(flags, globals);
  const store = await resolveStoreSettings(flags, globals, 'export');
  const { exportToDir } = await import('../../store/transfer/export.js');
  const result = await withPostgres(store, logger, (source) =>
    exportToDir(source, resolve(String(flags.to)), { pid: process.pid, now: () => new Date(), onCertificate: (name, done, total) => logger.debug(`${done}/${total} ${name}`) }),
  );
  await writeOutput([renderExport(result, format)], undefined);
  return result.conflicts.length + result.skipped.length > 0 ? ExitCode.findings : ExitCode.ok;
}

export async function runStoreRotateKey(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { logger, format } = setup(flags, globals);
  const store = await resolveStoreSettings(flags, globals, 'rotate-key');
  const { rotateStoreKey } = await import('../../store/postgres/rotate-key.js');
  // Ctrl-C or a service stop ends the rotation between two batches: every row is whole, and the next run resumes.
  const controller = new AbortController();
  const stop = () => {
    logger.warn('stopping after the current batch');
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let result;
  try {
    result = await rotateStoreKey(store, { env: process.env, logger, binaryVersion: packageVersion() }, {
      signal: controller.signal,
      ...(typeof flags.batchSize === 'number' ? { batchSize: flags.batchSize } : {}),
      onBatch: (what, n) => logger.debug(`${what}: ${n} re-encrypted`),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  await writeOutput([renderRotateKey(result, format)], undefined);
  return result.complete ? ExitCode.ok : ExitCode.partial;
}
