/** `revoke`, `replace` and `drill`: flag definitions only; the work is in revocation-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { collect, wholeNumber } from './flag-parsers.js';


/** The selection of the affected set, shared by both commands (see src/revocation/affected.ts). */
function selectionOptions(command: Command): Command {
  return command
    .argument('[names...]', 'managed certificate names')
    .option('--all', 'every managed certificate')
    .option('--serial <hex>', 'the current certificate has this serial number (repeatable)', collect)
    .option('--serials-from <file>', 'serial numbers from a file, one a line (first field: a CA\'s CSV works as is)')
    .option('--domain <name>', 'covers this name; *.example.com: that domain or any name under it (repeatable)', collect)
    .option('--issuer <text>', "the current certificate's issuer contains this text (case-insensitive)")
    .option('--key <sha256>', 'the current certificate certifies this public key (SHA-256 of the SPKI, hex; repeatable)', collect)
    .option('--state-dir <dir>', 'state directory (default: stateDir in the config, else /var/lib/certfleet as root or ~/.local/state/certfleet)')
    .option('--concurrency <n>', 'certificates handled at once (default 4)', wholeNumber('--concurrency', 1))
    .option('--lock-wait <duration>', 'how long to wait for another run holding the state directory (default 10s)')
    .option('--wait <duration>', 'certificates whose spec names hosts (store.postgres): how long to wait for every host\'s agent to confirm the replacement deployed (default 30m)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr');
}

async function action(name: 'revoke' | 'drill' | 'replace', names: string[], command: Command): Promise<void> {
  const mod = await import('./revocation-action.js');
  process.exitCode = await mod.runRevocationCommand(name, names, command.opts(), command.optsWithGlobals<GlobalOptions>());
}

export function defineRevocationCommands(program: Command): void {
  selectionOptions(program.command('revoke').description('replace, then revoke, the selected managed certificates (an incident, a compromised key)'))
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 reason sent to the CA')
        .choices(['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'])
        .default('superseded'),
    )
    .option('--no-replace', 'revoke at once, without replacing first (only for certificates no longer in service)')
    .option('--dry-run', 'show what would be revoked and the blast radius; contact no CA, change nothing')
    .option('--yes', 'confirm: revocation cannot be undone (not needed with --dry-run)')
    .addHelpText(
      'after',
      '\nEach certificate is replaced (ordered, deployed, confirmed served) before the old one is revoked; one whose\nreplacement fails is left valid and in service, and reported. keyCompromise is signed with the certificate\'s own key.\n' +
        'A certificate whose spec names hosts is revoked only once every host\'s agent confirmed its replacement deployed;\none with hosts failed or not reporting at the end of --wait is left valid and reported: run revoke again later.\n' +
        'Exit codes: 0 every selected certificate revoked (or already), 1 some not revoked, 2 usage/config error, 3 another run holds the lock.',
    )
    .action((names: string[], _o, command: Command) => action('revoke', names, command));

  selectionOptions(program.command('replace').description('replace the selected certificates now, e.g. those a CA will revoke after an incident: order, deploy, confirm served'))
    .addHelpText(
      'after',
      '\nThe same work as a drill, for real: nothing is revoked (the CA does that); each replacement is timed and the run\nis recorded in <stateDir>/replacements/. Needs a selection or --all.\n' +
        'Exit codes: 0 every certificate replaced, 1 some could not be, 2 usage/config error, 3 another run holds the lock.',
    )
    .option('--dry-run', 'show what would be replaced and the blast radius; contact no CA, change nothing')
    .action((names: string[], _o, command: Command) => action('replace', names, command));

  selectionOptions(program.command('drill').description('rehearse a mass replacement: replace the selected certificates (all by default) and measure against the 24-hour and 5-day deadlines'))
    .addHelpText(
      'after',
      '\nNothing is revoked: a drill is an early renewal of every selected certificate, timed from its start. The\nmeasurement is written to <stateDir>/drills/ (latest.json is what `certfleet report` reads).\n' +
        'Exit codes: 0 every certificate replaced, 1 some could not be, 2 usage/config error, 3 another run holds the lock.',
    )
    .option('--dry-run', 'show what would be drilled and the blast radius; contact no CA, change nothing')
    .action((names: string[], _o, command: Command) => action('drill', names, command));
}
