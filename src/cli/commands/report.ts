/** `certfleet report`: flag definitions only (cheap to load for --help); the work is in report-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { reportFormats } from '../render/report-formats.js';
import { collect } from './flag-parsers.js';
import { addSourceOptions } from './source-options.js';

export function defineReportCommand(program: Command): void {
  addSourceOptions(
    program
      .command('report')
      .description('readiness for every certificate-lifetime deadline: what breaks, when, and what to fix first')
      .argument('[paths...]', 'files or directories to scan now (as `inventory` does); or use --inventory')
      .option('--inventory <file>', 'read a saved inventory (`certfleet inventory --format json` or ndjson) instead of scanning')
      .option('--state-dir <dir>', 'read managed state (managed.json) and the last drill (drills/latest.json) from this directory')
      .option('--as-of <date>', 'evaluate the fleet as of this date (YYYY-MM-DD or ISO 8601) instead of now')
      .option('-f, --format <formats>', `output format: ${reportFormats.join(', ')}; several, comma-separated, with --output FILE.{ext}`, 'summary')
      .option('-o, --output <file>', 'write to this file (atomically) instead of stdout; {ext} in it becomes each format\'s extension')
      .addOption(new Option('--fail-on <severity>', 'exit 1 when an inventory finding is at or above this severity (default never)').choices(['error', 'warning', 'info', 'never']))
      .option('--min-score <score>', 'exit 1 when a deadline scores below SCORE (0-100); DEADLINE=SCORE for one deadline; repeatable', collect, []),
  )
    .addHelpText(
      'after',
      `
Examples:
  certfleet report /etc/ssl --nginx /etc/nginx/nginx.conf
  certfleet inventory /etc/ssl --format json --output inventory.json
  certfleet report --inventory inventory.json --format html --output readiness.html
  certfleet report --inventory inventory.json --format sarif --output certfleet.sarif --min-score 70
  certfleet report --inventory inventory.json --format json,html,sarif,prometheus --output out/readiness.{ext}
  certfleet report --inventory inventory.json --as-of 2029-03-15 --format markdown`,
    )
    .action(async (paths: string[], flags: Record<string, unknown>, command: Command) => {
      const { runReportCommand } = await import('./report-action.js');
      process.exitCode = await runReportCommand(paths, flags, command.optsWithGlobals<GlobalOptions>());
    });
}
