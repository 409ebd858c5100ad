/**
 * `certfleet store rotate-key`: every private key in the database re-encrypted under the current
 * key (store.encryptionKeyFile), the keys being rotated away from given as
 * store.previousEncryptionKeyFiles. Row by row in short batch transactions while runners keep
 * working: each row is rewritten only if it still holds the ciphertext that was read (a runner that
 * wrote it meanwhile wrote it under its own current key), so an interrupted rotation is simply run
 * again and skips the rows already done. A row encrypted with a key in neither setting stops the
 * rotation before anything is written: it could never be decrypted again.
 */
import type { OpenStoreIo, ResolvedStoreSettings } from '../open-store.js';
import { CertfleetError, ExitCode } from '../../errors.js';
import { connectPostgres, poolOptions } from './connection.js';
import { Db } from './db.js';
import { loadKeyring, reencrypt, type KeyOwner, type Keyring } from './encryption.js';
import { checkSchema } from './migrations.js';
import { postgresUrl } from './open.js';

/** Where encrypted keys live: a table, which of its column groups, the row's identity, and whose key it is (the AAD). */
interface KeyColumns {
  what: RotatedKind;
  table: string;
  /** key_ciphertext/key_nonce/key_id, or pending_key_*. */
  prefix: 'key' | 'pending_key';
  primaryKey: readonly string[];
  owner: (row: Record<string, unknown>) => KeyOwner;
}

export type RotatedKind = 'versions' | 'accountKeys' | 'pendingAccountKeys' | 'retiredAccountKeys';

const account = (row: Record<string, unknown>): KeyOwner => ({ kind: 'account', directoryUrl: String(row.directory_url) });

const COLUMNS: readonly KeyColumns[] = [
  { what: 'versions', table: 'versions', prefix: 'key', primaryKey: ['certificate', 'id'], owner: (row) => ({ kind: 'version', certificate: String(row.certificate), version: String(row.id) }) },
  { what: 'accountKeys', table: 'accounts', prefix: 'key', primaryKey: ['directory_url'], owner: account },
  { what: 'pendingAccountKeys', table: 'accounts', prefix: 'pending_key', primaryKey: ['directory_url'], owner: account },
  { what: 'retiredAccountKeys', table: 'account_keys_retired', prefix: 'key', primaryKey: ['id'], owner: account },
];

export interface RotatedCounts {
  /** Re-encrypted by this run. */
  reencrypted: number;
  /** Already under the current key when this run began (an earlier, interrupted run did them, or they are new). */
  alreadyCurrent: number;
  /** Still under an older key after this run: rewritten meanwhile by a runner whose current key is the old one, or not reached (interrupted). */
  remaining: number;
}

export interface RotateKeyResult {
  server: string;
  /** The id of the key every row is now encrypted with. */
  keyId: string;
  counts: Record<RotatedKind, RotatedCounts>;
  /** Stopped between two batches (the signal): run again to finish. */
  interrupted: boolean;
  /** No row is left under an older key: the previous key files can be removed from the config. */
  complete: boolean;
}

export interface RotateOptions {
  /** Rows per transaction (default 100). */
  batchSize?: number;
  /** Checked between batches: a rotation stopped there is consistent and resumes when run again. */
  signal?: AbortSignal;
  /** After each batch: how many rows of this kind this run has re-encrypted so far. */
  onBatch?: (what: RotatedKind, reencrypted: number) => void;
}

/** Re-encrypt every key row under `ring.current`. */
export async function rotateKeys(db: Db, ring: Keyring, options: RotateOptions = {}): Promise<Omit<RotateKeyResult, 'server'>> {
  const before = new Map<RotatedKind, Map<string, number>>();
  for (const columns of COLUMNS) before.set(columns.what, await countByKeyId(db, columns));
  refuseUnknownKeys(ring, before);

  const counts = {} as Record<RotatedKind, RotatedCounts>;
  let interrupted = false;
  for (const columns of COLUMNS) {
    const alreadyCurrent = before.get(columns.what)!.get(ring.current.id) ?? 0;
    const done = interrupted ? 0 : await rotateColumns(db, ring, columns, options, () => (interrupted = true));
    counts[columns.what] = { reencrypted: done, alreadyCurrent, remaining: 0 };
  }
  let complete = true;
  for (const columns of COLUMNS) {
    const after = await countByKeyId(db, columns);
    counts[columns.what].remaining = [...after].filter(([id]) => id !== ring.current.id).reduce((n, [, c]) => n + c, 0);
    if (counts[columns.what].remaining > 0) complete = false;
  }
  return { keyId: ring.current.id, counts, interrupted, complete };
}

async function countByKeyId(db: Db, c: KeyColumns): Promise<Map<string, number>> {
  const { rows } = await db.query<{ key_id: string; n: string }>(`SELECT ${c.prefix}_id AS key_id, count(*) AS n FROM ${c.table} WHERE ${c.prefix}_id IS NOT NULL GROUP BY 1`);
  return new Map(rows.map((r) => [r.key_id, Number(r.n)]));
}

function refuseUnknownKeys(ring: Keyring, before: Map<RotatedKind, Map<string, number>>): void {
  const unknown = new Map<string, number>();
  for (const byId of before.values()) {
    for (const [id, n] of byId) if (!ring.byId.has(id)) unknown.set(id, (unknown.get(id) ?? 0) + n);
  }
  if (unknown.size === 0) return;
  const list = [...unknown].map(([id, n]) => `key id ${id} (${n} row${n === 1 ? '' : 's'})`).join(', ');
  const configured = [...ring.byId.keys()].join(', ');
  throw new CertfleetError('store-key-unknown', `rows are encrypted with a key that is neither store.encryptionKeyFile nor in store.previousEncryptionKeyFiles: ${list}; configured key ids: ${configured}. Nothing was re-encrypted`, {
    exitCode: ExitCode.usage,
    hint: 'add the key file with that id to store.previousEncryptionKeyFiles (the id is the first 8 bytes of the key\'s SHA-256, hex) and run rotate-key again',
  });
}

/** One column group, batch by batch in primary-key order (so a row skipped as changed meanwhile is not read again). */
async function rotateColumns(db: Db, ring: Keyring, c: KeyColumns, options: RotateOptions, stopped: () => void): Promise<number> {
  const batchSize = options.batchSize ?? 100;
  const p = c.prefix;
  const pk = c.primaryKey.join(', ');
  const ownerColumns = [...new Set([...c.primaryKey, ...(c.table === 'account_keys_retired' ? ['directory_url'] : [])])].join(', ');
  let after: unknown[] | undefined;
  let done = 0;
  for (;;) {
    if (options.signal?.aborted) {
      stopped();
      return done;
    }
    const cursor = after === undefined ? '' : `AND (${pk}) > (${c.primaryKey.map((_, i) => `$${i + 2}`).join(', ')})`;
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT ${ownerColumns}, ${p}_ciphertext AS ciphertext, ${p}_nonce AS nonce, ${p}_id AS key_id FROM ${c.table}
        WHERE ${p}_id IS NOT NULL AND ${p}_id <> $1 ${cursor} ORDER BY ${pk} LIMIT ${batchSize}`,
      [ring.current.id, ...(after ?? [])],
    );
    if (rows.length === 0) return done;
    // Encrypted before the transaction: no row lock is held while the CPU works.
    const rewritten = rows.map((row) => ({
      row,
      sealed: reencrypt(ring, { ciphertext: row.ciphertext as Buffer, nonce: row.nonce as Buffer, keyId: String(row.key_id) }, c.owner(row)),
    }));
    done += await db.transaction(async (client) => {
      let n = 0;
      for (const { row, sealed } of rewritten) {
        const where = c.primaryKey.map((col, i) => `${col} = $${i + 4}`).join(' AND ');
        const last = c.primaryKey.length + 4;
        const { rowCount } = await client.query(
          `UPDATE ${c.table} SET ${p}_ciphertext = $1, ${p}_nonce = $2, ${p}_id = $3 WHERE ${where} AND ${p}_id = $${last} AND ${p}_nonce = $${last + 1}`,
          [sealed.ciphertext, sealed.nonce, sealed.keyId, ...c.primaryKey.map((col) => row[col]), row.key_id, row.nonce],
        );
        n += rowCount ?? 0;
      }
      return n;
    });
    options.onBatch?.(c.what, done);
    const last = rows[rows.length - 1]!;
    after = c.primaryKey.map((col) => last[col]);
  }
}

/** The store section's database and keyring, the schema checked, the rotation run. */
export async function rotateStoreKey(store: ResolvedStoreSettings, io: Pick<OpenStoreIo, 'env' | 'logger' | 'binaryVersion'>, options: RotateOptions = {}): Promise<RotateKeyResult> {
  const ring = loadKeyring(store.encryption, { env: io.env, baseDir: store.baseDir, warn: (m) => io.logger.warn(m) });
  const connection = await connectPostgres(postgresUrl(store, io.env), { ...poolOptions(store.postgres), logger: io.logger });
  try {
    await checkSchema(connection.pool, { server: connection.server, ...(io.binaryVersion !== undefined ? { binaryVersion: io.binaryVersion } : {}) });
    const result = await rotateKeys(new Db(connection.pool, connection.server), ring, options);
    return { server: connection.server, ...result };
  } finally {
    await connection.close();
  }
}
