/** `certfleet apply`: the config's specs into the shared store, and what changed. */
import { ExitCode, UsageError } from '../../errors.js';
import { applySpecs, type ApplyResult } from '../../renewal/apply-specs.js';
import { openStateStore } from '../../store/open-store.js';
import { runnerId } from '../../store/with-lease.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControls } from '../render/escape.js';
import { packageVersion } from '../version.js';
import { loadManagedSettings } from './managed-settings.js';

export const APPLY_SCHEMA_VERSION = 1;

export async function runApply(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const dryRun = flags.dryRun === true;
  const { settings, logger } = await loadManagedSettings(flags, globals, false, { access: 'read', lazyCertificates: true });
  if (!settings.store) {
    throw new UsageError('apply stores the specs in store.postgres; with the state directory every run reads them from the config', 'nothing to do: run certfleet renew, or add store.postgres to the config');
  }
  const store = await openStateStore(settings, { env: process.env, pid: process.pid, now: () => new Date(), logger, binaryVersion: packageVersion() });
  let result: ApplyResult;
  try {
    result = await applySpecs(settings, store.specs!, { dryRun, appliedBy: runnerId(process.pid) });
  } finally {
    await store.close();
  }
  await writeOutput([render(result, store.location, (flags.format as 'table' | 'json' | undefined) ?? 'table')], undefined);
  return ExitCode.ok;
}

function render(result: ApplyResult, location: string, format: 'table' | 'json'): string {
  if (format === 'json') return `${JSON.stringify({ schemaVersion: APPLY_SCHEMA_VERSION, store: location, ...result }, null, 2)}\n`;
  const list = (what: string, names: string[]) => (names.length === 0 ? [] : [`${what} (${names.length}): ${names.slice(0, 20).join(', ')}${names.length > 20 ? `, and ${names.length - 20} more` : ''}`]);
  const lines = [
    `${result.dryRun ? 'would apply' : 'applied'} ${result.added.length + result.changed.length + result.unchanged} certificate(s) from ${result.files} file(s) to ${location}`,
    ...list(result.dryRun ? 'would add' : 'added', result.added),
    ...list(result.dryRun ? 'would change' : 'changed (looked at by the next run)', result.changed),
    ...list(result.dryRun ? 'would archive' : 'archived (gone from the config; versions and keys kept)', result.archived),
    `${result.unchanged} unchanged`,
  ];
  return lines.map(escapeControls).join('\n') + '\n';
}
