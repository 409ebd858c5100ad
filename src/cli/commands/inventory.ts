/** `certfleet inventory`: flag definitions only (cheap to load for --help); the work is in inventory-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { addSourceOptions } from './source-options.js';

export function defineInventoryCommand(program: Command): void {
  addSourceOptions(
    program
      .command('inventory')
      .description('find every certificate and private key in files, proxy configs and live TLS endpoints, and check them')
      .argument('[paths...]', 'files or directories to scan (recursively)'),
  )
    .addOption(new Option('-f, --format <format>', 'output format (cyclonedx: a CycloneDX 1.6 cryptographic bill of materials)').choices(['table', 'json', 'ndjson', 'csv', 'cyclonedx']).default('table'))
    .option('-o, --output <file>', 'write the output to this file (atomically) instead of stdout')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'never']))
    .option('--as-of <date>', 'evaluate expiry findings as of this date instead of now')
    .addHelpText(
      'after',
      `
Examples:
  certfleet inventory /etc/ssl /etc/letsencrypt
  certfleet inventory --nginx /etc/nginx/nginx.conf --endpoint mail.example.com:25,starttls=smtp
  certfleet inventory /srv/certs --format json --output inventory.json --fail-on warning
  certfleet inventory /etc /srv --format cyclonedx --output cbom.json --fail-on never`,
    )
    .action(async (paths: string[], flags: Record<string, unknown>, command: Command) => {
      const { runInventoryCommand } = await import('./inventory-action.js');
      process.exitCode = await runInventoryCommand(paths, flags, command.optsWithGlobals<GlobalOptions>());
    });
}
