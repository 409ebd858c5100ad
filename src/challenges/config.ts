/**
 * The `challenge:` entry of a managed certificate, as the config file writes it:
 *   { type: http-01, webroot: DIR }
 *   { type: http-01, standalone: { port?: 80, address?: all } }
 *   { type: http-01, agents: true }   (the shared store's answer, served by every host's agent)
 *   { type: tls-alpn-01, port?: 443, address?: all }
 *   { type: tls-alpn-01, agents: true }   (as http-01's: every host's agent answers, --tls-alpn-01-listen)
 *   { type: dns-01, provider: rfc2136, server: HOST[:PORT], zone?, followCname?: true, resolver?, tsig?: { name, algorithm?, secret | secretEnv | secretFile }, ttl?, ... }
 *   { type: dns-01, provider: exec, command: [argv...], timeout?, propagation?: true, server? | resolver?, ... }
 *   { type: dns-01, provider: pdns | cloudflare | ..., <options>, <secret> | <secret>Env | <secret>File, ttl?, server? | resolver?, ... }
 *     (a DNS provider's API: dns-providers/registry.ts; its secrets may also come from lego's variables)
 *   { type: dns-persist-01, policy?: wildcard, persistUntil?: DATE | 90d, issuerDomainName?, server? | resolver?, publish?: { provider: NAME, ... } }
 * Durations follow the config's one rule (src/config/duration.ts: "120s", "500ms", "2m"; a bare
 * number is an error) and come out of parsing as milliseconds. Secrets (TSIG, a provider's
 * credentials) are resolved by resolveChallengeSecrets() before a solver is made, so solvers never
 * read the environment.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { durationMs } from '../config/duration.js';
import { ConfigError } from '../errors.js';
import type { DnsProviderDescriptor } from './dns-providers/descriptor.js';
import { dnsProviders, findDnsProvider, knownProviderNames } from './dns-providers/registry.js';
import { readSecret, resolveProviderSettings, secretKeys, writtenForms } from './dns-providers/secrets.js';

const port = z.number().int().min(1).max(65535);
const address = z.string().refine((v) => isIP(v) !== 0, 'an IP address such as 127.0.0.1 or ::1');

export interface HostPort {
  host: string;
  port: number;
}

/** "127.0.0.1:53", "[::1]:5353", "ns1.example.com" (port 53), "::1" (port 53). */
export function parseHostPort(value: string, defaultPort = 53): HostPort | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return withPort(bracketed[1] as string, bracketed[2], defaultPort);
  if (isIP(value) === 6) return { host: value, port: defaultPort };
  const plain = /^([A-Za-z0-9._-]+)(?::(\d{1,5}))?$/.exec(value);
  if (plain) return withPort(plain[1] as string, plain[2], defaultPort);
  return undefined;
}

function withPort(host: string, portText: string | undefined, defaultPort: number): HostPort | undefined {
  const portNumber = portText === undefined ? defaultPort : Number(portText);
  return portNumber >= 1 && portNumber <= 65535 ? { host, port: portNumber } : undefined;
}

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, 'HOST:PORT, e.g. 127.0.0.1:53 or [::1]:53');

export const tsigAlgorithms = ['hmac-sha256', 'hmac-sha512', 'hmac-sha1'] as const;
export type TsigAlgorithmName = (typeof tsigAlgorithms)[number];

const tsigSchema = z
  .strictObject({
    name: z.string().min(1),
    algorithm: z.enum(tsigAlgorithms).default('hmac-sha256'),
    secret: z.string().min(1).optional(),
    secretEnv: z.string().min(1).optional(),
    secretFile: z.string().min(1).optional(),
  })
  .refine((t) => [t.secret, t.secretEnv, t.secretFile].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of secret, secretEnv or secretFile',
  });

const http01Schema = z
  .strictObject({
    type: z.literal('http-01'),
    webroot: z.string().min(1).optional(),
    standalone: z
      .strictObject({
        port: port.default(80),
        /** Omitted: every address of the host, as a web server on port 80 would. */
        address: address.optional(),
      })
      .optional(),
    /**
     * The runner puts the answer in the shared store (store.postgres); the agents of the hosts the
     * name points at serve it (`certfleet agent --http-01-listen`), so any runner can order.
     */
    agents: z.literal(true).optional(),
  })
  .refine((c) => [c.webroot, c.standalone, c.agents].filter((v) => v !== undefined).length === 1, {
    message: 'http-01 takes exactly one of webroot: DIR, standalone: { port } or agents: true',
  });

const tlsAlpn01Schema = z
  .strictObject({
    type: z.literal('tls-alpn-01'),
    /** Default 443; no default in the shape, so that a port written next to agents: true is seen. */
    port: port.optional(),
    address: address.optional(),
    /** As http-01's: the answer in the shared store, served by the agents (`certfleet agent --tls-alpn-01-listen`). */
    agents: z.literal(true).optional(),
  })
  .refine((c) => c.agents === undefined || (c.port === undefined && c.address === undefined), {
    message: 'tls-alpn-01 with agents: true takes no port or address: each agent listens where its --tls-alpn-01-listen says',
    path: ['agents'],
  })
  .transform((c): { type: 'tls-alpn-01'; agents: true } | { type: 'tls-alpn-01'; port: number; address?: string } =>
    c.agents ? { type: c.type, agents: true } : { type: c.type, port: c.port ?? 443, ...(c.address === undefined ? {} : { address: c.address }) },
  );

/** How long to wait for the TXT record on the authoritative servers, and how often to look. */
const propagation = {
  propagationTimeout: durationMs.default(120_000),
  pollInterval: durationMs.default(2_000),
};

const rfc2136Schema = z.strictObject({
  type: z.literal('dns-01'),
  provider: z.literal('rfc2136'),
  server: hostPort,
  /** The zone to update; found by an SOA query to `server` when omitted. */
  zone: z.string().min(1).optional(),
  /** Follow a CNAME at _acme-challenge.<domain> and update the record where it leads (lego: LEGO_DISABLE_CNAME_SUPPORT). */
  followCname: z.boolean().default(true),
  /** A resolver that follows the CNAME and finds the target's zone, when `server` does not serve the domain's own zone. */
  resolver: hostPort.optional(),
  /** Without it updates go unsigned (servers that allow updates by source address). */
  tsig: tsigSchema.optional(),
  ttl: z.number().int().min(0).max(86_400).default(60),
  /** One DNS request (UDP with retransmits, then TCP when truncated). */
  timeout: durationMs.default(10_000),
  ...propagation,
});

const execSchema = z
  .strictObject({
    type: z.literal('dns-01'),
    provider: z.literal('exec'),
    command: z.array(z.string().min(1)).min(1),
    /** The hook's own time limit; it is killed after it. */
    timeout: durationMs.default(60_000),
    /** Wait until the TXT record is visible on the zone's authoritative servers before validating; false: the hook waits itself. */
    propagation: z.boolean().default(true),
    /** An authoritative server of the zone: the zone and its NS are asked of it (no recursion), and it is checked too. */
    server: hostPort.optional(),
    /** The resolver that finds the zone's name servers; default: the system's (/etc/resolv.conf). */
    resolver: hostPort.optional(),
    ...propagation,
  })
  .refine((c) => c.server === undefined || c.resolver === undefined, {
    message: 'give server: (an authoritative server of the zone) or resolver: (a resolver that finds them), not both',
    path: ['resolver'],
  });

/** Options every registry provider takes besides its own: the TTL and the wait for the authoritative servers (as exec's). */
const providerCommon = {
  type: z.literal('dns-01'),
  ttl: z.number().int().min(0).max(86_400).optional(),
  server: hostPort.optional(),
  resolver: hostPort.optional(),
  /** Follow a delegated _acme-challenge CNAME to the zone the record goes in (false: lego's LEGO_DISABLE_CNAME_SUPPORT). */
  followCname: z.boolean().default(true),
  ...propagation,
};
const COMMON_KEYS = new Set(['provider', ...Object.keys(providerCommon)]);

/**
 * Every provider of the registry parses to `provider: 'api'`, with `api` naming which (its
 * canonical name, an alias resolved): the rfc2136 and exec shapes keep their exact types. The
 * plain options and secret forms stay as written (`settings`) until resolveChallengeSecrets()
 * reads the environment, because lego's variables may fill them.
 */
export interface ProviderDnsConfig {
  type: 'dns-01';
  provider: 'api';
  api: string;
  settings: Record<string, unknown>;
  ttl: number;
  server?: string;
  resolver?: string;
  followCname: boolean;
  propagationTimeout: number;
  pollInterval: number;
}

/** The zod shape of one plain option, when the descriptor's options are an object schema. */
function optionSchema(descriptor: DnsProviderDescriptor, key: string): z.ZodType | undefined {
  const shape = (descriptor.options as unknown as { shape?: Record<string, z.ZodType> }).shape;
  return shape?.[key];
}

/**
 * One provider's `challenge:` shape, derived from its descriptor: its name and aliases, its plain
 * options (checked when written; required ones may come from lego's variables, so they are checked
 * again once those are read), each secret as `x | xEnv | xFile`.
 */
function providerSchema(descriptor: DnsProviderDescriptor) {
  const shape: Record<string, z.ZodType> = { ...providerCommon, provider: z.literal([descriptor.name, ...(descriptor.aliases ?? [])]) };
  for (const option of descriptor.plainOptions) shape[option.key] = z.unknown().optional();
  for (const secret of descriptor.secrets) for (const key of secretKeys(secret.key)) shape[key] = z.string().min(1).optional();
  const minimumTtl = descriptor.minimumTtl ?? 0;
  return z
    .strictObject(shape)
    .superRefine((c, ctx) => {
      for (const option of descriptor.plainOptions) {
        const schema = optionSchema(descriptor, option.key);
        if (c[option.key] === undefined || schema === undefined) continue;
        const checked = schema.safeParse(c[option.key]);
        if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [option.key, ...issue.path] });
      }
      for (const secret of descriptor.secrets) {
        const forms = writtenForms(c, secret.key);
        if (forms.length > 1) ctx.addIssue({ code: 'custom', message: `give exactly one of ${secretKeys(secret.key).join(', ')}`, path: [forms[1] as string] });
      }
      if (c.server !== undefined && c.resolver !== undefined) {
        ctx.addIssue({ code: 'custom', message: 'give server: (an authoritative server of the zone) or resolver: (a resolver that finds them), not both', path: ['resolver'] });
      }
      if (typeof c.ttl === 'number' && c.ttl < minimumTtl) ctx.addIssue({ code: 'custom', message: `${descriptor.title} takes a TTL of at least ${minimumTtl}`, path: ['ttl'] });
    })
    .transform((c): ProviderDnsConfig => {
      const settings = Object.fromEntries(Object.entries(c).filter(([key, value]) => !COMMON_KEYS.has(key) && value !== undefined));
      return {
        type: 'dns-01',
        provider: 'api',
        api: descriptor.name,
        settings,
        ttl: (c.ttl as number | undefined) ?? Math.max(60, minimumTtl),
        ...(c.server === undefined ? {} : { server: c.server as string }),
        ...(c.resolver === undefined ? {} : { resolver: c.resolver as string }),
        followCname: c.followCname as boolean,
        propagationTimeout: c.propagationTimeout as number,
        pollInterval: c.pollInterval as number,
      };
    });
}

const dns01Schema = z.discriminatedUnion('provider', [rfc2136Schema, execSchema, ...dnsProviders.map(providerSchema)], {
  error: (issue) =>
    issue.code === 'invalid_union' && 'note' in issue && issue.note === 'No matching discriminator'
      ? `unknown dns-01 provider ${JSON.stringify((issue.input as { provider?: unknown } | undefined)?.provider)}; known: ${knownProviderNames().join(', ')}`
      : undefined,
});

/**
 * dns-persist-01 (draft-ietf-acme-dns-persist-02): the persistent `_validation-persist` record is
 * published once, by the user (`certfleet dns persist-record NAME` prints it); renew checks it on
 * the authoritative servers (found through server:, resolver: or the system's) and never writes it.
 */
const dnsPersistSchema = z
  .strictObject({
    type: z.literal('dns-persist-01'),
    /** policy=wildcard: needed for a wildcard name, also covers subdomains (draft sections 5, 6). */
    policy: z.literal('wildcard').optional(),
    /** persistUntil in the printed record: a date (2027-06-30, or with a time) or a span from printing (90d, 12h). */
    // YAML reads an unquoted 2027-06-30 as a date: taken as that day's midnight UTC.
    persistUntil: z
      .union([z.date().transform((d) => d.toISOString()), z.string().refine((v) => persistUntilProblem(v) === undefined, { message: 'a date such as 2027-06-30 or a span such as 90d' })])
      .optional(),
    /** Which of the CA's issuer domain names to print; required when its directory names none (CAs on draft -01). */
    issuerDomainName: z.string().min(1).optional(),
    server: hostPort.optional(),
    resolver: hostPort.optional(),
    /** One DNS request. */
    timeout: durationMs.default(10_000),
    /**
     * A DNS provider of the registry that publishes the record when it is missing (never deletes
     * it): `{ provider: NAME, <its options and secrets>, ttl?, propagationTimeout?, pollInterval? }`.
     * Without it, certfleet only checks the record.
     */
    publish: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((c) => c.server === undefined || c.resolver === undefined, {
    message: 'give server: (an authoritative server of the zone) or resolver: (a resolver that finds them), not both',
    path: ['resolver'],
  })
  .transform((c, ctx) => {
    const { publish, ...rest } = c;
    if (publish === undefined) return rest as typeof rest & { publish?: ProviderDnsConfig };
    // The provider's shape is dns-01's (one home for it); server:/resolver: stay this entry's.
    const parsed = dns01Schema.safeParse({ ...publish, type: 'dns-01' });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['publish', ...issue.path] });
      return z.NEVER;
    }
    if (parsed.data.provider !== 'api') {
      ctx.addIssue({ code: 'custom', message: 'publish takes a DNS provider of the registry (certfleet dns providers), not rfc2136 or exec', path: ['publish', 'provider'] });
      return z.NEVER;
    }
    return { ...rest, publish: parsed.data };
  });

/** "2027-06-30", "2027-06-30T12:00:00Z" or "90d"/"12h"/"30m": why not, or undefined. */
export function persistUntilProblem(value: string): string | undefined {
  if (/^\d+[dhm]$/.test(value)) return undefined;
  return /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) && !Number.isNaN(Date.parse(value)) ? undefined : 'not a date or span';
}

/** The persistUntil a config value means when the record is printed at `now`. */
export function persistUntilDate(value: string, now: Date): Date {
  const span = /^(\d+)([dhm])$/.exec(value);
  if (!span) return new Date(value);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[span[2] as 'd' | 'h' | 'm'];
  return new Date(now.getTime() + Number(span[1]) * unit);
}

export const challengeConfigSchema = z.discriminatedUnion('type', [http01Schema, tlsAlpn01Schema, dns01Schema, dnsPersistSchema]);

export type ChallengeConfig = z.output<typeof challengeConfigSchema>;
export type ChallengeConfigInput = z.input<typeof challengeConfigSchema>;
export type Http01Config = z.output<typeof http01Schema>;
export type TlsAlpn01Config = z.output<typeof tlsAlpn01Schema>;
export type Rfc2136Config = z.output<typeof rfc2136Schema>;
export type ExecDnsConfig = z.output<typeof execSchema>;
export type DnsPersistConfig = z.output<typeof dnsPersistSchema>;
/** dns-persist-01 with its publishing provider's secrets read. */
export type ResolvedDnsPersistConfig = Omit<DnsPersistConfig, 'publish'> & { publish?: ResolvedProviderDnsConfig };

/** A registry provider's config once resolveChallengeSecrets() has parsed its options and read its secrets: what its solver is made from. */
export type ResolvedProviderDnsConfig = Omit<ProviderDnsConfig, 'settings'> & { resolved: { options: unknown; secrets: Readonly<Record<string, string | undefined>> } };

export interface ResolvedTsig {
  name: string;
  algorithm: TsigAlgorithmName;
  /** base64, as BIND's `secret "..."` and tsig-keygen write it. */
  secret: string;
}

export type ResolvedRfc2136Config = Omit<Rfc2136Config, 'tsig'> & { tsig?: ResolvedTsig };
/** A challenge config whose TSIG secret (if any) has been read: what createSolver() takes. */
export type ResolvedChallengeConfig = Http01Config | TlsAlpn01Config | ExecDnsConfig | ResolvedRfc2136Config | ResolvedProviderDnsConfig | ResolvedDnsPersistConfig;

/**
 * `agents: true` is answered by the agents of the spec's hosts from the shared store: without
 * store.postgres there is no store they share, and without hosts no agent answers for the names.
 * `where` names the certificate in messages (e.g. `certificates[2] (web)`).
 */
export function checkAgentsChallenge(challenge: ChallengeConfig, spec: { hosts?: readonly string[] | undefined; sharedStore: boolean }, where: string): void {
  if ((challenge.type !== 'http-01' && challenge.type !== 'tls-alpn-01') || !('agents' in challenge) || challenge.agents !== true) return;
  const type = challenge.type;
  // What answers without agents: the host that runs renew, on its own.
  const alone = type === 'http-01' ? 'use webroot: or standalone:' : 'leave agents out (renew answers on its own listener, port: 443 by default)';
  if (!spec.sharedStore) {
    throw new ConfigError(`${where}.challenge: ${type} with agents: true needs store.postgres: the agents serve the answers from the shared store`, `configure store.postgres, or ${alone} on the host that runs renew`);
  }
  if (spec.hosts === undefined) {
    throw new ConfigError(`${where}.challenge: ${type} with agents: true needs hosts: the agents of those hosts answer the CA`, `name in hosts: the hosts the domains point at (each runs certfleet agent --${type}-listen), or ${alone}`);
  }
}

/**
 * The secrets written inline in a challenge config (each also has an Env and a File form), as
 * `challenge.<key> (use <key>Env or <key>File)`: refused where specs are stored in a shared database.
 */
export function inlineChallengeSecrets(challenge: ChallengeConfig): string[] {
  if (challenge.type === 'dns-persist-01') return challenge.publish ? inlineChallengeSecrets(challenge.publish).map((s) => s.replace(/^challenge\./, 'challenge.publish.')) : [];
  if (challenge.type !== 'dns-01') return [];
  if (challenge.provider === 'rfc2136') return challenge.tsig?.secret !== undefined ? ['challenge.tsig.secret (use secretEnv or secretFile)'] : [];
  if (challenge.provider !== 'api') return [];
  const descriptor = findDnsProvider(challenge.api);
  return (descriptor?.secrets ?? []).filter((s) => challenge.settings[s.key] !== undefined).map((s) => `challenge.${s.key} (use ${s.key}Env or ${s.key}File)`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * Read the challenge's secrets from where the config says (dns-providers/secrets.ts has the rules):
 * the TSIG secret (checked to be base64), or a registry provider's secrets and plain options
 * (lego's variables filling what the config leaves out). `where` names the config entry in
 * messages (e.g. `certificates[2].challenge`). A secret itself never appears in a message.
 */
export async function resolveChallengeSecrets(
  config: ChallengeConfig,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => Promise<string>,
  where = 'challenge',
): Promise<ResolvedChallengeConfig> {
  if (config.type === 'dns-persist-01') {
    const { publish, ...rest } = config;
    if (publish === undefined) return rest;
    return { ...rest, publish: (await resolveChallengeSecrets(publish, env, readFile, `${where}.publish`)) as ResolvedProviderDnsConfig };
  }
  if (config.type === 'dns-01' && config.provider === 'api') {
    const descriptor = findDnsProvider(config.api);
    if (!descriptor) throw new ConfigError(`${where}.provider: unknown dns-01 provider ${config.api}; known: ${knownProviderNames().join(', ')}`);
    const { settings, ...rest } = config;
    return { ...rest, resolved: await resolveProviderSettings(descriptor, settings, env, readFile, where) };
  }
  if (config.type !== 'dns-01' || config.provider !== 'rfc2136' || config.tsig === undefined) {
    return config as ResolvedChallengeConfig;
  }
  const { secret, secretEnv, secretFile, ...key } = config.tsig;
  const read = await readSecret({ where: `${where}.tsig.secret`, inline: secret, env: secretEnv, file: secretFile, what: 'base64 TSIG secret' }, env, readFile);
  // The schema requires exactly one of the three, so there is always one to read.
  if (read === undefined) throw new ConfigError(`${where}.tsig: give exactly one of secret, secretEnv or secretFile`);
  const value = secretFromText(read.value.trim());
  if (!BASE64.test(value) || Buffer.from(value, 'base64').length === 0) {
    throw new ConfigError(`${where}.tsig: the secret from ${read.source} is not base64`, 'use the secret exactly as tsig-keygen printed it');
  }
  return { ...config, tsig: { ...key, secret: value } };
}

/** A secret file may hold just the base64, or a BIND key clause (`secret "...";`) as tsig-keygen writes it. */
function secretFromText(text: string): string {
  const clause = /secret\s+"([^"]+)"/.exec(text);
  return clause ? (clause[1] as string) : text;
}
