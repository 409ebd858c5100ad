/**
 * The certificate records (ports.ts `CertificateRecords`) in the `certificates` and `versions`
 * tables. A version's private key is stored only encrypted (encryption.ts; the version's identity
 * is its additional authenticated data) and decrypted only when `files.keyPem` is read; it is also
 * stored wrapped to each registered host that deploys it (host-keys.ts).
 *
 * A schedule (renew's last not-due decision) lives in the certificate's row; any write to the
 * state or to which version is current sets it back to null in the same statement, so a schedule
 * never outlives the state it was decided on (the file store's identity check, done by the row).
 * Every write given a fence checks the lease token in the same statement or transaction and throws
 * LeaseLostError when the certificate was taken over.
 */
import type { CertificateRecords, CertificateState, CertificateStatusFacts, Fence, IssuedVersion, Schedule, VersionBySerial, VersionFiles } from '../ports.js';
import type { Db } from './db.js';
import { timestamp } from './db.js';
import { decryptPrivateKey, encryptPrivateKey, type KeyOwner, type Keyring } from './encryption.js';
import { wrapsFor, writeWraps } from './host-keys.js';
import { checkFence, leaseLost, sameName } from './leases.js';

interface VersionRow {
  id: string;
  meta: IssuedVersion;
  cert_pem: string;
  chain_pem: string | null;
  fullchain_pem: string | null;
  key_ciphertext: Buffer | null;
  key_nonce: Buffer | null;
  key_id: string | null;
}

/** Both the state write and a version switch void the schedule (see the module comment). */
const VOID_SCHEDULE = 'schedule = NULL, next_check_at = NULL, updated_at = now()';

export class PostgresCertificates implements CertificateRecords {
  constructor(
    private readonly db: Db,
    /** Absent: an agent without the data key (every read of a key under it is then a clear error). */
    private readonly ring: Keyring | undefined,
  ) {}

  async names(): Promise<string[]> {
    // A row made only by a lease (acquire, claim) holds no state yet: the file store has no
    // certificate directory for it either.
    const { rows } = await this.db.query<{ name: string }>(
      `SELECT name FROM certificates c
        WHERE archived_at IS NULL
          AND (state <> '{}'::jsonb OR current_version IS NOT NULL OR EXISTS (SELECT 1 FROM versions v WHERE v.certificate = c.name))
        ORDER BY name COLLATE "C"`,
    );
    return rows.map((r) => r.name);
  }

  loadState(name: string, onCorrupt: (message: string) => void): Promise<CertificateState> {
    return this.readState(name, (reason) => `the state of ${name} in the database is unreadable (${reason}); rebuilt from the stored versions (the row keeps it until the next state write)`, onCorrupt);
  }

  loadStateReadOnly(name: string, onCorrupt: (message: string) => void): Promise<CertificateState> {
    return this.readState(name, (reason) => `the state of ${name} in the database is unreadable (${reason}); the next renew rebuilds it`, onCorrupt);
  }

  /**
   * jsonb always parses; what can be wrong is a document certfleet did not write (an edit by
   * hand): it is reported and a fresh state used, as the file store does with a corrupt file.
   */
  private async readState(name: string, message: (reason: string) => string, onCorrupt: (message: string) => void): Promise<CertificateState> {
    const { rows } = await this.db.query<{ state: unknown }>('SELECT state FROM certificates WHERE name = $1', [name]);
    const state = rows[0]?.state;
    if (state === undefined || isEmptyObject(state)) return { schemaVersion: 1 };
    if (typeof state === 'object' && state !== null && !Array.isArray(state) && (state as { schemaVersion?: unknown }).schemaVersion === 1) return state as CertificateState;
    onCorrupt(message('not a certfleet state document, schemaVersion 1'));
    return { schemaVersion: 1 };
  }

  async saveState(name: string, state: CertificateState, fence?: Fence): Promise<void> {
    const json = JSON.stringify(state);
    if (fence === undefined) {
      await this.db.query(`INSERT INTO certificates (name, state) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, ${VOID_SCHEDULE}`, [name, json]);
      return;
    }
    sameName(name, fence);
    const { rowCount } = await this.db.query(`UPDATE certificates SET state = $2, ${VOID_SCHEDULE} WHERE name = $1 AND lease_token = $3`, [name, json, fence.token]);
    if (rowCount === 0) throw await leaseLost(this.db, fence);
  }

  async addVersion(name: string, version: IssuedVersion, files: VersionFiles, fence?: Fence): Promise<void> {
    // Encrypted before the transaction: no row lock is held while the CPU works.
    const key = files.keyPem === '' ? undefined : encryptPrivateKey(this.ring, files.keyPem, versionOwner(name, version.id));
    // And wrapped to each registered host that deploys it (host-keys.ts): its agent needs no data key.
    const wraps = files.keyPem === '' ? [] : await wrapsFor(this.db, name, version.id, files.keyPem);
    await this.db.transaction(async (client) => {
      if (fence === undefined) await client.query('INSERT INTO certificates (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
      else await checkFence(client, name, fence);
      // Written again under the same id (a retried store): replaced whole, as the file store's files are.
      await client.query(
        `INSERT INTO versions (certificate, id, meta, cert_pem, chain_pem, fullchain_pem, key_ciphertext, key_nonce, key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (certificate, id) DO UPDATE SET meta = EXCLUDED.meta, cert_pem = EXCLUDED.cert_pem, chain_pem = EXCLUDED.chain_pem,
           fullchain_pem = EXCLUDED.fullchain_pem, key_ciphertext = EXCLUDED.key_ciphertext, key_nonce = EXCLUDED.key_nonce, key_id = EXCLUDED.key_id`,
        [name, version.id, JSON.stringify(version), files.certPem, files.chainPem, files.fullchainPem, key?.ciphertext ?? null, key?.nonce ?? null, key?.keyId ?? null],
      );
      await writeWraps(client, name, version.id, wraps);
    });
  }

  async readVersion(name: string, id: string): Promise<{ version: IssuedVersion; files: VersionFiles }> {
    const { rows } = await this.db.query<VersionRow>(
      'SELECT id, meta, cert_pem, chain_pem, fullchain_pem, key_ciphertext, key_nonce, key_id FROM versions WHERE certificate = $1 AND id = $2',
      [name, id],
    );
    const row = rows[0];
    if (row === undefined) throw new Error(`${name}: no stored version ${id}`);
    return { version: row.meta, files: this.files(name, row) };
  }

  /** The row's files; the key is decrypted when first read (status and nothing-due runs never do). */
  private files(name: string, row: VersionRow): VersionFiles {
    const ring = this.ring;
    let keyPem: string | undefined;
    return {
      certPem: row.cert_pem,
      chainPem: row.chain_pem ?? '',
      fullchainPem: row.fullchain_pem ?? '',
      get keyPem() {
        if (keyPem === undefined) {
          keyPem =
            row.key_ciphertext === null || row.key_nonce === null || row.key_id === null
              ? ''
              : decryptPrivateKey(ring, { ciphertext: row.key_ciphertext, nonce: row.key_nonce, keyId: row.key_id }, versionOwner(name, row.id));
        }
        return keyPem;
      },
    };
  }

  async versions(name: string): Promise<IssuedVersion[]> {
    // Ids begin with the issue time: byte order (COLLATE "C", as the file store's sort) is age order.
    const { rows } = await this.db.query<{ meta: IssuedVersion }>('SELECT meta FROM versions WHERE certificate = $1 ORDER BY id COLLATE "C"', [name]);
    return rows.map((r) => r.meta);
  }

  async currentId(name: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ current_version: string | null }>('SELECT current_version FROM certificates WHERE name = $1', [name]);
    return rows[0]?.current_version ?? undefined;
  }

  async current(name: string): Promise<{ version: IssuedVersion; files: VersionFiles } | undefined> {
    const { rows } = await this.db.query<VersionRow>(
      `SELECT v.id, v.meta, v.cert_pem, v.chain_pem, v.fullchain_pem, v.key_ciphertext, v.key_nonce, v.key_id
         FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version
        WHERE c.name = $1`,
      [name],
    );
    const row = rows[0];
    return row === undefined ? undefined : { version: row.meta, files: this.files(name, row) };
  }

  async setCurrent(name: string, id: string, fence?: Fence): Promise<void> {
    if (fence !== undefined) sameName(name, fence);
    const { rowCount } = await this.db.query(
      `UPDATE certificates SET current_version = $2, ${VOID_SCHEDULE} WHERE name = $1 AND ($3::bigint IS NULL OR lease_token = $3)`,
      [name, id, fence?.token ?? null],
    );
    if (rowCount !== 0) return;
    if (fence !== undefined) throw await leaseLost(this.db, fence);
    throw new Error(`${name}: no stored certificate to make version ${id} current`);
  }

  async schedules(): Promise<Map<string, Schedule>> {
    const { rows } = await this.db.query<{ name: string; schedule: Schedule }>(
      'SELECT name, schedule FROM certificates WHERE archived_at IS NULL AND schedule IS NOT NULL AND next_check_at IS NOT NULL',
    );
    return new Map(rows.map((r) => [r.name, r.schedule]));
  }

  async setSchedule(name: string, schedule: Schedule, fence?: Fence): Promise<void> {
    const values = [name, JSON.stringify(schedule), schedule.specHash, timestamp(schedule.checkAt)];
    if (fence === undefined) {
      await this.db.query(
        `INSERT INTO certificates (name, schedule, spec_hash, next_check_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (name) DO UPDATE SET schedule = EXCLUDED.schedule, spec_hash = EXCLUDED.spec_hash, next_check_at = EXCLUDED.next_check_at`,
        values,
      );
      return;
    }
    sameName(name, fence);
    const { rowCount } = await this.db.query('UPDATE certificates SET schedule = $2, spec_hash = $3, next_check_at = $4 WHERE name = $1 AND lease_token = $5', [...values, fence.token]);
    if (rowCount === 0) throw await leaseLost(this.db, fence);
  }

  /**
   * `certfleet remove` (../archive-certificate.ts): the state and every version move to the archived
   * row `archivedName`, each key re-encrypted under that name (its additional authenticated data
   * names the certificate). The row `name` stays, its lease token still growing, with no state, no
   * version, no schedule and no summary line: out of `names()` and `report`, and the same name
   * configured again is a new certificate, as on the file store.
   */
  async archive(name: string, archivedName: string, fence: Fence): Promise<void> {
    await this.db.transaction(async (client) => {
      await checkFence(client, name, fence);
      await client.query('INSERT INTO certificates (name, spec, spec_hash, state, archived_at) SELECT $2, spec, spec_hash, state, now() FROM certificates WHERE name = $1', [name, archivedName]);
      const { rows } = await client.query<VersionRow & { created_at: Date }>(
        'SELECT id, meta, cert_pem, chain_pem, fullchain_pem, key_ciphertext, key_nonce, key_id, created_at FROM versions WHERE certificate = $1',
        [name],
      );
      for (const row of rows) {
        const keyPem = this.files(name, row).keyPem;
        const key = keyPem === '' ? undefined : encryptPrivateKey(this.ring, keyPem, versionOwner(archivedName, row.id));
        await client.query(
          `INSERT INTO versions (certificate, id, meta, cert_pem, chain_pem, fullchain_pem, key_ciphertext, key_nonce, key_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [archivedName, row.id, JSON.stringify(row.meta), row.cert_pem, row.chain_pem, row.fullchain_pem, key?.ciphertext ?? null, key?.nonce ?? null, key?.keyId ?? null, row.created_at],
        );
      }
      await client.query('UPDATE certificates a SET current_version = c.current_version FROM certificates c WHERE a.name = $2 AND c.name = $1', [name, archivedName]);
      await client.query(`UPDATE certificates SET current_version = NULL, state = '{}', summary = NULL, ${VOID_SCHEDULE} WHERE name = $1`, [name]);
      await client.query('DELETE FROM versions WHERE certificate = $1', [name]);
    });
  }

  /**
   * ports.ts `CertificateBatchReads`: state, schedule, the current version's metadata and cert.pem,
   * and the number of versions of many certificates in one statement (status and the metrics read
   * a fleet a page at a time). No key column is selected: nothing here can decrypt one.
   */
  async statusPage(names: readonly string[], onCorrupt: (message: string) => void): Promise<Map<string, CertificateStatusFacts>> {
    if (names.length === 0) return new Map();
    const { rows } = await this.db.query<{ name: string; state: unknown; schedule: Schedule | null; meta: IssuedVersion | null; cert_pem: string | null; versions: string }>(
      `SELECT c.name, c.state, CASE WHEN c.archived_at IS NULL AND c.next_check_at IS NOT NULL THEN c.schedule END AS schedule, v.meta, v.cert_pem,
              (SELECT count(*) FROM versions w WHERE w.certificate = c.name) AS versions
         FROM certificates c LEFT JOIN versions v ON v.certificate = c.name AND v.id = c.current_version
        WHERE c.name = ANY($1::text[])`,
      [names],
    );
    return new Map(
      rows.map((r) => [
        r.name,
        {
          state: stateDocument(r.state, () => onCorrupt(`the state of ${r.name} in the database is unreadable (not a certfleet state document, schemaVersion 1); the next renew rebuilds it`)),
          current: r.meta === null || r.cert_pem === null ? undefined : { version: r.meta, certPem: r.cert_pem },
          versions: Number(r.versions),
          schedule: r.schedule ?? undefined,
        },
      ]),
    );
  }

  /**
   * ports.ts `VersionLookup`: versions by serial across the fleet, with each one's current version,
   * in one statement. The stored serial is normalised here as `normaliseSerial` does it (no colons,
   * lower case, no leading zeros); no key column is selected.
   */
  async versionsBySerial(serials: readonly string[]): Promise<VersionBySerial[]> {
    if (serials.length === 0) return [];
    const { rows } = await this.db.query<{ name: string; meta: IssuedVersion; current: IssuedVersion | null }>(
      `SELECT v.certificate AS name, v.meta, cv.meta AS current
         FROM versions v
         JOIN certificates c ON c.name = v.certificate AND c.archived_at IS NULL
         LEFT JOIN versions cv ON cv.certificate = c.name AND cv.id = c.current_version
        WHERE COALESCE(NULLIF(ltrim(lower(replace(v.meta->>'serialNumber', ':', '')), '0'), ''), '0') = ANY($1::text[])
        ORDER BY v.certificate COLLATE "C", v.id COLLATE "C"`,
      [serials],
    );
    return rows.map((r) => ({ name: r.name, version: r.meta, current: r.current ?? undefined }));
  }
}

function versionOwner(name: string, id: string): KeyOwner {
  return { kind: 'version', certificate: name, version: id };
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** The state column as the core's document: empty is fresh; anything certfleet did not write is reported and read as fresh (as `readState`). */
function stateDocument(state: unknown, corrupt: () => void): CertificateState {
  if (state === undefined || state === null || isEmptyObject(state)) return { schemaVersion: 1 };
  if (typeof state === 'object' && !Array.isArray(state) && (state as { schemaVersion?: unknown }).schemaVersion === 1) return state as CertificateState;
  corrupt();
  return { schemaVersion: 1 };
}
