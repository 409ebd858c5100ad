/** The flags that say what to scan, shared by every command that runs an inventory (inventory, report). */
import { Option, type Command } from 'commander';
import { collect, wholeNumber } from './flag-parsers.js';


export function addSourceOptions(command: Command): Command {
  return command
    .option('--nginx <file>', 'nginx main config to read (includes are followed); repeatable', collect, [])
    .option('--apache <file>', 'Apache httpd main config; repeatable', collect, [])
    .option('--apache-define <name>', 'a name httpd is started with -D, for <IfDefine> in Apache configs; repeatable', collect, [])
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
    .addOption(new Option('--trust-stores <mode>', 'roots only system trust stores hold (CA bundle, hash links, Java cacerts): list as trust anchors unchecked, check like the fleet, or skip (default anchors)').choices(['anchors', 'check', 'skip']))
    .option('--concurrency <n>', 'endpoints scanned at once (default 64)', wholeNumber('--concurrency'))
    .option('--connect-timeout <duration>', 'TCP connect timeout per endpoint (default 5s)')
    .option('--handshake-timeout <duration>', 'TLS (and STARTTLS) handshake timeout per endpoint (default 5s)')
    .option('--workers <n>', 'file-parsing processes (default: one per core, started when files are slow to parse, e.g. keystores; 0 = never)', wholeNumber('--workers'));
}
