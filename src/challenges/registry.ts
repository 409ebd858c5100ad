/**
 * The one table of solvers: each kind of `challenge:` config maps to a factory. Adding a DNS
 * provider is one entry here, one config shape in config.ts, and a run of the conformance suite.
 */
import type { ExecDnsConfig, Http01Config, ResolvedChallengeConfig, ResolvedRfc2136Config, TlsAlpn01Config } from './config.js';
import { parseHostPort } from './config.js';
import { ExecDnsSolver } from './dns-01/exec.js';
import { Rfc2136Solver } from './dns-01/rfc2136.js';
import type { SystemResolvers } from './dns/resolvers.js';
import type { DnsServer } from './dns/transport.js';
import { AgentsHttpSolver } from './http-01/agents.js';
import { StandaloneHttpSolver } from './http-01/standalone.js';
import { WebrootSolver } from './http-01/webroot.js';
import { TlsAlpnSolver } from './tls-alpn-01/standalone.js';
import type { ChallengeSolver } from './types.js';
import { ConfigError } from '../errors.js';
import type { ChallengeTokens } from '../store/ports.js';

export interface SolverDeps {
  /** Environment exec hooks start from (the CLI passes process.env); default: none but CERTFLEET_*. */
  hookEnv?: Readonly<Record<string, string | undefined>>;
  /** The managed certificate the solver works for (CERTFLEET_NAME for hooks). */
  certificateName?: string;
  /** Where dns-01 exec finds the system resolvers when the config names none (default: /etc/resolv.conf). */
  systemResolvers?: SystemResolvers;
  /** The shared store's challenge answers (http-01 `agents: true` puts its answers there). */
  challengeTokens?: ChallengeTokens;
}

interface SolverConfigs {
  'http-01/webroot': Http01Config & { webroot: string };
  'http-01/standalone': Http01Config & { standalone: NonNullable<Http01Config['standalone']> };
  'http-01/agents': Http01Config & { agents: true };
  'tls-alpn-01': TlsAlpn01Config;
  'dns-01/rfc2136': ResolvedRfc2136Config;
  'dns-01/exec': ExecDnsConfig;
}

export type SolverKind = keyof SolverConfigs;

function server(value: string): DnsServer {
  const parsed = parseHostPort(value);
  if (!parsed) throw new Error(`bad DNS server ${value} (the config schema should have caught it)`);
  return parsed;
}

export const solverFactories: { [K in SolverKind]: (config: SolverConfigs[K], deps: SolverDeps) => ChallengeSolver } = {
  'http-01/webroot': (config) => new WebrootSolver({ webroot: config.webroot }),
  'http-01/standalone': (config) => new StandaloneHttpSolver({ port: config.standalone.port, address: config.standalone.address }),
  'http-01/agents': (_config, deps) => {
    // Config resolution already refused `agents` without store.postgres; this is the caller's slip.
    if (!deps.challengeTokens) throw new ConfigError('http-01 with agents: true needs the shared store (store.postgres): the agents read the answers from it');
    return new AgentsHttpSolver({ tokens: deps.challengeTokens });
  },
  'tls-alpn-01': (config) => new TlsAlpnSolver({ port: config.port, address: config.address }),
  'dns-01/rfc2136': (config) =>
    new Rfc2136Solver({
      server: server(config.server),
      zone: config.zone,
      tsig: config.tsig && { name: config.tsig.name, algorithm: config.tsig.algorithm, secret: Buffer.from(config.tsig.secret, 'base64') },
      ttl: config.ttl,
      timeoutMs: config.timeout,
      propagationTimeoutMs: config.propagationTimeout,
      pollIntervalMs: config.pollInterval,
    }),
  'dns-01/exec': (config, deps) =>
    new ExecDnsSolver({
      command: config.command,
      timeoutMs: config.timeout,
      env: deps.hookEnv,
      certificateName: deps.certificateName,
      systemResolvers: deps.systemResolvers,
      propagation: config.propagation
        ? {
            server: config.server === undefined ? undefined : server(config.server),
            resolvers: config.resolver === undefined ? undefined : [server(config.resolver)],
            timeoutMs: config.propagationTimeout,
            pollIntervalMs: config.pollInterval,
            queryTimeoutMs: 10_000,
          }
        : undefined,
    }),
};

export function solverKind(config: ResolvedChallengeConfig): SolverKind {
  switch (config.type) {
    case 'http-01':
      return config.webroot !== undefined ? 'http-01/webroot' : config.agents ? 'http-01/agents' : 'http-01/standalone';
    case 'tls-alpn-01':
      return 'tls-alpn-01';
    case 'dns-01':
      return config.provider === 'rfc2136' ? 'dns-01/rfc2136' : 'dns-01/exec';
  }
}

/** The solver for a parsed, secret-resolved `challenge:` config. */
export function createSolver(config: ResolvedChallengeConfig, deps: SolverDeps = {}): ChallengeSolver {
  const factory = solverFactories[solverKind(config)] as (config: ResolvedChallengeConfig, deps: SolverDeps) => ChallengeSolver;
  return factory(config, deps);
}
