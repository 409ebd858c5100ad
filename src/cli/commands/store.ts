/** `certfleet store migrate|import|export|rotate-key|grant-agent|revoke-agent`: flag definitions only; the work is in store-action.ts, store-transfer-action.ts and store-agent-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { wholeNumber } from './flag-parsers.js';
import { storeOption } from './store-flag.js';

function common(command: Command): Command {
  return command
    .addOption(storeOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr');
}

type Run = (flags: Record<string, unknown>, globals: GlobalOptions) => Promise<number>;

function action(load: () => Promise<Run>) {
  return async (flags: Record<string, unknown>, command: Command) => {
    process.exitCode = await (await load())(flags, command.optsWithGlobals<GlobalOptions>());
  };
}

export function defineStoreCommands(program: Command): void {
  const store = program.command('store').description('the shared PostgreSQL state store (config section store.postgres)');
  common(store.command('migrate').description('create or update the database schema certfleet needs; run once after installing or upgrading certfleet'))
    .addHelpText('after', '\nSafe to run while renewals run and on several hosts at once: migrations take a lock and apply in order.\nExit codes: 0 the schema is current, 2 config error, server unreachable or schema newer than this certfleet.')
    .action(action(async () => (await import('./store-action.js')).runStoreMigrate));

  common(store.command('import').description('copy a state directory (certificates, versions and keys, accounts, run records) into the PostgreSQL store'))
    .requiredOption('--from <dir>', 'the state directory to copy (it is only read)')
    .option('--overwrite', "replace a certificate's current version or state, an account record or a run record that the database holds differently")
    .addHelpText(
      'after',
      [
        '',
        'Safe to run twice: what the database already holds is counted, not written again. Versions are merged by id;',
        "an account key in the database that differs from the directory's is reported and never overwritten.",
        'Exit codes: 0 everything copied or already present, 1 something differs and was left (listed) or could not be copied, 2 usage/config error.',
      ].join('\n'),
    )
    .action(action(async () => (await import('./store-transfer-action.js')).runStoreImport));

  common(store.command('export').description("write the PostgreSQL store's state into a new state directory (the layout the file store reads)"))
    .requiredOption('--to <dir>', 'a new or empty directory (created 0700; keys 0600)')
    .addHelpText('after', '\nExit codes: 0 exported, 1 something could not be copied (listed), 2 usage/config error or the directory is not empty.')
    .action(action(async () => (await import('./store-transfer-action.js')).runStoreExport));

  common(store.command('rotate-key').description('re-encrypt every private key in the store under store.encryptionKeyFile'))
    .option('--batch-size <n>', 'rows per transaction (default 100)', wholeNumber('--batch-size', 1))
    .addHelpText(
      'after',
      [
        '',
        'Put the new key in store.encryptionKeyFile and the old one in store.previousEncryptionKeyFiles first. Safe to',
        'interrupt and to run while renewals run: rows already under the new key are skipped. A row under a key in',
        'neither setting stops it before anything is written.',
        'Exit codes: 0 every row is under the new key, 2 usage/config error or unknown key id, 3 interrupted or rows remain: run it again.',
      ].join('\n'),
    )
    .action(action(async () => (await import('./store-transfer-action.js')).runStoreRotateKey));

  common(store.command('grant-agent').description("give a host's agent a PostgreSQL role of its own that sees only that host's certificates, keys and deployments"))
    .requiredOption('--host <host>', 'the host, as the specs name it in hosts:')
    .option('--role <name>', 'the login role (created when missing; default certfleet_agent_<host>)')
    .option('--public-key <file>', "register (or replace) the host's agent key: the output of certfleet agent --print-public-key on the host; its current keys are wrapped to it now when the config names the data key")
    .addHelpText(
      'after',
      [
        '',
        'Run it as the role that owns the store (it needs CREATEROLE). Safe to run again. No password is set: set one with',
        "psql's \\password, or authenticate the role by certificate; then put the printed URL in the agent's store.postgres.",
        'Exit codes: 0 granted, 2 usage/config error, a role bound to another host or one row-level security would not limit.',
      ].join('\n'),
    )
    .action(action(async () => (await import('./store-agent-action.js')).runStoreGrantAgent));

  common(store.command('revoke-agent').description("take a host's agent role(s) out of certfleet_agent: it reads nothing of the store any more"))
    .requiredOption('--host <host>', 'the host')
    .option('--role <name>', 'only this role of the host')
    .addHelpText('after', '\nThe login role is kept (DROP ROLE it yourself). Safe to run again.\nExit codes: 0 revoked or nothing to revoke, 2 usage/config error.')
    .action(action(async () => (await import('./store-agent-action.js')).runStoreRevokeAgent));
}
