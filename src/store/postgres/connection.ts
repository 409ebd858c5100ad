/**
 * How certfleet reaches its PostgreSQL server: the `store.postgres` config section, the URL it
 * resolves to (never logged with its password: see `redactUrl`), the connection pool, and the
 * translation of the driver's connection failures into errors that say which server and what went
 * wrong (not reachable, authentication failed, database missing, connection lost, timed out).
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import pg from 'pg';
import { parseDuration } from '../../config/duration.js';
import { CertfleetError, ConfigError, ExitCode } from '../../errors.js';
import type { Logger } from '../../logger.js';

import { postgresConfigSchema, type PostgresConfig } from './config-schema.js';

export { postgresConfigSchema, type PostgresConfig };

export interface ResolveContext {
  /** The environment to read `urlEnv` from (the core never reads process.env itself). */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative `urlFile` paths are resolved from here (the config file's directory). */
  baseDir: string;
  /** Where in the config this section sits, for messages. */
  where?: string;
}

/** The connection URL the section names, checked to be a PostgreSQL URL. */
export function resolvePostgresUrl(config: PostgresConfig, ctx: ResolveContext): string {
  const where = ctx.where ?? 'store.postgres';
  let url: string;
  if (config.url !== undefined) {
    url = config.url.trim();
  } else if (config.urlEnv !== undefined) {
    const value = ctx.env[config.urlEnv];
    if (value === undefined || value.trim() === '') throw new ConfigError(`${where}.urlEnv: environment variable ${config.urlEnv} is not set`);
    url = value.trim();
  } else if (config.urlFile !== undefined) {
    const path = isAbsolute(config.urlFile) ? config.urlFile : resolve(ctx.baseDir, config.urlFile);
    try {
      url = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(`${where}.urlFile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, undefined, err);
    }
    if (url === '') throw new ConfigError(`${where}.urlFile: ${path} is empty`);
  } else {
    throw new ConfigError(`${where}: give exactly one of url, urlEnv or urlFile`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${where}: not a URL (${redactUrl(url)})`, 'write it as postgres://user:password@host:5432/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`${where}: ${redactUrl(url)} is not a postgres:// URL`, 'write it as postgres://user:password@host:5432/database');
  }
  return url;
}

const MASK = '***';

/**
 * The URL with any password masked, for logs and messages. Also masks a `password=` query
 * parameter, and does its best on text that does not parse as a URL (a typo must not print the
 * secret either).
 */
export function redactUrl(url: string): string {
  const masked = (text: string) =>
    (text.includes('//') ? text.replace(/(\/\/[^/:@]*:)[^@]*@/, `$1${MASK}@`) : text.replace(/^([^:@]*:)[^@]*@/, `$1${MASK}@`)).replace(
      /((?:ssl)?password=)[^&\s]*/gi,
      `$1${MASK}`,
    );
  // Only a URL with an authority (scheme://) has a userinfo the parser knows; "user:pw@host" parses
  // as scheme "user:" with the password in its path.
  if (!url.includes('://')) return masked(url);
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = MASK;
    for (const key of [...parsed.searchParams.keys()]) {
      if (/^(password|sslpassword)$/i.test(key)) parsed.searchParams.set(key, MASK);
    }
    // URLSearchParams encodes '*': put the mask back as written.
    return parsed.toString().replace(/%2A%2A%2A/g, MASK);
  } catch {
    return masked(url);
  }
}

export interface PoolOptions {
  maxConnections?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Told about a pooled connection that broke while idle (a server restart); the pool drops it. */
  logger?: Logger;
}

/** Pool options from the config section, defaults left to `createPool`. */
export function poolOptions(config: PostgresConfig): PoolOptions {
  return {
    ...(config.maxConnections !== undefined ? { maxConnections: config.maxConnections } : {}),
    ...(config.connectTimeout !== undefined ? { connectTimeoutMs: parseDuration(config.connectTimeout) } : {}),
    ...(config.statementTimeout !== undefined ? { statementTimeoutMs: parseDuration(config.statementTimeout) } : {}),
  };
}

export const POOL_DEFAULTS = { maxConnections: 10, connectTimeoutMs: 10_000, statementTimeoutMs: 30_000 } as const;

export interface PostgresConnection {
  pool: pg.Pool;
  /** The server, password masked: what messages name. */
  server: string;
  close(): Promise<void>;
}

/**
 * A pool for `url`. No connection is made until the first query (`connectPostgres` makes one to
 * fail early). Sessions are named 'certfleet' in pg_stat_activity so a DBA can tell them apart.
 */
export function createPool(url: string, options: PoolOptions = {}): PostgresConnection {
  const server = redactUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    application_name: 'certfleet',
    max: options.maxConnections ?? POOL_DEFAULTS.maxConnections,
    connectionTimeoutMillis: options.connectTimeoutMs ?? POOL_DEFAULTS.connectTimeoutMs,
    // A server-side limit: the server cancels a runaway statement and the session stays usable.
    statement_timeout: options.statementTimeoutMs ?? POOL_DEFAULTS.statementTimeoutMs,
    // Idle sessions are closed after a while so a quiet runner does not pin server slots.
    idleTimeoutMillis: 30_000,
    // Notice a dead peer (a failed-over server behind a NAT) instead of waiting on it forever.
    keepAlive: true,
  });
  // An idle pooled connection that breaks (the server restarted or ended it) is reported as an
  // 'error' event on the pool; without a listener Node would crash the process on it. The pool has
  // already dropped the connection; the next query opens a new one.
  pool.on('error', (err) => {
    options.logger?.warn('PostgreSQL closed an idle connection; the next query opens a new one', { server, error: err.message });
  });
  let closed = false;
  return {
    pool,
    server,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** A pool whose server answered one query: start-up fails here, with a clear error, or not at all. */
export async function connectPostgres(url: string, options: PoolOptions = {}): Promise<PostgresConnection> {
  const connection = createPool(url, options);
  try {
    await withPostgresErrors(connection.server, () => connection.pool.query('SELECT 1'));
  } catch (err) {
    await connection.close();
    throw err;
  }
  return connection;
}

/** Run `fn`, turning a connection failure into a `CertfleetError` naming the server. */
export async function withPostgresErrors<T>(server: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw postgresError(err, server);
  }
}

/** SQLSTATEs of the failures a user can do something about, by what they mean. */
const AUTH_STATES = new Set(['28P01', '28000']); // invalid_password, invalid_authorization_specification
const DATABASE_MISSING = '3D000'; // invalid_catalog_name
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']); // admin_shutdown, crash_shutdown, cannot_connect_now
const QUERY_CANCELED = '57014'; // statement timeout (or a DBA's pg_cancel_backend)
/** insufficient_privilege: the role lacks a grant (or lost it). */
const INSUFFICIENT_PRIVILEGE = '42501';
const TOO_MANY_CONNECTIONS = '53300';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOENT', 'EACCES']);

/**
 * The error a person should see for `err`, a failure talking to `server` (already redacted).
 * Anything that is not a connection, authentication or timeout problem (an SQL error is a bug
 * here) is returned unchanged.
 */
export function postgresError(err: unknown, server: string): unknown {
  if (err instanceof CertfleetError || !(err instanceof Error)) return err;
  const code = (err as { code?: unknown }).code;
  const state = typeof code === 'string' ? code : undefined;
  const at = `PostgreSQL at ${server}`;
  const make = (what: string, message: string, hint: string) =>
    new CertfleetError(`postgres-${what}`, `${at}: ${message}`, { exitCode: ExitCode.usage, hint, cause: err });

  if (state !== undefined && AUTH_STATES.has(state)) {
    return make('auth', `authentication failed (${err.message})`, 'check the user and password in store.postgres and the server\'s pg_hba.conf');
  }
  if (state === DATABASE_MISSING) {
    return make('database-missing', `the database does not exist (${err.message})`, 'create it (createdb) or fix the database name in store.postgres');
  }
  if (state !== undefined && NETWORK_CODES.has(state)) {
    return make('unreachable', `server not reachable (${state}: ${err.message})`, 'check that the server runs and that host and port in store.postgres are right');
  }
  if (state === TOO_MANY_CONNECTIONS) {
    return make('unreachable', `the server refuses more connections (${err.message})`, 'lower store.postgres.maxConnections or raise the server\'s max_connections');
  }
  if (state !== undefined && SHUTDOWN_STATES.has(state)) {
    return make('connection-lost', `the server is shutting down or restarting (${err.message})`, 'run again once the server is back; work already committed is kept');
  }
  if (state === INSUFFICIENT_PRIVILEGE) {
    // An agent's role whose access was revoked (store revoke-agent), or a role never granted any.
    return make('permission', `this role may not do that (${err.message})`, 'a runner connects as the store\'s owner or a member of certfleet_runner; an agent needs `certfleet store grant-agent --host H`');
  }
  if (state === QUERY_CANCELED) {
    return make('timeout', `a statement was cancelled (${err.message})`, 'the server was slow or a lock was held; raise store.postgres.statementTimeout if this repeats');
  }
  // The driver's own words for a connection that timed out or died (no code on these).
  if (/timeout expired|connection timeout/i.test(err.message)) {
    return make('unreachable', `no connection within the connect timeout (${err.message})`, 'check that the server runs and answers; raise store.postgres.connectTimeout for a slow link');
  }
  if (/Connection terminated|ECONNRESET|EPIPE|Client has encountered a connection error/i.test(err.message) || state === 'ECONNRESET' || state === 'EPIPE') {
    return make('connection-lost', `the connection was lost (${err.message})`, 'run again once the server is back; work already committed is kept');
  }
  return err;
}
