/**
 * Config file (and certificates.d, certificate-files.ts) -> RenewSettings: presets to URLs,
 * relative paths to absolute (relative to the file that holds them), secrets read from the
 * environment map and files given, owners to uid/gid. What would break a run later (a name twice,
 * more names than the CA takes, one deploy file named twice, a directory as a deploy file) is a
 * ConfigError here, before any hook runs. An agent's settings (role 'agent') leave out everything
 * that orders: its config needs no acme section (agent-certificates.ts).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isCaPreset, resolveDirectoryUrl, stagingPresets } from '../acme/index.js';
import { defaultRateLimitPreset, isRateLimitPreset, rateLimitPresets, type RateLimits } from '../acme/rate-limit-presets.js';
import { checkAgentsChallenge, resolveChallengeSecrets } from '../challenges/config.js';
import { ConfigError, UsageError } from '../errors.js';
import { parseEndpointSpec } from '../inventory/sources/endpoint-spec.js';
import { defaultRenewalPolicy, DAY_MS } from '../renewal/decision.js';
import type { CaSettings, ManagedCertificate, RenewSettings } from '../renewal/managed.js';
import { orderingOnAgent } from './agent-certificates.js';
import { openSpecSource, type CertificateEntry, type SpecSource } from './certificate-files.js';
import { checkDeployFileNotDirectory, checkDistinctDeployFiles, deployFileKinds, type DeployFiles } from './deploy-paths.js';
import { resolveDomainName } from './domain-names.js';
import { parseDuration } from './duration.js';
import { checkProgram, type ProgramLookup } from './executables.js';
import { canonicalHostName } from './host-names.js';
import type { ResolvedStoreSettings } from '../store/open-store.js';
import type { AcmeSection, StoreSection } from './renew-schema.js';
import type { CertfleetConfig } from './schema.js';

/** Let's Encrypt's limit of names in one certificate; acme.maxNames sets another CA's. */
export const defaultMaxNames = 100;

export interface RenewResolveContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  configFile: string | undefined;
  /** --state-dir, else the config's stateDir, else this default. */
  stateDirFlag?: string;
  defaultStateDir: string;
  /** Use the CA preset's staging directory (--staging). */
  staging?: boolean;
  /**
   * Leave `certificates` empty and parse nothing in certificates.d: the caller resolves entries
   * one by one through `specs` (a run on the shared store resolves only those it claims).
   */
  lazyCertificates?: boolean;
  /** The config file as written (LoadedConfig.written): the shared store keeps its certificates so. */
  written?: unknown;
  /**
   * Who the settings are for (default 'runner'). An agent deploys what runners ordered and never
   * orders, so for 'agent' nothing about ordering is read, from its config or from a stored spec:
   * not the acme sections (server, account, EAB secret, CA bundle, rate limits, maxNames), not the
   * challenge (its secrets, its programs), not the pre/post hooks' programs. The deploy part (paths,
   * modes, owner, commands, verify) is resolved as for a runner. A runner's certificate without an
   * ACME server stays a ConfigError.
   */
  role?: 'runner' | 'agent';
}

export async function resolveRenewSettings(config: CertfleetConfig, ctx: RenewResolveContext): Promise<RenewSettings> {
  const base = ctx.configFile ? dirname(ctx.configFile) : ctx.cwd;
  // Normalised even when absolute ("/etc/ssl//a/../x.pem"), so two spellings of one file compare equal.
  const abs = (p: string) => resolve(base, p);
  const stateDir = ctx.stateDirFlag ? resolve(ctx.cwd, ctx.stateDirFlag) : config.stateDir ? abs(config.stateDir) : ctx.defaultStateDir;
  const policy = {
    ...defaultRenewalPolicy,
    ...(config.policy?.maxLifetimeDays ? { maxLifetimeDays: config.policy.maxLifetimeDays } : {}),
    ...(config.policy?.minRenewalInterval ? { minRenewalIntervalMs: parseDuration(config.policy.minRenewalInterval) } : {}),
  };
  if (policy.minRenewalIntervalMs > policy.maxLifetimeDays * DAY_MS / 3) {
    throw new ConfigError('policy.minRenewalInterval is longer than a third of policy.maxLifetimeDays: certificates could expire before renewal is allowed');
  }
  const programs: ProgramLookup = { env: ctx.env, cwd: ctx.cwd, seen: new Map() };
  // An agent's config may still carry the runners' acme section (one file for both): it is not read.
  const acme = ctx.role === 'agent' ? undefined : config.acme;
  // The top-level acme section's files are the main file's, whichever file a certificate using them is in.
  const globalAcme = acme ? acmeWithAbsolutePaths(acme, abs) : undefined;
  const store = resolveStore(config.store, base);
  // `hosts` needs the shared store. An entry resolved later (a run on the shared store resolves
  // what it claims) asks the settings, whose store --store URL may have set after this returned.
  const late: { settings?: RenewSettings } = {};
  const sharedStore = () => (late.settings ? late.settings.store !== undefined : store !== undefined);
  const written = (ctx.written as { certificates?: unknown } | undefined)?.certificates;
  const specs = await openSpecSource({ config, configFile: ctx.configFile, baseDir: base, ...(Array.isArray(written) ? { writtenCertificates: written } : {}), resolve: (e) => resolveCertificate(e, globalAcme, ctx, programs, sharedStore()) });
  const certificates = ctx.lazyCertificates ? [] : await resolveAll(specs);
  const defaultCa = acme ? resolveCa(acme, 'acme', ctx, abs) : undefined;
  const leaseTtlMs = config.store?.leaseTtl ? parseDuration(config.store.leaseTtl) : undefined;
  if (leaseTtlMs !== undefined && leaseTtlMs < 1000) throw new ConfigError('store.leaseTtl is shorter than 1s: a working runner could not renew its leases in time');
  const settings: RenewSettings = { stateDir, policy, certificates, specs, ...(defaultCa ? { defaultCa } : {}), ...(store ? { store } : {}), ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}) };
  late.settings = settings;
  return settings;
}

/** Every entry resolved, the main file's then each certificates.d file's in order, no deploy file named twice among them. */
async function resolveAll(specs: SpecSource): Promise<ManagedCertificate[]> {
  const certificates: ManagedCertificate[] = [];
  const deployFiles: DeployFiles[] = [];
  const add = async (entries: readonly CertificateEntry[]) => {
    for (const e of entries) {
      const managed = await specs.resolve(e);
      certificates.push(managed);
      if (managed.deploy) deployFiles.push({ where: e.where, targets: managed.deploy.targets });
    }
  };
  await add(specs.inline);
  for (const file of specs.files) await add(await specs.read(file));
  checkDistinctDeployFiles(deployFiles);
  return certificates;
}

/**
 * The `store` section as the run opens it (store/open-store.ts). Its secrets (urlEnv, urlFile, the
 * keys) are read when the store is opened, not here, so the settings never hold them; opening
 * refuses a postgres store without a key, except for an agent (open-store.ts).
 */
export function resolveStore(section: StoreSection | undefined, baseDir: string): ResolvedStoreSettings | undefined {
  if (section?.postgres === undefined) return undefined;
  const { postgres, leaseTtl: _leaseTtl, ...encryption } = section;
  return { kind: 'postgres', postgres, encryption, baseDir };
}

async function resolveCertificate(
  { entry, baseDir, where }: CertificateEntry,
  globalAcme: AcmeSection | undefined,
  ctx: RenewResolveContext,
  programs: ProgramLookup,
  sharedStore: boolean,
): Promise<ManagedCertificate> {
  const abs = (p: string) => resolve(baseDir, p);
  if (entry.hosts !== undefined) {
    if (!sharedStore) throw new ConfigError(`${where}: hosts needs store.postgres: agents read the shared store`, 'configure store.postgres, or leave hosts out to deploy on the host that runs renew');
    if (entry.deploy === undefined) throw new ConfigError(`${where}: hosts names the hosts whose agents deploy it, but it has no deploy section`, 'add deploy (the paths and commands each host uses), or leave hosts out');
  }
  const agent = ctx.role === 'agent';
  const ordering = agent ? orderingOnAgent(where) : await resolveOrdering(entry, globalAcme, ctx, abs, where, sharedStore);
  const managed: ManagedCertificate = {
    name: entry.name,
    // How many names a certificate may have is the CA's limit, checked by the runner that orders it.
    domains: resolveDomains(entry.domains, where, agent ? Infinity : (entry.acme?.maxNames ?? globalAcme?.maxNames ?? defaultMaxNames)),
    keyType: entry.key ?? 'ec-p256',
    reuseKey: entry.reuseKey ?? false,
    ...ordering,
    pre: entry.pre ?? [],
    post: entry.post ?? [],
    verify: (entry.verify ?? []).map((spec) => {
      try {
        return parseEndpointSpec(spec);
      } catch (err) {
        throw new ConfigError(`${where}: verify: ${(err as Error).message}`);
      }
    }),
    verifyTimeoutMs: entry.verifyTimeout ? parseDuration(entry.verifyTimeout) : 15_000,
    // In the store's form (host-names.ts), as apply stores them and agents ask for them.
    ...(entry.hosts ? { hosts: entry.hosts.map(canonicalHostName) } : {}),
  };
  const d = entry.deploy;
  if (d) {
    const targets = {
      ...(d.cert ? { cert: abs(d.cert) } : {}),
      ...(d.chain ? { chain: abs(d.chain) } : {}),
      ...(d.fullchain ? { fullchain: abs(d.fullchain) } : {}),
      ...(d.key ? { key: abs(d.key) } : {}),
      ...(d.combined ? { combined: abs(d.combined) } : {}),
      ...(d.mode !== undefined ? { mode: octal(d.mode) } : {}),
      ...(d.keyMode !== undefined ? { keyMode: octal(d.keyMode) } : {}),
      ...(d.owner ? { owner: resolveOwner(d.owner, where) } : {}),
      ...(d.createDirectories ? { createDirectories: true } : {}),
    };
    if ((targets.cert || targets.fullchain) && !targets.key && !targets.combined) {
      throw new ConfigError(`${where}: deploy names certificate files but no key (deploy.key or deploy.combined)`);
    }
    for (const kind of deployFileKinds) {
      const path = targets[kind];
      if (path !== undefined) checkDeployFileNotDirectory(path, `${where}.deploy.${kind}`);
    }
    managed.deploy = { targets, commands: d.commands ?? [], commandTimeoutMs: d.commandTimeout ? parseDuration(d.commandTimeout) : 60_000 };
  }
  checkPrograms(managed, where, programs, agent);
  return managed;
}

/**
 * What a runner needs to order the certificate: its CA (the top-level acme section with the
 * certificate's own over it), its challenge with the secrets read, and the CA bundle that verify
 * also trusts.
 */
async function resolveOrdering(
  entry: CertificateEntry['entry'],
  globalAcme: AcmeSection | undefined,
  ctx: RenewResolveContext,
  abs: (p: string) => string,
  where: string,
  sharedStore: boolean,
): Promise<Pick<ManagedCertificate, 'ca' | 'challenge' | 'verifyCa'>> {
  checkAgentsChallenge(entry.challenge, { hosts: entry.hosts, sharedStore }, where);
  const ca = resolveCa({ ...globalAcme, ...(entry.acme ? acmeWithAbsolutePaths(entry.acme, abs) : {}) } as Partial<AcmeSection>, where, ctx, abs);
  const challengeConfig = entry.challenge.type === 'http-01' && entry.challenge.webroot ? { ...entry.challenge, webroot: abs(entry.challenge.webroot) } : entry.challenge;
  const challenge = await resolveChallengeSecrets(challengeConfig, ctx.env, (p) => readFile(abs(p), 'utf8'), `${where}.challenge`);
  return { ca, challenge, verifyCa: ca.caBundlePem ? [Buffer.from(ca.caBundlePem)] : [] };
}

/**
 * Every hook of a certificate names a program that exists and may be run (executables.ts); on an
 * agent only the deploy commands, the one kind it runs (the runner runs pre, post and a challenge's).
 */
function checkPrograms(cert: ManagedCertificate, where: string, ctx: ProgramLookup, agent: boolean): void {
  if (!agent) {
    cert.pre.forEach((argv, j) => checkProgram(argv, `${where}.pre[${j}]`, ctx));
    cert.post.forEach((argv, j) => checkProgram(argv, `${where}.post[${j}]`, ctx));
  }
  cert.deploy?.commands.forEach((argv, j) => checkProgram(argv, `${where}.deploy.commands[${j}]`, ctx));
  if (!agent && cert.challenge.type === 'dns-01' && cert.challenge.provider === 'exec') checkProgram(cert.challenge.command, `${where}.challenge.command`, ctx);
}

/**
 * The names as a certificate holds them (lower case, no trailing dot, A-labels: domain-names.ts);
 * a bad name, a duplicate or too many is an error.
 */
function resolveDomains(domains: readonly string[], where: string, maxNames: number): string[] {
  const first = new Map<string, number>();
  domains.forEach((written, j) => {
    const resolved = resolveDomainName(written);
    if ('problem' in resolved) throw new ConfigError(`${where}.domains[${j}]: "${written}" ${resolved.problem}`);
    const { name } = resolved;
    const earlier = first.get(name);
    if (earlier !== undefined) {
      throw new ConfigError(
        `${where}.domains[${j}]: "${written}" is the same name as domains[${earlier}] ("${domains[earlier]}")`,
        'names are compared without case, without a trailing dot and in their A-label (xn--) form; list each once',
      );
    }
    first.set(name, j);
  });
  if (first.size > maxNames) {
    throw new ConfigError(`${where}: ${first.size} names, more than the ${maxNames} the CA takes in one certificate`, 'split the names over several certificates, or set acme.maxNames if your CA takes more');
  }
  return [...first.keys()];
}

/**
 * An acme section (or a certificate's part of one) with its file paths made absolute against the
 * file that holds it: a certificate's own acme settings and the top-level ones it inherits may
 * come from different files.
 */
function acmeWithAbsolutePaths<A extends Partial<AcmeSection>>(acme: A, abs: (p: string) => string): A {
  const eab = acme.account?.eab;
  return {
    ...acme,
    ...(acme.caBundle !== undefined ? { caBundle: abs(acme.caBundle) } : {}),
    ...(eab?.hmacKeyFile !== undefined ? { account: { ...acme.account, eab: { ...eab, hmacKeyFile: abs(eab.hmacKeyFile) } } } : {}),
  };
}

/** The CA and account settings of one certificate (or of the top-level acme section). */
function resolveCa(acme: Partial<AcmeSection>, where: string, ctx: RenewResolveContext, abs: (p: string) => string): CaSettings {
  if (!acme.server) throw new ConfigError(`${where}: no ACME server: set acme.server (a preset such as letsencrypt, or a directory URL)`);
  let server = acme.server.trim();
  if (ctx.staging) {
    const staging = isCaPreset(server) ? stagingPresets[server] : undefined;
    if (!staging) throw new UsageError(`${where}: --staging needs a CA preset with a staging directory (letsencrypt, google, buypass), not "${server}"`);
    server = staging;
  }
  let directoryUrl: string;
  try {
    directoryUrl = resolveDirectoryUrl(server);
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message}`);
  }
  const ca: CaSettings = {
    directoryUrl,
    requestTimeoutMs: acme.timeout ? parseDuration(acme.timeout) : 30_000,
    contact: [...(acme.account?.email ? [acme.account.email] : []), ...(acme.account?.contact ?? [])],
    acceptTermsOfService: acme.account?.acceptTermsOfService ?? false,
  };
  if (acme.profile) ca.profile = acme.profile;
  const rateLimits = resolveRateLimits(acme.rateLimits, server, where);
  if (rateLimits) ca.rateLimits = rateLimits;
  const dryRunServer = acme.dryRunServer?.trim() ?? (isCaPreset(acme.server.trim()) ? stagingPresets[acme.server.trim() as keyof typeof stagingPresets] : undefined);
  if (dryRunServer) {
    try {
      ca.dryRunDirectoryUrl = resolveDirectoryUrl(dryRunServer);
    } catch (err) {
      throw new ConfigError(`${where}: acme.dryRunServer: ${(err as Error).message}`);
    }
  }
  if (acme.caBundle) ca.caBundlePem = readText(abs(acme.caBundle), `${where}: acme.caBundle`);
  const eab = acme.account?.eab;
  if (eab) {
    const hmacKey =
      eab.hmacKey ??
      (eab.hmacKeyEnv !== undefined ? ctx.env[eab.hmacKeyEnv] : undefined) ??
      (eab.hmacKeyFile !== undefined ? readText(abs(eab.hmacKeyFile), `${where}: acme.account.eab.hmacKeyFile`).trim() : undefined);
    if (!hmacKey) throw new ConfigError(`${where}: acme.account.eab.hmacKeyEnv: environment variable ${eab.hmacKeyEnv} is not set`);
    ca.eab = { kid: eab.kid, hmacKey };
  }
  return ca;
}

/**
 * acme.rateLimits -> the limits every runner's budget enforces: a preset's figures, explicit ones,
 * `none`, or when unset the preset that goes with the server (none for a CA without one).
 */
export function resolveRateLimits(section: AcmeSection['rateLimits'], server: string, where: string): RateLimits | undefined {
  const named = section ?? defaultRateLimitPreset[server];
  if (named === undefined || named === 'none') return undefined;
  if (typeof named === 'string') {
    if (!isRateLimitPreset(named)) throw new ConfigError(`${where}: acme.rateLimits: unknown preset "${named}"`, `use ${Object.keys(rateLimitPresets).join(', ')} or none, or give { newOrders: { limit, per }, perRegisteredDomain: { limit, per } }`);
    return rateLimitPresets[named];
  }
  const limit = (l: { limit: number; per: string } | undefined) => (l ? { limit: l.limit, windowMs: parseDuration(l.per) } : undefined);
  const newOrders = limit(named.newOrders);
  const perRegisteredDomain = limit(named.perRegisteredDomain);
  return { ...(newOrders ? { newOrders } : {}), ...(perRegisteredDomain ? { perRegisteredDomain } : {}) };
}

function octal(mode: number | string): number {
  return typeof mode === 'number' ? mode : parseInt(mode, 8);
}

function readText(path: string, where: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** `user:group` by name (from /etc/passwd and /etc/group) or number. */
export function resolveOwner(owner: string, where: string, etc = '/etc'): { uid: number; gid: number } {
  const [user, group] = owner.split(':') as [string, string];
  const lookup = (file: string, name: string, what: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const line = readFileSync(join(etc, file), 'utf8').split('\n').find((l) => l.split(':')[0] === name);
    if (!line) throw new UsageError(`${where}: deploy.owner: no ${what} "${name}" on this system`);
    return Number(line.split(':')[2]);
  };
  return { uid: lookup('passwd', user, 'user'), gid: lookup('group', group, 'group') };
}
