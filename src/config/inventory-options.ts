/**
 * Config file + command-line flags -> InventoryOptions. Flags override the file; lists from both
 * are joined. Secrets are resolved here (from the environment map and files it is given), so the
 * core only ever sees values. Paths in the file are relative to the file; flags to the cwd.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import type { InventoryOptions } from '../inventory/scan.js';
import { trustStoresModes, type ProxyKind, type Severity, type TrustStoresMode } from '../inventory/model.js';
import type { EndpointSpec } from '../inventory/sources/endpoint-types.js';
import { parseEndpointSpec, parseEndpointsFile } from '../inventory/sources/endpoint-spec.js';
import { endpointScanDefaults } from '../inventory/sources/endpoints.js';
import type { PasswordRule } from '../inventory/sources/passwords.js';
import { loadTimelineFile, shippedTimeline, type PolicyTimeline } from '../policy/timeline.js';
import type { CertfleetConfig } from './schema.js';
import { parseDuration, parseDurationFlag } from './duration.js';

export type FailOn = Severity | 'never';

export interface InventoryFlags {
  paths: string[];
  nginx: string[];
  apache: string[];
  /** Names given to httpd with -D (`--apache-define`). */
  apacheDefine?: string[];
  haproxy: string[];
  traefik: string[];
  detectProxies?: boolean;
  root?: string;
  endpoint: string[];
  endpoints?: string;
  ca: string[];
  passwordEnv: string[];
  passwordFile: string[];
  exclude: string[];
  failOn?: string;
  concurrency?: number;
  connectTimeout?: string;
  handshakeTimeout?: string;
  workers?: number;
  asOf?: string;
  trustStores?: string;
}

export interface ResolveContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  now: Date;
  configFile: string | undefined;
}

export interface ResolvedInventory {
  options: InventoryOptions;
  failOn: FailOn;
  /** Endpoint-file lines that could not be parsed: reported with the scan's errors. */
  inputErrors: Array<{ source: string; message: string }>;
}

const failOnValues: FailOn[] = ['error', 'warning', 'info', 'never'];

export function resolveInventoryOptions(config: CertfleetConfig, flags: InventoryFlags, ctx: ResolveContext): ResolvedInventory {
  const file = config.inventory ?? {};
  const fileDir = ctx.configFile ? dirname(ctx.configFile) : ctx.cwd;
  const fromFile = (p: string) => (isAbsolute(p) ? p : resolve(fileDir, p));
  const fromCwd = (p: string) => (isAbsolute(p) ? p : resolve(ctx.cwd, p));
  const inputErrors: ResolvedInventory['inputErrors'] = [];

  const proxyConfigs: InventoryOptions['proxyConfigs'] = [];
  for (const proxy of ['nginx', 'apache', 'haproxy', 'traefik'] as ProxyKind[]) {
    for (const f of file[proxy] ?? []) proxyConfigs.push({ proxy, file: fromFile(f) });
    for (const f of flags[proxy]) proxyConfigs.push({ proxy, file: fromCwd(f) });
  }

  const endpoints: EndpointSpec[] = [];
  for (const e of file.endpoints ?? []) {
    if (typeof e === 'string') endpoints.push(parseSpec(e, 'inventory.endpoints'));
    else endpoints.push({ ...e, raw: `${e.host}:${e.port}` } as EndpointSpec);
  }
  for (const e of flags.endpoint) endpoints.push(parseSpec(e, '--endpoint'));
  for (const list of [file.endpointsFile && fromFile(file.endpointsFile), flags.endpoints && fromCwd(flags.endpoints)]) {
    if (!list) continue;
    const parsed = parseEndpointsFile(readText(list, 'endpoints file'), list);
    endpoints.push(...parsed.specs);
    inputErrors.push(...parsed.errors);
  }

  const passwords: PasswordRule[] = [];
  for (const rule of file.passwords ?? []) {
    const match = rule.match === undefined ? {} : { match: rule.match };
    if (rule.password !== undefined) passwords.push({ ...match, password: rule.password });
    if (rule.passwordEnv !== undefined) passwords.push({ ...match, password: fromEnv(rule.passwordEnv, 'inventory.passwords[].passwordEnv') });
    if (rule.passwordFile !== undefined) passwords.push({ ...match, password: readSecretFile(fromFile(rule.passwordFile)) });
  }
  for (const name of flags.passwordEnv) passwords.push({ password: fromEnv(name, '--password-env') });
  for (const f of flags.passwordFile) passwords.push({ password: readSecretFile(fromCwd(f)) });

  const failOn = (flags.failOn ?? file.failOn ?? 'error') as FailOn;
  if (!failOnValues.includes(failOn)) throw new UsageError(`--fail-on must be one of ${failOnValues.join(', ')}, not "${flags.failOn}"`);

  const paths = [...(file.paths ?? []).map(fromFile), ...flags.paths.map(fromCwd)];
  if (paths.length === 0 && proxyConfigs.length === 0 && endpoints.length === 0 && inputErrors.length === 0) {
    throw new UsageError(
      'nothing to inventory: give paths, --nginx/--apache/--haproxy/--traefik configs or --endpoint specs',
      'e.g. `certfleet inventory /etc/ssl /etc/nginx/nginx.conf`, or `certfleet inventory --config certfleet.config.yaml`',
    );
  }

  const options: InventoryOptions = {
    paths,
    proxyConfigs,
    detectProxyConfigs: flags.detectProxies ?? file.detectProxyConfigs ?? true,
    apacheDefines: [...(file.apacheDefines ?? []), ...(flags.apacheDefine ?? [])],
    endpoints,
    passwords,
    extraCa: [...(file.ca ?? []).map(fromFile), ...flags.ca.map(fromCwd)].map((p) => Buffer.from(readBytes(p, 'CA file'))),
    exclude: [...(file.exclude ?? []), ...flags.exclude],
    endpointConcurrency: flags.concurrency ?? file.endpointConcurrency ?? endpointScanDefaults.concurrency,
    connectTimeoutMs: durationFlag(flags.connectTimeout, '--connect-timeout') ?? (file.connectTimeout ? parseDuration(file.connectTimeout) : endpointScanDefaults.connectTimeoutMs),
    handshakeTimeoutMs: durationFlag(flags.handshakeTimeout, '--handshake-timeout') ?? (file.handshakeTimeout ? parseDuration(file.handshakeTimeout) : endpointScanDefaults.handshakeTimeoutMs),
    timeline: resolveTimeline(config, ctx.configFile, ctx.cwd),
    now: flags.asOf ? parseAsOf(flags.asOf) : ctx.now,
  };
  const root = flags.root ? fromCwd(flags.root) : file.root ? fromFile(file.root) : undefined;
  if (root) options.root = root;
  const workers = flags.workers ?? file.workers;
  if (workers !== undefined) options.workers = workers;
  const trustStores = (flags.trustStores ?? file.trustStores) as TrustStoresMode | undefined;
  if (trustStores !== undefined && !trustStoresModes.includes(trustStores)) {
    throw new UsageError(`--trust-stores must be one of ${trustStoresModes.join(', ')}, not "${trustStores}"`);
  }
  if (trustStores !== undefined) options.trustStores = trustStores;
  return { options, failOn, inputErrors };

  function fromEnv(name: string, where: string): string {
    const value = ctx.env[name];
    if (value === undefined) throw new ConfigError(`${where}: environment variable ${name} is not set`);
    return value;
  }
}

function parseSpec(text: string, where: string): EndpointSpec {
  try {
    return parseEndpointSpec(text);
  } catch (err) {
    throw new UsageError(`${where}: ${(err as Error).message}`);
  }
}

function durationFlag(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : parseDurationFlag(flag, value);
}

/** The policy timeline: the user's file (policy.timelineFile, relative to the config file) or the shipped one. */
export function resolveTimeline(config: CertfleetConfig, configFile: string | undefined, cwd: string): PolicyTimeline {
  const file = config.policy?.timelineFile;
  if (!file) return shippedTimeline();
  return loadTimelineFile(isAbsolute(file) ? file : resolve(configFile ? dirname(configFile) : cwd, file));
}

export function parseAsOf(value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--as-of takes a date (YYYY-MM-DD or ISO 8601), not "${value}"`);
  return date;
}

function readBytes(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function readText(path: string, what: string): string {
  return readBytes(path, what).toString('utf8');
}

/** A password file holds the password on its first line (a trailing newline is not part of it). */
function readSecretFile(path: string): string {
  return readText(path, 'password file').split(/\r?\n/)[0] ?? '';
}
