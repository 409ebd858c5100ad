/** `certfleet apply`: flag definitions only; the work is in apply-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';

export function defineApplyCommand(program: Command): void {
  program
    .command('apply')
    .description("store the config's managed certificates (certificates: and certificates.d/) in the PostgreSQL store; renew runs what the store holds")
    .option('--dry-run', 'say what would be added, changed and archived; change nothing')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr')
    .addHelpText(
      'after',
      [
        '',
        'A renew on the PostgreSQL store applies the config by itself when it changed since the last apply;',
        'apply does it explicitly (a deploy pipeline, or runners whose configs have no certificates).',
        'A certificate gone from the config is archived: out of every run, its versions and keys kept.',
        'Exit codes: 0 applied, 2 config error (the store is unchanged).',
      ].join('\n'),
    )
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { runApply } = await import('./apply-action.js');
      process.exitCode = await runApply(flags, command.optsWithGlobals<GlobalOptions>());
    });
}
