/**
 * The state store a run uses, chosen by the config: the state directory (FileStateStore) unless a
 * `store.postgres` section names a database (PostgresStateStore). Secrets (the URL from urlEnv or
 * urlFile, the encryption keys) are read here, when the store is opened, not when the config is
 * resolved: the settings object carries no secret, and a command that never opens the store never
 * reads them. The environment comes from the caller (the core never reads process.env).
 */
import type { Logger } from '../logger.js';
import type { RenewSettings } from '../renewal/managed.js';
import { FileStateStore } from './file-state-store.js';
import type { StateStore } from './ports.js';
import type { PostgresConfig } from './postgres/config-schema.js';
import type { StoreEncryptionConfig } from './postgres/encryption.js';
import type { MigrateResult } from './postgres/migrations.js';

/** The `store` section with `postgres` present, and where its relative paths are resolved from. */
export interface ResolvedStoreSettings {
  kind: 'postgres';
  postgres: PostgresConfig;
  encryption: StoreEncryptionConfig;
  /** The config file's directory: relative urlFile and key file paths are resolved from here. */
  baseDir: string;
}

export interface OpenStoreIo {
  env: Readonly<Record<string, string | undefined>>;
  pid: number;
  now: () => Date;
  logger: Logger;
  /** The file store's wait for another run's short section (renew --lock-wait). */
  lockWaitMs?: number;
  /** certfleet's version, for the PostgreSQL schema check's messages. */
  binaryVersion?: string;
}

export interface OpenStoreOptions {
  /**
   * 'optional': the PostgreSQL store opens without store.encryptionKeyFile/Env (an agent that reads
   * the keys wrapped to its host); a key read under the data key is then a clear error. Default
   * 'required': refused before connecting.
   */
  dataKey?: 'required' | 'optional';
}

/** The store the settings name, ready to use; the caller closes it. */
export async function openStateStore(settings: Pick<RenewSettings, 'stateDir' | 'store'>, io: OpenStoreIo, options: OpenStoreOptions = {}): Promise<StateStore> {
  const store = settings.store;
  if (!store) {
    return new FileStateStore(settings.stateDir, { ...(io.lockWaitMs !== undefined ? { lockWaitMs: io.lockWaitMs } : {}), pid: io.pid, now: () => io.now().getTime() });
  }
  // The driver is loaded only for a PostgreSQL store: a file-store run (most cron runs) never pays for it.
  return (await import('./postgres/open.js')).openPostgresStore(store, io, options);
}

export interface MigrateStoreResult extends MigrateResult {
  /** The server, password masked. */
  server: string;
}

/**
 * `certfleet store migrate`: bring the database's schema up to this binary's version. Needs no
 * encryption key (no private key is read or written); safe while other runners migrate too.
 */
export async function migrateStore(store: ResolvedStoreSettings, io: Pick<OpenStoreIo, 'env' | 'logger' | 'binaryVersion'>): Promise<MigrateStoreResult> {
  return (await import('./postgres/open.js')).migratePostgresStore(store, io);
}
