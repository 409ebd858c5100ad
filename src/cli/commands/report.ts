/** `certfleet report`: flag definitions only (cheap to load for --help); the work is in report-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { reportFormats } from '../render/report-formats.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} takes a whole number, not "${value}"`);
  return n;
};

export function defineReportCommand(program: Command): void {
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
    .option('--min-score <score>', 'exit 1 when a deadline scores below SCORE (0-100); DEADLINE=SCORE for one deadline; repeatable', collect, [])
    .option('--nginx <file>', 'nginx main config to read (includes are followed); repeatable', collect, [])
    .option('--apache <file>', 'Apache httpd main config; repeatable', collect, [])
    .option('--haproxy <file>', 'HAProxy config; repeatable', collect, [])
    .option('--traefik <file>', 'Traefik static or file-provider dynamic config; repeatable', collect, [])
    .option('--no-detect-proxies', 'do not look for nginx/Apache/HAProxy/Traefik configs inside scanned directories')
    .option('--root <dir>', 'read absolute paths in proxy configs under this directory')
    .option('--endpoint <spec>', 'TLS endpoint host:port[,sni=NAME][,starttls=PROTO]; repeatable', collect, [])
    .option('--endpoints <file>', 'file of endpoint specs, one a line')
    .option('--ca <file>', 'extra trusted root(s) for endpoint and chain checks; repeatable', collect, [])
    .option('--password-env <var>', 'environment variable holding a keystore/key password; repeatable', collect, [])
    .option('--password-file <file>', 'file whose first line is a keystore/key password; repeatable', collect, [])
    .option('--exclude <glob>', 'skip paths matching this glob; repeatable', collect, [])
    .option('--concurrency <n>', 'endpoints scanned at once (default 64)', positiveInt('--concurrency'))
    .option('--connect-timeout <duration>', 'TCP connect timeout per endpoint (default 5s)')
    .option('--handshake-timeout <duration>', 'TLS handshake timeout per endpoint (default 5s)')
    .option('--workers <n>', 'file-parsing worker threads (default: one per core; 0 = none)', positiveInt('--workers'))
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
