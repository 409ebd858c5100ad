/**
 * The `challenge:` entry of a managed certificate, as the config file writes it:
 *   { type: http-01, webroot: DIR }
 *   { type: http-01, standalone: { port?: 80, address?: all } }
 *   { type: http-01, agents: true }   (the shared store's answer, served by every host's agent)
 *   { type: tls-alpn-01, port?: 443, address?: all }
 *   { type: dns-01, provider: rfc2136, server: HOST[:PORT], zone?, tsig?: { name, algorithm?, secret | secretEnv | secretFile }, ttl?, ... }
 *   { type: dns-01, provider: exec, command: [argv...], timeout?, propagation?: true, server? | resolver?, ... }
 * Durations follow the config's one rule (src/config/duration.ts: "120s", "500ms", "2m"; a bare
 * number is an error) and come out of parsing as milliseconds. TSIG secrets are resolved by
 * resolveChallengeSecrets() before a solver is made, so solvers never read the environment.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { durationMs } from '../config/duration.js';
import { ConfigError } from '../errors.js';

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

const tlsAlpn01Schema = z.strictObject({
  type: z.literal('tls-alpn-01'),
  port: port.default(443),
  address: address.optional(),
});

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

const dns01Schema = z.discriminatedUnion('provider', [rfc2136Schema, execSchema]);

export const challengeConfigSchema = z.discriminatedUnion('type', [http01Schema, tlsAlpn01Schema, dns01Schema]);

export type ChallengeConfig = z.output<typeof challengeConfigSchema>;
export type ChallengeConfigInput = z.input<typeof challengeConfigSchema>;
export type Http01Config = z.output<typeof http01Schema>;
export type TlsAlpn01Config = z.output<typeof tlsAlpn01Schema>;
export type Rfc2136Config = z.output<typeof rfc2136Schema>;
export type ExecDnsConfig = z.output<typeof execSchema>;

export interface ResolvedTsig {
  name: string;
  algorithm: TsigAlgorithmName;
  /** base64, as BIND's `secret "..."` and tsig-keygen write it. */
  secret: string;
}

export type ResolvedRfc2136Config = Omit<Rfc2136Config, 'tsig'> & { tsig?: ResolvedTsig };
/** A challenge config whose TSIG secret (if any) has been read: what createSolver() takes. */
export type ResolvedChallengeConfig = Http01Config | TlsAlpn01Config | ExecDnsConfig | ResolvedRfc2136Config;

/**
 * `agents: true` is answered by the agents of the spec's hosts from the shared store: without
 * store.postgres there is no store they share, and without hosts no agent answers for the names.
 * `where` names the certificate in messages (e.g. `certificates[2] (web)`).
 */
export function checkAgentsChallenge(challenge: ChallengeConfig, spec: { hosts?: readonly string[] | undefined; sharedStore: boolean }, where: string): void {
  if (challenge.type !== 'http-01' || challenge.agents !== true) return;
  if (!spec.sharedStore) {
    throw new ConfigError(`${where}.challenge: http-01 with agents: true needs store.postgres: the agents serve the answers from the shared store`, 'configure store.postgres, or use webroot: or standalone: on the host that runs renew');
  }
  if (spec.hosts === undefined) {
    throw new ConfigError(`${where}.challenge: http-01 with agents: true needs hosts: the agents of those hosts answer the CA`, 'name in hosts: the hosts the domains point at (each runs certfleet agent --http-01-listen), or use webroot: or standalone:');
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/**
 * Read the TSIG secret from where the config says (inline, an environment variable, or a file) and
 * check it is base64. `where` names the config entry in messages (e.g. `certificates[2].challenge`).
 * The secret itself never appears in a message.
 */
export async function resolveChallengeSecrets(
  config: ChallengeConfig,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => Promise<string>,
  where = 'challenge',
): Promise<ResolvedChallengeConfig> {
  if (config.type !== 'dns-01' || config.provider !== 'rfc2136' || config.tsig === undefined) {
    return config as ResolvedChallengeConfig;
  }
  const { secret, secretEnv, secretFile, ...key } = config.tsig;
  let value: string;
  let source: string;
  if (secret !== undefined) {
    value = secret;
    source = `${where}.tsig.secret`;
  } else if (secretEnv !== undefined) {
    const fromEnv = env[secretEnv];
    if (fromEnv === undefined || fromEnv === '') {
      throw new ConfigError(`${where}.tsig.secretEnv: environment variable ${secretEnv} is not set`, `export ${secretEnv}=<base64 TSIG secret>`);
    }
    value = fromEnv;
    source = `environment variable ${secretEnv}`;
  } else {
    try {
      value = await readFile(secretFile as string);
    } catch (err) {
      throw new ConfigError(`${where}.tsig.secretFile: cannot read ${secretFile}: ${(err as Error).message}`, undefined, err);
    }
    source = `file ${secretFile}`;
  }
  value = secretFromText(value.trim());
  if (!BASE64.test(value) || Buffer.from(value, 'base64').length === 0) {
    throw new ConfigError(`${where}.tsig: the secret from ${source} is not base64`, 'use the secret exactly as tsig-keygen printed it');
  }
  return { ...config, tsig: { ...key, secret: value } };
}

/** A secret file may hold just the base64, or a BIND key clause (`secret "...";`) as tsig-keygen writes it. */
function secretFromText(text: string): string {
  const clause = /secret\s+"([^"]+)"/.exec(text);
  return clause ? (clause[1] as string) : text;
}
