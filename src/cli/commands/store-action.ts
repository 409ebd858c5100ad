/** `certfleet store migrate`: the store section from the config, the migration, the schema versions before and after; the store settings every `store` subcommand resolves. */
import { dirname } from 'node:path';
import { loadConfig, noConfigFileError } from '../../config/load.js';
import { resolveStore } from '../../config/renew-options.js';
import { ExitCode, UsageError } from '../../errors.js';
import { migrateStore, type MigrateStoreResult, type ResolvedStoreSettings } from '../../store/open-store.js';
import { stderrLogger } from '../logger.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControls } from '../render/escape.js';
import { packageVersion } from '../version.js';
import { storeFromFlag } from './store-flag.js';

export const STORE_MIGRATE_SCHEMA_VERSION = 1;

export async function runStoreMigrate(flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const store = await resolveStoreSettings(flags, globals, 'migrate');
  const logger = stderrLogger({ quiet: globals.quiet ?? false, verbose: flags.verbose === true });
  const result = await migrateStore(store, { env: process.env, logger, binaryVersion: packageVersion() });
  await writeOutput([render(result, (flags.format as 'table' | 'json' | undefined) ?? 'table')], undefined);
  return ExitCode.ok;
}

/** The subcommands that read and write no private key, and so need no encryption key. */
const KEYLESS = new Set(['migrate', 'grant-agent', 'revoke-agent']);

/**
 * The config's store section with --store applied, for every `store` subcommand. migrate and the
 * agent roles work without an encryption key (they read and write no private key).
 */
export async function resolveStoreSettings(flags: Record<string, unknown>, globals: GlobalOptions, command: 'migrate' | 'import' | 'export' | 'rotate-key' | 'grant-agent' | 'revoke-agent'): Promise<ResolvedStoreSettings> {
  const loaded = await loadConfig(process.cwd(), globals.config);
  if (!loaded.filePath) throw noConfigFileError(process.cwd());
  const configured = resolveStore(loaded.config.store, dirname(loaded.filePath));
  const store =
    typeof flags.store === 'string'
      ? await storeFromFlag(loaded.config.store, flags.store, { configFile: loaded.filePath, cwd: process.cwd(), needsKey: !KEYLESS.has(command) })
      : configured;
  if (!store) {
    throw new UsageError(
      command === 'migrate' ? `${loaded.filePath} has no store.postgres section: the state directory needs no migration` : `${loaded.filePath} has no store.postgres section: store ${command} works on a PostgreSQL store`,
      'add store.postgres (and store.encryptionKeyFile) to use a PostgreSQL store, or name one with --store',
    );
  }
  return store;
}

function render(result: MigrateStoreResult, format: 'table' | 'json'): string {
  if (format === 'json') {
    return `${JSON.stringify({ schemaVersion: STORE_MIGRATE_SCHEMA_VERSION, server: result.server, from: result.from, to: result.to, applied: result.applied }, null, 2)}\n`;
  }
  const server = escapeControls(result.server);
  if (result.applied.length === 0) return `${server}: schema version ${result.to}, up to date\n`;
  return `${server}: schema version ${result.from} -> ${result.to} (applied migration${result.applied.length === 1 ? '' : 's'} ${result.applied.join(', ')})\n`;
}
