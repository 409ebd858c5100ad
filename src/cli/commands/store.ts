/** `certfleet store migrate`: flag definitions only; the work is in store-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';

export function defineStoreCommands(program: Command): void {
  const store = program.command('store').description('the shared PostgreSQL state store (config section store.postgres)');
  store
    .command('migrate')
    .description('create or update the database schema certfleet needs; run once after installing or upgrading certfleet')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr')
    .addHelpText('after', '\nSafe to run while renewals run and on several hosts at once: migrations take a lock and apply in order.\nExit codes: 0 the schema is current, 2 config error, server unreachable or schema newer than this certfleet.')
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { runStoreMigrate } = await import('./store-action.js');
      process.exitCode = await runStoreMigrate(flags, command.optsWithGlobals<GlobalOptions>());
    });
}
