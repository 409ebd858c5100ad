/** `certfleet log`: flag definitions only; the work is in log-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';

export function defineLogCommand(program: Command): void {
  program
    .command('log')
    .description("what renew decided and did, run by run (the state directory's history.jsonl); newest last")
    .argument('[name]', 'only this managed certificate')
    .option('--since <when>', 'only entries at or after this: a duration back from now (30m, 24h, 7d) or a date (YYYY-MM-DD or ISO 8601)')
    .option('--state-dir <dir>', 'state directory (default: /var/lib/certfleet as root, else ~/.local/state/certfleet; or stateDir in the config)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr')
    .addHelpText('after', '\nExamples:\n  certfleet log --since 24h\n  certfleet log www --since 2026-03-01 --format json')
    .action(async (name: string | undefined, flags: Record<string, unknown>, command: Command) => {
      const { runLogCommand } = await import('./log-action.js');
      process.exitCode = await runLogCommand(name, flags, command.optsWithGlobals<GlobalOptions>());
    });
}
