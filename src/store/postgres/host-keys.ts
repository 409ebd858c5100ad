/**
 * Per-host key wrapping (ports.ts `HostKeyRecords`) in the `host_keys` and `version_host_keys`
 * tables of schema version 7. A runner wraps a version's private key to each registered host its
 * certificate is assigned to when it stores the version (`wrapsFor` + `writeWraps`, called by
 * certificates.ts `addVersion`), and once per run wraps what is missing for the hosts that asked
 * (`wrapMissing`: a host registered after the version was stored, a key replaced, a spec that
 * started naming the host, an agent that found no copy: migration 007). Only a runner decrypts with
 * the data key here; an agent reads its own host's rows (row-level security) and unwraps them itself.
 */
import type { HostKeyRecords, RegisteredHostKey, WrappedHostKey } from '../ports.js';
import { hostKeyFingerprint, parseHostPublicKey, publicKeyPem, wrapForHost } from '../key-wrap.js';
import type pg from 'pg';
import { Db, type Queryable } from './db.js';
import { decryptPrivateKey, type Keyring } from './encryption.js';

/** One version's key wrapped to one host, ready to be written in the version's transaction. */
export interface HostWrap {
  host: string;
  fingerprint: string;
  wrapped: Buffer;
}

interface HostKeyRow {
  host: string;
  public_key: string;
  fingerprint: string;
  created_at: Date;
}

/** Keys wrapped per transaction of the pass: bounds the memory and the transaction of a pass after many hosts registered. */
const BATCH = 200;

export class PostgresHostKeys implements HostKeyRecords {
  constructor(
    private readonly db: Db,
    /** Absent: an agent without the data key, which never wraps. */
    private readonly ring: Keyring | undefined,
  ) {}

  async publicKey(host: string): Promise<RegisteredHostKey | undefined> {
    const { rows } = await this.db.query<HostKeyRow>('SELECT host, public_key, fingerprint, created_at FROM host_keys WHERE host = $1', [host]);
    return rows[0] === undefined ? undefined : registered(rows[0]);
  }

  async register(host: string, pem: string, options: { replace?: boolean } = {}): Promise<{ key: RegisteredHostKey; changed: boolean }> {
    // Normalised: the PEM registered is the one certfleet writes, whatever whitespace the file had.
    const key = parseHostPublicKey(pem, `the public key for host ${host}`);
    const values = [host, publicKeyPem(key), hostKeyFingerprint(key)];
    // An agent role may insert its own host's row but never update one: ON CONFLICT DO NOTHING needs no UPDATE privilege.
    const { rows } = await this.db.query<HostKeyRow>(
      options.replace === true
        ? `INSERT INTO host_keys (host, public_key, fingerprint) VALUES ($1, $2, $3)
           ON CONFLICT (host) DO UPDATE SET public_key = EXCLUDED.public_key, fingerprint = EXCLUDED.fingerprint, created_at = now(), wrap_requested_at = now()
           WHERE host_keys.fingerprint <> EXCLUDED.fingerprint
           RETURNING host, public_key, fingerprint, created_at`
        : `INSERT INTO host_keys (host, public_key, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (host) DO NOTHING
           RETURNING host, public_key, fingerprint, created_at`,
      values,
    );
    if (rows[0] !== undefined) return { key: registered(rows[0]), changed: true };
    const current = await this.publicKey(host);
    if (current === undefined) throw new Error(`host ${host}: its key row is neither inserted nor readable`);
    return { key: current, changed: false };
  }

  async wrapped(name: string, version: string, host: string): Promise<WrappedHostKey | undefined> {
    const { rows } = await this.db.query<{ fingerprint: string; wrapped_key: Buffer }>(
      'SELECT fingerprint, wrapped_key FROM version_host_keys WHERE certificate = $1 AND version = $2 AND host = $3',
      [name, version, host],
    );
    return rows[0] === undefined ? undefined : { fingerprint: rows[0].fingerprint, wrapped: rows[0].wrapped_key };
  }

  async requestWrap(host: string, fingerprint: string): Promise<boolean> {
    // Only for the key asked about: an agent whose host has another key registered asks for nothing.
    const { rowCount } = await this.db.query('UPDATE host_keys SET wrap_requested_at = now() WHERE host = $1 AND fingerprint = $2', [host, fingerprint]);
    return rowCount !== 0;
  }

  async wrapMissing(options: { host?: string } = {}): Promise<number> {
    // The hosts asked for (one table of a row per host: what a run with nothing to do costs).
    const { rows: hosts } = await this.db.query<{ host: string; public_key: string; fingerprint: string; started: Date }>(
      `SELECT host, public_key, fingerprint, clock_timestamp() AS started FROM host_keys
        WHERE CASE WHEN $1::text IS NULL THEN wrapped_at IS NULL OR wrap_requested_at >= wrapped_at ELSE host = $1 END
        ORDER BY host COLLATE "C"`,
      [options.host ?? null],
    );
    let wrapped = 0;
    for (const h of hosts) wrapped += await this.wrapHost(h);
    return wrapped;
  }

  /** Every current version assigned to the host without a copy wrapped to its key, then the host marked done as of `started`. */
  private async wrapHost(h: { host: string; public_key: string; fingerprint: string; started: Date }): Promise<number> {
    const key = parseHostPublicKey(h.public_key, `host_keys row of ${h.host}`);
    // The list first (names only), the keys a batch at a time: memory and transactions stay bounded.
    const { rows: missing } = await this.db.query<{ certificate: string; version: string }>(
      `SELECT c.name AS certificate, v.id AS version
         FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version
        WHERE c.archived_at IS NULL AND c.spec IS NOT NULL AND c.spec->'entry'->'hosts' ? $1 AND v.key_ciphertext IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM version_host_keys w WHERE w.certificate = c.name AND w.version = v.id AND w.host = $1 AND w.fingerprint = $2)`,
      [h.host, h.fingerprint],
    );
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH);
      const { rows } = await this.db.query<{ certificate: string; id: string; key_ciphertext: Buffer; key_nonce: Buffer; key_id: string }>(
        `SELECT v.certificate, v.id, v.key_ciphertext, v.key_nonce, v.key_id FROM versions v
           JOIN unnest($1::text[], $2::text[]) AS m(certificate, id) ON v.certificate = m.certificate AND v.id = m.id
          WHERE v.key_ciphertext IS NOT NULL`,
        [batch.map((m) => m.certificate), batch.map((m) => m.version)],
      );
      const wraps = rows.map((r) => {
        const owner = { certificate: r.certificate, version: r.id };
        const keyPem = decryptPrivateKey(this.ring, { ciphertext: r.key_ciphertext, nonce: r.key_nonce, keyId: r.key_id }, { kind: 'version', ...owner });
        return { ...owner, wrap: { host: h.host, fingerprint: h.fingerprint, wrapped: wrapForHost(key, keyPem, { ...owner, host: h.host }) } };
      });
      await this.db.transaction(async (client) => {
        for (const w of wraps) await upsertWrap(client, w.certificate, w.version, w.wrap);
      });
    }
    // Done as of when this pass began: a request made since (a new version raced the list) stays pending.
    await this.db.query('UPDATE host_keys SET wrapped_at = $3 WHERE host = $1 AND fingerprint = $2 AND (wrapped_at IS NULL OR wrapped_at < $3)', [h.host, h.fingerprint, h.started]);
    return missing.length;
  }
}

/**
 * The version's key wrapped to every registered host the certificate's spec names: read and
 * computed before the version's transaction (no row lock held while the CPU works). A host
 * registered between this read and the commit is covered by the next `wrapMissing`.
 */
export async function wrapsFor(db: Queryable, name: string, version: string, keyPem: string): Promise<HostWrap[]> {
  const { rows } = await db.query<{ host: string; public_key: string; fingerprint: string }>(
    `SELECT h.host, h.public_key, h.fingerprint FROM certificates c JOIN host_keys h ON c.spec->'entry'->'hosts' ? h.host
      WHERE c.name = $1 AND c.archived_at IS NULL AND c.spec IS NOT NULL ORDER BY h.host COLLATE "C"`,
    [name],
  );
  return rows.map((r) => wrapTo(r, name, version, keyPem));
}

/** In the version's transaction: its wrapped copies replaced by `wraps` (a version stored again may hold another key). */
export async function writeWraps(client: Queryable, name: string, version: string, wraps: readonly HostWrap[]): Promise<void> {
  await client.query('DELETE FROM version_host_keys WHERE certificate = $1 AND version = $2', [name, version]);
  for (const w of wraps) await upsertWrap(client, name, version, w);
}

function wrapTo(row: { host: string; public_key: string; fingerprint: string }, certificate: string, version: string, keyPem: string): HostWrap {
  const key = parseHostPublicKey(row.public_key, `host_keys row of ${row.host}`);
  return { host: row.host, fingerprint: row.fingerprint, wrapped: wrapForHost(key, keyPem, { certificate, version, host: row.host }) };
}

async function upsertWrap(client: Queryable, certificate: string, version: string, w: HostWrap): Promise<void> {
  // From the version's row: a version archived since it was read is left alone, not a foreign key error.
  await client.query(
    `INSERT INTO version_host_keys (certificate, version, host, fingerprint, wrapped_key)
     SELECT certificate, id, $3, $4, $5 FROM versions WHERE certificate = $1 AND id = $2
     ON CONFLICT (certificate, version, host) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, wrapped_key = EXCLUDED.wrapped_key, created_at = now()`,
    [certificate, version, w.host, w.fingerprint, w.wrapped],
  );
}

function registered(row: HostKeyRow): RegisteredHostKey {
  return { host: row.host, publicKeyPem: row.public_key, fingerprint: row.fingerprint, createdAt: row.created_at.toISOString() };
}

/**
 * `store grant-agent --public-key`: the operator registers (or replaces) a host's key, and with the
 * data key at hand wraps the host's current versions to it at once; without one, the next runner's
 * pass does.
 */
export async function registerHostKey(
  pool: pg.Pool,
  server: string,
  request: { host: string; publicKeyPem: string; ring: Keyring | undefined },
): Promise<{ key: RegisteredHostKey; changed: boolean; wrapped: number | undefined }> {
  const records = new PostgresHostKeys(new Db(pool, server), request.ring);
  const { key, changed } = await records.register(request.host, request.publicKeyPem, { replace: true });
  return { key, changed, wrapped: request.ring === undefined ? undefined : await records.wrapMissing({ host: request.host }) };
}
