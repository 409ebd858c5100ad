/** `certfleet agent`: flag definitions only; the work is in agent-action.ts. */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { wholeNumber } from './flag-parsers.js';

export function defineAgentCommand(program: Command): void {
  program
    .command('agent')
    .description("deploy this host's certificates: the current versions in the PostgreSQL store of every certificate whose spec names the host in hosts:")
    .option('--host <name>', 'this host as certificate specs name it in hosts: (default: the hostname)')
    .option('--once', 'deploy what is due once and exit (run it from a systemd timer); without it the agent runs until SIGTERM or SIGINT')
    .option('--interval <duration>', 'the long-running agent\'s safety pass, should a notification be lost (default 1h)')
    .option('--metrics-listen <[host:]port>', 'serve Prometheus /metrics here (loopback when only a port is given)')
    .option('--http-01-listen <[host:]port>', "answer http-01 challenges from the shared store here, for certificates with challenge: { type: http-01, agents: true } (loopback when only a port is given; 0.0.0.0:80, or a port the web server's /.well-known/acme-challenge/ location proxies to)")
    .option('--tls-alpn-01-listen <[host:]port>', "answer tls-alpn-01 challenges from the shared store here, for certificates with challenge: { type: tls-alpn-01, agents: true } (loopback when only a port is given; 0.0.0.0:443, or a port the TLS front end routes ALPN acme-tls/1 to)")
    .option('--concurrency <n>', 'certificates deployed at once (default 4; activating and deploy commands take turns)', wholeNumber('--concurrency', 1))
    .option('--root <dir>', 'prefix every deploy path with this directory (an image or a container root); deploy commands see it in CERTFLEET_ROOT')
    .option('--state-dir <dir>', "this host's own state directory (its deploy journal and agent-key.pem), instead of the config's stateDir")
    .option('--print-public-key', "print this agent's public key (made in the state directory on first use) and exit: for store grant-agent --public-key")
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-v, --verbose', 'debug messages on stderr')
    .addHelpText(
      'after',
      [
        '',
        'A runner (certfleet renew) orders each certificate once; the agent on each host named in its',
        'hosts: deploys the current version exactly as renew deploys on one host (deploy files, commands,',
        'verify, rollback) and reports to the store what it deployed or why it failed.',
        'Without --once the agent is a service (systemd Type=simple): a pass at start, then one whenever the',
        'store notifies a new current version of a certificate assigned to the host, when a failed deployment',
        'is due again (1 min doubling to 1 h), after the store connection comes back, and every --interval.',
        'With --http-01-listen it also answers the CA for names that point at this host: the token a runner',
        'put in the store (challenge agents: true), one lookup per request; anything else is 404.',
        'With --tls-alpn-01-listen likewise for tls-alpn-01: a handshake offering ALPN acme-tls/1 gets the',
        'challenge certificate for the name in SNI; any other handshake is refused without a certificate.',
        'SIGTERM or SIGINT: it finishes the deployment under way and exits 0.',
        "Keys: the agent has a key pair of its own (agent-key.pem in its state directory, made on first start) and registers",
        "its public key for its host when the host has none; runners then wrap each private key to it, and the agent's",
        'config needs no store.encryptionKeyFile. Until then it decrypts with the data key, if configured. The log says which.',
        "Config: the agent's needs only store (stateDir optional): it never orders, so no acme section,",
        'CA account or challenge secrets; a spec is resolved on the host for its deploy part only.',
        'Exit codes (--once): 0 every certificate deployed (or waiting for its first issuance), 1 a deployment failed, 2 usage or config error.',
      ].join('\n'),
    )
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const { runAgent } = await import('./agent-action.js');
      process.exitCode = await runAgent(flags, command.optsWithGlobals<GlobalOptions>());
    });
}
