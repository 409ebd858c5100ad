/**
 * The shared state store: every port of ports.ts over one PostgreSQL database, for several runners
 * on several hosts. `open` checks the schema (migrating is `certfleet store migrate`'s job, never a
 * side effect) and fails with the server named, its password masked; the pool reconnects by itself
 * after a server restart (connection.ts).
 */
import { PostgresSpecs } from './specs.js';
import type { Logger } from '../../logger.js';
import type { ChangeListener, StateStore } from '../ports.js';
import { PostgresAccounts } from './accounts.js';
import { PostgresRateBudget } from './budget.js';
import { PostgresCertificates } from './certificates.js';
import { PostgresChallengeTokens } from './challenges.js';
import { PostgresDeployments } from './deployments.js';
import { createPool, redactUrl, type PoolOptions, type PostgresConnection } from './connection.js';
import { Db } from './db.js';
import type { Keyring } from './encryption.js';
import { PostgresHeartbeats } from './heartbeats.js';
import { PostgresHostKeys } from './host-keys.js';
import { PostgresLeases } from './leases.js';
import { checkSchema } from './migrations.js';
import { listenOn } from './notifications.js';
import { PostgresRunRecords } from './run-records.js';

export interface PostgresStateStoreOptions extends PoolOptions {
  /** postgres://... (connection.ts `resolvePostgresUrl`). */
  url: string;
  /**
   * Encrypts the private keys stored, decrypts them read (encryption.ts `loadKeyring`). Absent only
   * for an agent that reads the keys wrapped to its host (host-keys.ts).
   */
  keyring: Keyring | undefined;
  /** certfleet's version, for the schema check's messages. */
  binaryVersion?: string;
  logger?: Logger;
  /** History entries kept (run-records.ts `HISTORY_KEEP`). */
  historyKeep?: number;
}

export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres';
  readonly location: string;
  readonly certificates: PostgresCertificates;
  readonly accounts: PostgresAccounts;
  readonly runs: PostgresRunRecords;
  readonly leases: PostgresLeases;
  readonly challenges: PostgresChallengeTokens;
  readonly budget: PostgresRateBudget;
  readonly specs: PostgresSpecs;
  readonly deployments: PostgresDeployments;
  readonly hostKeys: PostgresHostKeys;
  readonly heartbeats: PostgresHeartbeats;

  private constructor(
    private readonly connection: PostgresConnection,
    options: PostgresStateStoreOptions,
  ) {
    this.location = redactUrl(options.url);
    const db = new Db(connection.pool, connection.server);
    this.certificates = new PostgresCertificates(db, options.keyring);
    this.accounts = new PostgresAccounts(db, options.keyring);
    this.runs = new PostgresRunRecords(db, options.historyKeep);
    this.leases = new PostgresLeases(db);
    this.challenges = new PostgresChallengeTokens(db);
    this.budget = new PostgresRateBudget(db);
    this.specs = new PostgresSpecs(db);
    this.deployments = new PostgresDeployments(db);
    this.hostKeys = new PostgresHostKeys(db, options.keyring);
    this.heartbeats = new PostgresHeartbeats(db);
  }

  /** The store, once the server answered and its schema is the one this binary knows. */
  static async open(options: PostgresStateStoreOptions): Promise<PostgresStateStore> {
    const connection = createPool(options.url, options);
    try {
      await checkSchema(connection.pool, { server: connection.server, ...(options.binaryVersion !== undefined ? { binaryVersion: options.binaryVersion } : {}) });
    } catch (err) {
      await connection.close();
      throw err;
    }
    return new PostgresStateStore(connection, options);
  }

  /** Nothing is buffered here: every write is in the database when its promise resolves. */
  close(): Promise<void> {
    return this.connection.close();
  }

  /**
   * The ids of the keys the rows a run needs are encrypted with: every account key (current and
   * pending) and one version's key, a sample: reading every version's would cost each run O(fleet),
   * and one key (or the keys of a rotation under way) encrypts them all.
   */
  async keyIdsInUse(): Promise<string[]> {
    const { rows } = await new Db(this.connection.pool, this.connection.server).query<{ key_id: string }>(
      `SELECT key_id FROM accounts UNION SELECT pending_key_id FROM accounts WHERE pending_key_id IS NOT NULL
       UNION (SELECT key_id FROM versions WHERE key_id IS NOT NULL LIMIT 1)`,
    );
    return rows.map((r) => r.key_id);
  }

  /** ports.ts `ChangeFeed`: LISTEN on a connection of its own to the pool's server (notifications.ts). */
  listen(channel: string, listener: ChangeListener, logger: Logger): Promise<{ close(): Promise<void> }> {
    const { connectionString, connectionTimeoutMillis } = this.connection.pool.options;
    return listenOn(channel, listener, {
      client: { connectionString, application_name: 'certfleet-listen', keepAlive: true, ...(connectionTimeoutMillis !== undefined ? { connectionTimeoutMillis } : {}) },
      server: this.connection.server,
      logger,
    });
  }
}
