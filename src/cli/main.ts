/**
 * Entry point: commander wiring only. Each command's implementation is imported when it runs,
 * so `certfleet --version` and `--help` load almost nothing.
 */
import { Command, CommanderError } from 'commander';
import { defineAgentCommand } from './commands/agent.js';
import { defineApplyCommand } from './commands/apply.js';
import { defineDnsCommands } from './commands/dns.js';
import { defineInventoryCommand } from './commands/inventory.js';
import { defineLogCommand } from './commands/log.js';
import { defineRenewCommands } from './commands/renew.js';
import { defineReportCommand } from './commands/report.js';
import { defineRevocationCommands } from './commands/revocation.js';
import { defineStoreCommands } from './commands/store.js';
import { exitCodeFor, reportError } from './errors.js';
import { packageVersion } from './version.js';

export interface GlobalOptions {
  config?: string;
  quiet?: boolean;
  color?: boolean;
}

export async function main(argv: string[]): Promise<void> {
  // `certfleet ... | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exitCode ??= 0;
  });
  const program = new Command('certfleet')
    .description('Find, renew, revoke and report on every TLS certificate you have; ready for 47-day lifetimes.')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'config file (default: certfleet.config.yaml, .certfleetrc* or package.json "certfleet" in the current directory)')
    .option('-q, --quiet', 'errors only on stderr; renew prints its result only when something failed (for cron)')
    .option('--no-color', 'no colours in human output')
    .showSuggestionAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or config error, 3 some sources could not be read.\nDocs: README.md',
    );

  defineInventoryCommand(program);
  defineRenewCommands(program);
  defineLogCommand(program);
  defineReportCommand(program);
  defineRevocationCommands(program);
  defineApplyCommand(program);
  defineAgentCommand(program);
  defineStoreCommands(program);
  defineDnsCommands(program);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not failures; anything else commander rejects is a usage error.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    reportError(err, process.stderr);
    process.exitCode = exitCodeFor(err);
  }
}
