/**
 * `certfleet store grant-agent` / `revoke-agent`: a PostgreSQL login role per host's agent, a member
 * of `certfleet_agent`, bound to its host in `agent_roles`; row-level security (migration 006) does
 * the rest. The table privileges belong to the group role (granted by the migration), so a grant
 * here is a membership and a binding, and a revocation takes both away.
 *
 * No password is set here: `CREATE ROLE ... PASSWORD '...'` sends the secret in the statement, where
 * `log_statement = ddl` writes it to the server log, and printing one puts it in terminal
 * scrollback and CI logs. The operator sets it with psql's `\password` (which sends only a SCRAM
 * hash), or uses certificate or peer authentication and needs none.
 */
import pg from 'pg';
import { CertfleetError, ExitCode, UsageError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { ResolvedStoreSettings } from '../open-store.js';
import { connectPostgres, poolOptions, withPostgresErrors } from './connection.js';
import { canonicalHostName, hostNameProblem } from '../../config/host-names.js';
import { checkSchema } from './migrations.js';
import { postgresUrl } from './open.js';

/** An unquoted PostgreSQL identifier, lower case (a quoted mixed-case role is a trap in every psql command after). */
const ROLE_NAME = /^[a-z_][a-z0-9_]*$/;
/** NAMEDATALEN - 1: PostgreSQL truncates longer names silently, and two hosts could meet in one role. */
const MAX_ROLE_BYTES = 63;
const PREFIX = 'certfleet_agent_';

/** Grants and revocations serialise: two operators granting one host at once create the role once. */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('certfleet agent roles'))";

export interface AgentGrant {
  host: string;
  role: string;
  /** The login role did not exist and was created (without a password). */
  created: boolean;
  /** The role was not yet bound to the host (false: the grant was already in place). */
  bound: boolean;
}

export interface AgentRevocation {
  host: string;
  /** The roles that lost the binding and the membership; empty when the host had none. */
  roles: string[];
}

/** `certfleet_agent_<host>`, lower case, every character but letters, digits and _ made _. */
export function agentRoleName(host: string): string {
  checkHost(host);
  const role = PREFIX + host.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (Buffer.byteLength(role) > MAX_ROLE_BYTES) {
    throw new UsageError(`the role name for host ${host} would be longer than PostgreSQL's ${MAX_ROLE_BYTES} bytes`, 'name one with --role');
  }
  return role;
}

/** Create (when missing) the host's login role, make it a certfleet_agent, bind it to the host. Idempotent. */
export async function grantAgent(pool: pg.Pool, given: { host: string; role?: string }, server = 'the configured server'): Promise<AgentGrant> {
  const request = { ...given, host: checkHost(given.host) };
  const role = request.role ?? agentRoleName(request.host);
  checkRole(role);
  return inTransaction(pool, server, async (client) => {
    const bound = await client.query<{ host: string }>('SELECT host FROM agent_roles WHERE role = $1', [role]);
    const boundTo = bound.rows[0]?.host;
    if (boundTo !== undefined && boundTo !== request.host) {
      throw new CertfleetError('agent-role-bound', `role ${role} is the agent role of host ${boundTo}, not ${request.host}`, {
        hint: `revoke it first (certfleet store revoke-agent --host ${boundTo}) or name another role with --role`,
      });
    }
    const existing = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>('SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1', [role]);
    const found = existing.rows[0];
    if (found === undefined) {
      await client.query(`CREATE ROLE ${pg.escapeIdentifier(role)} LOGIN`);
    } else {
      await refuseUnlimited(client, role, found);
    }
    await client.query(`GRANT certfleet_agent TO ${pg.escapeIdentifier(role)}`);
    if (boundTo === undefined) await client.query('INSERT INTO agent_roles (role, host) VALUES ($1, $2)', [role, request.host]);
    return { host: request.host, role, created: found === undefined, bound: boundTo === undefined };
  });
}

/**
 * Take the host's agent roles (or the one named) out of certfleet_agent and unbind them. The login
 * roles stay: one named with --role may be the operator's, and without the membership none can read
 * a row of the store (`DROP ROLE` it when it is no longer wanted). Idempotent.
 */
export async function revokeAgent(pool: pg.Pool, given: { host: string; role?: string }, server = 'the configured server'): Promise<AgentRevocation> {
  const request = { ...given, host: checkHost(given.host) };
  if (request.role !== undefined) checkRole(request.role);
  return inTransaction(pool, server, async (client) => {
    const { rows } = await client.query<{ role: string; exists: boolean }>(
      `SELECT a.role, EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = a.role) AS exists
         FROM agent_roles a WHERE a.host = $1 AND ($2::name IS NULL OR a.role = $2) ORDER BY a.role`,
      [request.host, request.role ?? null],
    );
    for (const r of rows) {
      await client.query('DELETE FROM agent_roles WHERE role = $1', [r.role]);
      if (r.exists) await client.query(`REVOKE certfleet_agent FROM ${pg.escapeIdentifier(r.role)}`);
    }
    return { host: request.host, roles: rows.map((r) => r.role) };
  });
}

/**
 * What goes in the agent's store.postgres.url: the granting URL (same server, database and
 * options) with the agent's role as user and no password: the operator adds it, or the server
 * authenticates the role otherwise.
 */
export function agentUrl(url: string, role: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(role);
  parsed.password = '';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/^(user|password|sslpassword)$/i.test(key)) parsed.searchParams.delete(key);
  }
  return parsed.toString();
}

export interface AgentRoleIo {
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  binaryVersion?: string;
}

/** The CLI's entry: the store's database (its schema current), one grant or revocation, and the agent's URL. */
export async function changeAgentRole<T>(
  store: ResolvedStoreSettings,
  io: AgentRoleIo,
  work: (pool: pg.Pool, server: string) => Promise<T>,
): Promise<T & { server: string; agentUrl: (role: string) => string }> {
  const url = postgresUrl(store, io.env);
  const connection = await connectPostgres(url, { ...poolOptions(store.postgres), logger: io.logger });
  try {
    await checkSchema(connection.pool, { server: connection.server, ...(io.binaryVersion !== undefined ? { binaryVersion: io.binaryVersion } : {}) });
    const result = await work(connection.pool, connection.server);
    return { ...result, server: connection.server, agentUrl: (role: string) => agentUrl(url, role) };
  } finally {
    await connection.close();
  }
}

/** As the agent checks --host (config/host-names.ts): the names a spec's hosts: can hold, in the form the store keeps them. */
function checkHost(host: string): string {
  const problem = hostNameProblem(host);
  if (problem) throw new UsageError(`--host "${host}" ${problem}, so no spec's hosts: can name it`, 'give --host with the name the specs use');
  return canonicalHostName(host);
}

function checkRole(role: string): void {
  if (!ROLE_NAME.test(role) || Buffer.byteLength(role) > MAX_ROLE_BYTES) {
    throw new UsageError(`--role ${role}: not a lower-case PostgreSQL role name (a-z, 0-9 and _, at most ${MAX_ROLE_BYTES} bytes, not starting with a digit)`);
  }
}

/** Row-level security does not apply to a superuser, a BYPASSRLS role, the tables' owner or a runner: such a role would see every host's keys. */
async function refuseUnlimited(client: pg.PoolClient, role: string, found: { rolsuper: boolean; rolbypassrls: boolean }): Promise<void> {
  const { rows } = await client.query<{ owner: boolean; runner: boolean }>(
    `SELECT pg_has_role($1, c.relowner, 'USAGE') AS owner, pg_has_role($1, 'certfleet_runner', 'USAGE') AS runner
       FROM pg_class c WHERE c.oid = 'certificates'::regclass`,
    [role],
  );
  const why = found.rolsuper
    ? 'a superuser'
    : found.rolbypassrls
      ? 'a BYPASSRLS role'
      : rows[0]?.owner
        ? "the store tables' owner (or a member of it)"
        : rows[0]?.runner
          ? 'a member of certfleet_runner'
          : undefined;
  if (why !== undefined) {
    throw new CertfleetError('agent-role-unlimited', `role ${role} is ${why}: row-level security would not limit it to one host's rows`, {
      exitCode: ExitCode.usage,
      hint: 'give each agent a role of its own (leave out --role for certfleet_agent_<host>)',
    });
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

function notAllowed(err: unknown, server: string): CertfleetError {
  return new CertfleetError('agent-role-permission', `PostgreSQL at ${server}: ${(err as Error).message}`, {
    exitCode: ExitCode.usage,
    hint: 'run it connected as a role with CREATEROLE that owns the store tables (the one that ran `certfleet store migrate`), e.g. with --store',
    cause: err,
  });
}

async function inTransaction<T>(pool: pg.Pool, server: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withPostgresErrors(server, async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      try {
        await client.query(LOCK);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw (err as { code?: unknown }).code === INSUFFICIENT_PRIVILEGE ? notAllowed(err, server) : err;
      }
    } finally {
      client.release();
    }
  });
}
