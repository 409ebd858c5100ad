/** `certfleet dns persist-record NAME`: the dns-persist-01 records of one managed certificate, rendered. */
import { ExitCode } from '../../errors.js';
import { selectCertificates } from '../../renewal/managed.js';
import { persistRecordsForCertificate } from '../../renewal/persist-record.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { renderPersistRecords } from '../render/dns-persist.js';
import { commandStoreIo, withCommandStore } from './command-store.js';
import { loadManagedSettings } from './managed-settings.js';

export async function runPersistRecordCommand(name: string, flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { settings, logger } = await loadManagedSettings(flags, globals, false, { access: 'read' });
  const [cert] = selectCertificates(settings, [name]);
  const report = await withCommandStore(settings, commandStoreIo(logger), (store) => persistRecordsForCertificate(cert!, store.accounts, { logger, now: () => new Date() }));
  await writeOutput(renderPersistRecords(report, (flags.format as 'zone' | 'json' | undefined) ?? 'zone'), undefined);
  return ExitCode.ok;
}
