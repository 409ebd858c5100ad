/** `certfleet inventory`: flag definitions only (cheap to load for --help); the work is in inventory-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} takes a whole number, not "${value}"`);
  return n;
};

export function defineInventoryCommand(program: Command): void {
  program
    .command('inventory')
    .description('find every certificate and private key in files, proxy configs and live TLS endpoints, and check them')
    .argument('[paths...]', 'files or directories to scan (recursively)')
    .option('--nginx <file>', 'nginx main config to read (includes are followed); repeatable', collect, [])
    .option('--apache <file>', 'Apache httpd main config; repeatable', collect, [])
    .option('--haproxy <file>', 'HAProxy config; repeatable', collect, [])
    .option('--traefik <file>', 'Traefik static or file-provider dynamic config; repeatable', collect, [])
    .option('--no-detect-proxies', 'do not look for nginx/Apache/HAProxy/Traefik configs inside scanned directories')
    .option('--root <dir>', 'read absolute paths in proxy configs under this directory (a mounted copy of another system)')
    .option('--endpoint <spec>', 'TLS endpoint host:port[,sni=NAME][,starttls=smtp|imap|pop3|ftp|postgres|ldap|xmpp]; repeatable', collect, [])
    .option('--endpoints <file>', 'file of endpoint specs, one a line')
    .option('--ca <file>', 'extra trusted root(s) for endpoint and chain checks (PEM or DER); repeatable', collect, [])
    .option('--password-env <var>', 'environment variable holding a keystore/key password; repeatable', collect, [])
    .option('--password-file <file>', 'file whose first line is a keystore/key password; repeatable', collect, [])
    .option('--exclude <glob>', 'skip paths matching this glob; repeatable', collect, [])
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'ndjson', 'csv']).default('table'))
    .option('-o, --output <file>', 'write the output to this file (atomically) instead of stdout')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info', 'never']))
    .option('--as-of <date>', 'evaluate expiry findings as of this date instead of now')
    .option('--concurrency <n>', 'endpoints scanned at once (default 64)', positiveInt('--concurrency'))
    .option('--connect-timeout <duration>', 'TCP connect timeout per endpoint (default 5s)')
    .option('--handshake-timeout <duration>', 'TLS (and STARTTLS) handshake timeout per endpoint (default 5s)')
    .option('--workers <n>', 'file-parsing worker threads (default: one per core; 0 = none)', positiveInt('--workers'))
    .addHelpText(
      'after',
      `
Examples:
  certfleet inventory /etc/ssl /etc/letsencrypt
  certfleet inventory --nginx /etc/nginx/nginx.conf --endpoint mail.example.com:25,starttls=smtp
  certfleet inventory /srv/certs --format json --output inventory.json --fail-on warning`,
    )
    .action(async (paths: string[], flags: Record<string, unknown>, command: Command) => {
      const { runInventoryCommand } = await import('./inventory-action.js');
      process.exitCode = await runInventoryCommand(paths, flags, command.optsWithGlobals<GlobalOptions>());
    });
}
