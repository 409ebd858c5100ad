/**
 * What the PostgreSQL-store e2e tests start: Pebble and a throwaway PostgreSQL, and a temp dir with
 * Pebble's HTTPS CA (`pebble-https-ca.pem`) and a store encryption key (`store.key`, 0600) that
 * their configs name. One query helper for looking at the database from the test.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { endAll } from './cli-process.js';
import { startPebble, type RunningPebble } from './pebble.js';
import { tempDir } from './pki.js';
import { startPostgres, type RunningPostgres } from './postgres.js';

export interface StoreAndCa {
  pebble: RunningPebble;
  postgres: RunningPostgres;
  /** Holds pebble-https-ca.pem and store.key. */
  dir: string;
}

export async function startStoreAndCa(prefix: string): Promise<StoreAndCa> {
  const [pebble, postgres] = await Promise.all([startPebble(), startPostgres()]);
  const dir = tempDir(prefix);
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  writeFileSync(join(dir, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return { pebble, postgres, dir };
}

export async function stopStoreAndCa(parts: Partial<StoreAndCa>): Promise<void> {
  await parts.postgres?.stop();
  await parts.pebble?.stop();
}

/**
 * The hooks those files share: both started before the file's tests (handed to `use`), and after
 * them any CLI process a test left running (an agent holding connections) ended before both stop.
 */
export function useStoreAndCa(prefix: string, use: (parts: StoreAndCa) => void): void {
  let parts: Partial<StoreAndCa> = {};
  beforeAll(async () => {
    parts = await startStoreAndCa(prefix);
    use(parts as StoreAndCa);
  }, 60_000);
  afterAll(async () => {
    endAll();
    await stopStoreAndCa(parts);
  });
}

/** One statement on its own connection: the rows. */
export async function queryDatabase<T extends object>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * A config's main file for the PostgreSQL store of these tests: the database URL from
 * CERTFLEET_TEST_DB (each test passes its own database there), the key and Pebble's CA from `dir`.
 */
export function storeConfig(pebble: RunningPebble, dir: string, stateDir: string) {
  return {
    stateDir,
    store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' }, encryptionKeyFile: join(dir, 'store.key') },
    acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { acceptTermsOfService: true } },
  };
}
