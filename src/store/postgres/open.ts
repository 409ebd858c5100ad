/** Opening the PostgreSQL store and migrating its schema: the part of open-store.ts that loads the driver. */
import type { MigrateStoreResult, OpenStoreIo, OpenStoreOptions, ResolvedStoreSettings } from '../open-store.js';
import type { StateStore } from '../ports.js';
import { connectPostgres, poolOptions, resolvePostgresUrl } from './connection.js';
import { checkKeyringCovers, loadKeyring } from './encryption.js';
import { migrate } from './migrations.js';
import { PostgresStateStore } from './state-store.js';

export async function openPostgresStore(store: ResolvedStoreSettings, io: OpenStoreIo, options: OpenStoreOptions = {}): Promise<StateStore> {
  // An agent may go without the data key (it unwraps the keys wrapped to its host); everyone else needs it, said before connecting.
  const keyed = store.encryption.encryptionKeyFile !== undefined || store.encryption.encryptionKeyEnv !== undefined;
  const keyring = keyed || options.dataKey !== 'optional' ? loadKeyring(store.encryption, { env: io.env, baseDir: store.baseDir, warn: (m) => io.logger.warn(m) }) : undefined;
  const opened = await PostgresStateStore.open({
    url: postgresUrl(store, io.env),
    keyring,
    ...poolOptions(store.postgres),
    logger: io.logger,
    ...(io.binaryVersion !== undefined ? { binaryVersion: io.binaryVersion } : {}),
  });
  try {
    // A wrong key fails here, before the command reads or writes anything.
    if (keyring !== undefined) checkKeyringCovers(keyring, await opened.keyIdsInUse(), opened.location);
  } catch (err) {
    await opened.close();
    throw err;
  }
  return opened;
}

/** The database URL the section names (urlEnv read from `env`, urlFile from disk). */
export function postgresUrl(store: ResolvedStoreSettings, env: Readonly<Record<string, string | undefined>>): string {
  return resolvePostgresUrl(store.postgres, { env, baseDir: store.baseDir });
}

export async function migratePostgresStore(store: ResolvedStoreSettings, io: Pick<OpenStoreIo, 'env' | 'logger' | 'binaryVersion'>): Promise<MigrateStoreResult> {
  const connection = await connectPostgres(postgresUrl(store, io.env), { ...poolOptions(store.postgres), logger: io.logger });
  try {
    const result = await migrate(connection.pool, { server: connection.server, logger: io.logger, ...(io.binaryVersion !== undefined ? { binaryVersion: io.binaryVersion } : {}) });
    return { ...result, server: connection.server };
  } finally {
    await connection.close();
  }
}
