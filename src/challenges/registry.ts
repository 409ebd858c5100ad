/**
 * The one table of solvers: each kind of `challenge:` config maps to a factory. Adding a DNS
 * provider is one entry here, one config shape in config.ts, and a run of the conformance suite.
 */
import type { ResolvedDnsPersistConfig, ExecDnsConfig, Http01Config, ResolvedChallengeConfig, ResolvedProviderDnsConfig, ResolvedRfc2136Config, TlsAlpn01Config } from './config.js';
import { parseHostPort, persistUntilDate } from './config.js';
import { ExecDnsSolver } from './dns-01/exec.js';
import { Rfc2136Solver } from './dns-01/rfc2136.js';
import { DnsPersistSolver } from './dns-persist-01/solver.js';
import type { SystemResolvers } from './dns/resolvers.js';
import type { DnsServer } from './dns/transport.js';
import { AgentsHttpSolver } from './http-01/agents.js';
import { StandaloneHttpSolver } from './http-01/standalone.js';
import { WebrootSolver } from './http-01/webroot.js';
import { AgentsTlsAlpnSolver } from './tls-alpn-01/agents.js';
import { TlsAlpnSolver } from './tls-alpn-01/standalone.js';
import type { ChallengeSolver } from './types.js';
import type { ProviderDeps } from './dns-providers/descriptor.js';
import { findDnsProvider } from './dns-providers/registry.js';
import { ProviderDnsSolver } from './dns-providers/solver.js';
import { sleep } from './errors.js';
import { ConfigError } from '../errors.js';
import type { ChallengeTokens } from '../store/ports.js';

export interface SolverDeps {
  /** Environment exec hooks start from (the CLI passes process.env); default: none but CERTFLEET_*. */
  hookEnv?: Readonly<Record<string, string | undefined>>;
  /** The managed certificate the solver works for (CERTFLEET_NAME for hooks). */
  certificateName?: string;
  /** Where dns-01 exec finds the system resolvers when the config names none (default: /etc/resolv.conf). */
  systemResolvers?: SystemResolvers;
  /** The shared store's challenge answers (http-01 and tls-alpn-01 `agents: true` put their answers there). */
  challengeTokens?: ChallengeTokens;
  /** What dns-01 providers' API clients call through (tests pass a recorder); default: global fetch, the clock. */
  providerDeps?: ProviderDeps;
}

interface SolverConfigs {
  'http-01/webroot': Http01Config & { webroot: string };
  'http-01/standalone': Http01Config & { standalone: NonNullable<Http01Config['standalone']> };
  'http-01/agents': Http01Config & { agents: true };
  'tls-alpn-01': Extract<TlsAlpn01Config, { port: number }>;
  'tls-alpn-01/agents': Extract<TlsAlpn01Config, { agents: true }>;
  'dns-01/rfc2136': ResolvedRfc2136Config;
  'dns-01/exec': ExecDnsConfig;
  'dns-01/provider': ResolvedProviderDnsConfig;
  'dns-persist-01': ResolvedDnsPersistConfig;
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
  'tls-alpn-01/agents': (_config, deps) => {
    // As http-01/agents: config resolution refused it without store.postgres.
    if (!deps.challengeTokens) throw new ConfigError('tls-alpn-01 with agents: true needs the shared store (store.postgres): the agents read the answers from it');
    return new AgentsTlsAlpnSolver({ tokens: deps.challengeTokens });
  },
  'dns-01/rfc2136': (config) =>
    new Rfc2136Solver({
      server: server(config.server),
      zone: config.zone,
      followCname: config.followCname,
      resolvers: config.resolver === undefined ? undefined : [server(config.resolver)],
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
  'dns-persist-01': (config, deps) => {
    const publish = config.publish;
    const descriptor = publish === undefined ? undefined : findDnsProvider(publish.api);
    return new DnsPersistSolver({
      systemResolvers: deps.systemResolvers,
      lookup: {
        server: config.server === undefined ? undefined : server(config.server),
        resolvers: config.resolver === undefined ? undefined : [server(config.resolver)],
        timeoutMs: 0,
        pollIntervalMs: publish?.pollInterval ?? 1_000,
        queryTimeoutMs: config.timeout,
      },
      ...(publish && descriptor
        ? {
            publish: {
              provider: descriptor.name,
              client: descriptor.create(publish.resolved, deps.providerDeps ?? { fetch: globalThis.fetch, now: () => new Date(), sleep }),
              ttl: publish.ttl,
              waitMs: publish.propagationTimeout,
              wildcard: config.policy === 'wildcard',
              ...(config.issuerDomainName === undefined ? {} : { issuerDomainName: config.issuerDomainName }),
              ...(config.persistUntil === undefined ? {} : { persistUntil: persistUntilDate(config.persistUntil, new Date()) }),
            },
          }
        : {}),
    });
  },
  'dns-01/provider': (config, deps) => {
    const descriptor = findDnsProvider(config.api);
    if (!descriptor) throw new ConfigError(`unknown dns-01 provider ${config.api} (the config schema should have caught it)`);
    const providerDeps = deps.providerDeps ?? { fetch: globalThis.fetch, now: () => new Date(), sleep };
    return new ProviderDnsSolver({
      descriptor,
      client: descriptor.create(config.resolved, providerDeps),
      ttl: config.ttl,
      followCname: config.followCname,
      systemResolvers: deps.systemResolvers,
      lookup: {
        server: config.server === undefined ? undefined : server(config.server),
        resolvers: config.resolver === undefined ? undefined : [server(config.resolver)],
        timeoutMs: config.propagationTimeout,
        pollIntervalMs: config.pollInterval,
        queryTimeoutMs: 10_000,
      },
    });
  },
};

export function solverKind(config: ResolvedChallengeConfig): SolverKind {
  if (config.type === 'dns-persist-01') return 'dns-persist-01';
  switch (config.type) {
    case 'http-01':
      return config.webroot !== undefined ? 'http-01/webroot' : config.agents ? 'http-01/agents' : 'http-01/standalone';
    case 'tls-alpn-01':
      return 'agents' in config ? 'tls-alpn-01/agents' : 'tls-alpn-01';
    case 'dns-01':
      return config.provider === 'rfc2136' ? 'dns-01/rfc2136' : config.provider === 'api' ? 'dns-01/provider' : 'dns-01/exec';
  }
}

/** The solver for a parsed, secret-resolved `challenge:` config. */
export function createSolver(config: ResolvedChallengeConfig, deps: SolverDeps = {}): ChallengeSolver {
  const factory = solverFactories[solverKind(config)] as (config: ResolvedChallengeConfig, deps: SolverDeps) => ChallengeSolver;
  return factory(config, deps);
}
