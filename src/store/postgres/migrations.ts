/**
 * Versioned schema migrations for the PostgreSQL store. The applied versions live in
 * `certfleet_schema`; `migrate` applies the missing ones, `checkSchema` is what every other command
 * asks at start-up (it changes nothing: migrating is an operator's decision, `certfleet store
 * migrate`, not a side effect of a renewal run).
 *
 * Each migration runs in its own transaction holding a transaction-scoped advisory lock, so two
 * runners migrating at once serialise: the second waits, then finds the work done. A failed
 * migration rolls back whole (PostgreSQL's DDL is transactional) and leaves the previous version.
 */
import type pg from 'pg';
import { CertfleetError, ExitCode } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { withPostgresErrors } from './connection.js';
import { initial } from './migrations/001-initial.js';
import { stateStore } from './migrations/002-state-store.js';
import { specs } from './migrations/003-specs.js';
import { deployments } from './migrations/004-deployments.js';
import { deployedNotify } from './migrations/005-deployed-notify.js';
import { agentRoles } from './migrations/006-agent-roles.js';
import { hostKeys } from './migrations/007-host-keys.js';
import { challengeIdentifier } from './migrations/008-challenge-identifier.js';
import { agentHeartbeats } from './migrations/009-agent-heartbeats.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration this binary knows, in order; versions are 1, 2, 3, ... without gaps. */
export const MIGRATIONS: readonly Migration[] = [initial, stateStore, specs, deployments, deployedNotify, agentRoles, hostKeys, challengeIdentifier, agentHeartbeats];

/** The schema version this binary works with. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Both runners must hash the same text to the same lock: it is part of the schema contract. */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('certfleet schema migration'))";

const CREATE_SCHEMA_TABLE = `
CREATE TABLE IF NOT EXISTS certfleet_schema (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  -- The certfleet release that applied it: the first thing to know when a schema is newer than a binary.
  binary_version text NOT NULL
)`;

export interface MigrateOptions {
  /** certfleet's own version, recorded with each migration applied. */
  binaryVersion?: string;
  /** Names the server in errors (redacted). */
  server?: string;
  logger?: Logger;
  /** Tests only: another list of migrations. */
  migrations?: readonly Migration[];
}

export interface MigrateResult {
  /** The version found (0: an empty database). */
  from: number;
  to: number;
  applied: number[];
}

export interface SchemaState {
  version: number;
  /** The release that applied the newest migration, when there is one. */
  appliedBy: string | undefined;
}

/** Apply every pending migration. Safe to run at the same time as another runner. */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? MIGRATIONS;
  checkList(migrations);
  const known = migrations.length;
  const server = options.server ?? 'the configured server';
  return withPostgresErrors(server, async () => {
    const client = await pool.connect();
    let from: number | undefined;
    const applied: number[] = [];
    try {
      for (;;) {
        await client.query('BEGIN');
        try {
          // A migration may rewrite a large table and the other runner waits on the lock for as
          // long: neither is a runaway statement, so the pool's statement timeout does not apply.
          await client.query('SET LOCAL statement_timeout = 0');
          await client.query(LOCK);
          // Under the lock: two empty databases' first runners would otherwise race on creating it.
          await client.query(CREATE_SCHEMA_TABLE);
          const state = await readState(client);
          from ??= state.version;
          if (state.version > known) throw newerSchema(state, known, options.binaryVersion, server);
          const next = migrations[state.version];
          if (next === undefined) {
            await client.query('COMMIT');
            return { from, to: state.version, applied };
          }
          options.logger?.info(`applying schema migration ${next.version} (${next.name})`, { server });
          await client.query(next.sql);
          await client.query('INSERT INTO certfleet_schema (version, name, binary_version) VALUES ($1, $2, $3)', [
            next.version,
            next.name,
            options.binaryVersion ?? 'unknown',
          ]);
          await client.query('COMMIT');
          applied.push(next.version);
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      client.release();
    }
  });
}

/**
 * The start-up check: the schema must be exactly the version this binary knows. Older or absent:
 * run `certfleet store migrate`. Newer: this binary is older than the one that migrated, and must
 * not write rows it does not understand.
 */
export async function checkSchema(pool: pg.Pool, options: Omit<MigrateOptions, 'logger'> = {}): Promise<SchemaState> {
  const known = (options.migrations ?? MIGRATIONS).length;
  const server = options.server ?? 'the configured server';
  return withPostgresErrors(server, async () => {
    const exists = await pool.query<{ table: string | null }>("SELECT to_regclass('certfleet_schema')::text AS table");
    if (exists.rows[0]?.table == null) {
      throw new CertfleetError('store-schema-missing', `the PostgreSQL store at ${server} has no certfleet schema`, {
        exitCode: ExitCode.usage,
        hint: 'run `certfleet store migrate` once to create it',
      });
    }
    const state = await readState(pool);
    if (state.version > known) throw newerSchema(state, known, options.binaryVersion, server);
    if (state.version < known) {
      throw new CertfleetError(
        'store-schema-old',
        `the PostgreSQL store at ${server} has schema version ${state.version}; this certfleet${versionText(options.binaryVersion)} needs version ${known}`,
        { exitCode: ExitCode.usage, hint: 'run `certfleet store migrate` to bring it up to date' },
      );
    }
    return state;
  });
}

async function readState(db: pg.Pool | pg.PoolClient): Promise<SchemaState> {
  const result = await db.query<{ version: number; binary_version: string }>(
    'SELECT version, binary_version FROM certfleet_schema ORDER BY version DESC LIMIT 1',
  );
  const row = result.rows[0];
  return { version: row?.version ?? 0, appliedBy: row?.binary_version };
}

function versionText(binaryVersion: string | undefined): string {
  return binaryVersion === undefined ? '' : ` ${binaryVersion}`;
}

function newerSchema(state: SchemaState, known: number, binaryVersion: string | undefined, server: string): CertfleetError {
  const by = state.appliedBy === undefined || state.appliedBy === 'unknown' ? '' : ` (applied by certfleet ${state.appliedBy})`;
  return new CertfleetError(
    'store-schema-newer',
    `the PostgreSQL store at ${server} has schema version ${state.version}${by}; this certfleet${versionText(binaryVersion)} knows versions up to ${known}`,
    { exitCode: ExitCode.usage, hint: 'run a certfleet release at least as new as the one that migrated the database; nothing was changed' },
  );
}

/** A list with a gap or out of order would skip or repeat migrations: refuse it before touching anything. */
function checkList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: position ${i + 1} holds version ${m.version}`);
  });
}
