/** `certfleet dns ...`: flag definitions only; the work is in dns-action.ts and dns-persist-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';

export function defineDnsCommands(program: Command): void {
  const dns = program.command('dns').description('dns-01 helpers: the DNS providers certfleet can use; dns-persist-01 records');
  dns
    .command('providers')
    .description('the DNS providers for challenge: { type: dns-01, provider: NAME }: names, options, secrets with lego\'s variables, API reference')
    .addOption(new Option('-f, --format <format>', 'output format (markdown: the README\'s table)').choices(['table', 'json', 'markdown']).default('table'))
    .addHelpText('after', '\nExamples:\n  certfleet dns providers\n  certfleet dns providers --format json')
    .action(async (flags: Record<string, unknown>) => {
      const { runDnsProvidersCommand } = await import('./dns-action.js');
      process.exitCode = await runDnsProvidersCommand(flags);
    });
  dns
    .command('persist-record <name>')
    .description('the dns-persist-01 TXT records to publish for a managed certificate (one per base name), for the stored ACME account')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['zone', 'json']).default('zone'))
    .option('--state-dir <dir>', 'state directory (accounts)')
    .addHelpText('after', '\nThe account must exist: run `certfleet account register` first.\nExamples:\n  certfleet dns persist-record web\n  certfleet dns persist-record web --format json')
    .action(async (name: string, flags: Record<string, unknown>, command: Command) => {
      const { runPersistRecordCommand } = await import('./dns-persist-action.js');
      process.exitCode = await runPersistRecordCommand(name, flags, command.optsWithGlobals<GlobalOptions>());
    });
}
