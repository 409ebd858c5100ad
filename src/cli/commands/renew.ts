/** `renew`, `issue`, `deploy`, `status`, `account`, `remove`: flag definitions only; the work is in renew-action.ts. */
import { Argument, Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { wholeNumber } from './flag-parsers.js';
import { storeOption } from './store-flag.js';

function stateOptions(command: Command): Command {
  return command
    .option('--state-dir <dir>', 'state directory (default: /var/lib/certfleet as root, else ~/.local/state/certfleet; or stateDir in the config)')
    .addOption(storeOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr');
}

async function action<T extends unknown[]>(name: string, args: T, command: Command): Promise<void> {
  const mod = await import('./renew-action.js');
  process.exitCode = await mod.runRenewFamily(name as 'renew' | 'issue' | 'deploy' | 'status' | 'account' | 'remove', args, command.opts(), command.optsWithGlobals<GlobalOptions>());
}

export function defineRenewCommands(program: Command): void {
  stateOptions(
    program
      .command('renew')
      .description('renew (and deploy) every managed certificate that is due; safe to run every minute')
      .argument('[names...]', 'only these managed certificates'),
  )
    .option('--force', 'renew even if not due (skips the storm guard and backoff)')
    .option('--dry-run', "a full run against the CA's staging directory (or acme.dryRunServer) with throwaway state: account, order, real validation; nothing deployed, the real state untouched")
    .option('--plan', 'decide and report what would be renewed; contact no CA, change nothing')
    .option('--staging', "use the CA preset's staging directory (letsencrypt, google, buypass)")
    .option('--concurrency <n>', 'certificates renewed at once (default 4)', wholeNumber('--concurrency', 1))
    .option('--lock-wait <duration>', 'how long to wait for another run holding the state directory (default 10s)')
    .option('--metrics-file <path>', "write Prometheus metrics for node_exporter's textfile collector (atomically), e.g. /var/lib/node_exporter/textfile/certfleet.prom")
    .addHelpText(
      'after',
      '\nWith --quiet nothing is printed unless something failed (for cron); `certfleet log` shows what each run did.\n' +
        'Exit codes: 0 nothing failed, 1 a certificate failed (its previous files stay in place), 2 usage/config error, 3 another run holds the lock, ' +
        'or the run summary, history or --metrics-file could not be written.',
    )
    .action((names: string[], _o, command: Command) => action('renew', [names], command));

  stateOptions(program.command('issue').description('order a new certificate for NAME now, whatever its schedule').argument('<name>', 'managed certificate name'))
    .option('--staging', "use the CA preset's staging directory")
    .option('--lock-wait <duration>', 'how long to wait for another run holding the state directory (default 10s)')
    .action((name: string, _o, command: Command) => action('issue', [name], command));

  stateOptions(
    program
      .command('deploy')
      .description('put the certificate certfleet holds in place again (deploy paths, commands, verify) without ordering one')
      .argument('[names...]', 'only these managed certificates'),
  )
    .option('--dry-run', 'say what would be deployed; change nothing')
    .option('--concurrency <n>', 'certificates deployed at once (default 4)', wholeNumber('--concurrency', 1))
    .option('--lock-wait <duration>', 'how long to wait for another run holding the state directory (default 10s)')
    .addHelpText('after', '\nrenew does this by itself when a deploy section changed or a deployment failed after issuance.\nExit codes: 0 deployed, 1 a deployment failed (the previous files are back in place), 2 usage/config error, 3 another run holds the lock.')
    .action((names: string[], _o, command: Command) => action('deploy', [names], command));

  stateOptions(
    program
      .command('remove')
      .description('stop managing NAME: its deployed links become plain files (the site keeps serving) and its state is archived')
      .argument('<name>', 'managed certificate name (also one no longer in the config)'),
  )
    .option('--revoke', 'revoke its current certificate first (cessationOfOperation); needs --yes')
    .option('--delete-files', 'delete the deployed files instead of leaving plain copies')
    .option('--yes', 'confirm --revoke (it cannot be undone)')
    .option('--lock-wait <duration>', 'how long to wait for another run holding the state directory (default 10s)')
    .action((name: string, _o, command: Command) => action('remove', [name], command));

  stateOptions(
    program
      .command('status')
      .description('each managed certificate: serial, expiry, next renewal time and why (from the state directory, or the shared store)')
      .argument('[names...]', 'only these managed certificates'),
  )
    .option('--as-of <date>', 'compute next renewals as of this date')
    .action((names: string[], _o, command: Command) => action('status', [names], command));

  stateOptions(
    program
      .command('account')
      .description('the ACME account for the configured CA')
      .addArgument(new Argument('<action>', 'register | show | rollover | deactivate').choices(['register', 'show', 'rollover', 'deactivate'])),
  )
    .option('--server <server>', 'CA preset or directory URL (default: acme.server from the config)')
    .option('--staging', "use the CA preset's staging directory")
    .option('--yes', 'confirm deactivate (it cannot be undone)')
    .action((verb: string, _o, command: Command) => action('account', [verb], command));
}
