/**
 * The managed certificates' specs in the store (ports.ts `SpecRecords`): what `certfleet apply`
 * writes and what a run claims. Specs live in the `certificates` row (spec, applied_hash), so the
 * claim, the lease and the spec come back in one statement.
 */
import { createHash } from 'node:crypto';
import type { ApplySummary, Lease, SpecRecords, StoredSpec } from '../ports.js';
import type { Db, Queryable } from './db.js';
import { ConfigError } from '../../errors.js';

interface ClaimRow {
  name: string;
  lease_token: string;
  expires_at: Date;
  spec: StoredSpec | null;
}

const lock = "SELECT pg_advisory_xact_lock(hashtext('certfleet apply'))";
const VOID_SCHEDULE = 'schedule = NULL, next_check_at = NULL, updated_at = now()';

export class PostgresSpecs implements SpecRecords {
  constructor(private readonly db: Db) {}

  async appliedFingerprint(): Promise<string | undefined> {
    const { rows } = await this.db.query<{ fingerprint: string }>('SELECT fingerprint FROM applied_config WHERE id = 1');
    return rows[0]?.fingerprint;
  }

  /**
   * One transaction under one lock: the new set is staged in a temporary table batch by batch (a
   * name twice is caught by its key), then compared with the rows in three statements. Runners
   * keep claiming meanwhile; rows the apply changes are locked until it commits, and a claim skips
   * locked rows.
   */
  async apply(batches: AsyncIterable<readonly StoredSpec[]>, config: { fingerprint: string; sharedHash: string; appliedBy: string; dryRun: boolean }): Promise<ApplySummary> {
    return this.db.transaction(async (client) => {
      await client.query(lock);
      await client.query('CREATE TEMPORARY TABLE applied_specs (name text PRIMARY KEY, spec jsonb NOT NULL, hash text NOT NULL) ON COMMIT DROP');
      let total = 0;
      for await (const batch of batches) {
        if (batch.length === 0) continue;
        await stage(client, batch);
        total += batch.length;
      }
      const names = async (sql: string) => (await client.query<{ name: string }>(sql)).rows.map((r) => r.name);
      // Added: no active row with a spec (never applied, archived before, or made by a lease or an import).
      const added = await names(
        `SELECT a.name FROM applied_specs a LEFT JOIN certificates c ON c.name = a.name
          WHERE c.name IS NULL OR c.archived_at IS NOT NULL OR c.spec IS NULL ORDER BY a.name COLLATE "C"`,
      );
      const changed = await names(
        `SELECT a.name FROM applied_specs a JOIN certificates c ON c.name = a.name
          WHERE c.archived_at IS NULL AND c.spec IS NOT NULL AND c.applied_hash IS DISTINCT FROM a.hash ORDER BY a.name COLLATE "C"`,
      );
      const archived = await names(
        `SELECT c.name FROM certificates c WHERE c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM applied_specs a WHERE a.name = c.name)
            AND (c.spec IS NOT NULL OR c.state <> '{}'::jsonb OR c.current_version IS NOT NULL)
          ORDER BY c.name COLLATE "C"`,
      );
      const summary = { added, changed, archived, unchanged: total - added.length - changed.length };
      if (config.dryRun) return summary;
      const { rows } = await client.query<{ shared_hash: string }>('SELECT shared_hash FROM applied_config WHERE id = 1');
      if (rows[0]?.shared_hash !== config.sharedHash) {
        // The CA or the policy changed for every certificate: each is looked at once by the next run.
        await client.query(`UPDATE certificates SET ${VOID_SCHEDULE} WHERE archived_at IS NULL AND next_check_at IS NOT NULL`);
      }
      await client.query(
        `INSERT INTO certificates (name, spec, applied_hash) SELECT name, spec, hash FROM applied_specs
         ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec, applied_hash = EXCLUDED.applied_hash, archived_at = NULL, ${VOID_SCHEDULE}
           WHERE certificates.applied_hash IS DISTINCT FROM EXCLUDED.applied_hash OR certificates.archived_at IS NOT NULL OR certificates.spec IS NULL`,
      );
      // Archived, not deleted: the versions hold the keys a revocation may still need.
      await client.query(
        `UPDATE certificates c SET archived_at = now(), updated_at = now() WHERE c.archived_at IS NULL AND NOT EXISTS (SELECT 1 FROM applied_specs a WHERE a.name = c.name)`,
      );
      await client.query(
        `INSERT INTO applied_config (id, fingerprint, shared_hash, certificates, applied_by) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, shared_hash = EXCLUDED.shared_hash, certificates = EXCLUDED.certificates,
           applied_at = now(), applied_by = EXCLUDED.applied_by`,
        [config.fingerprint, config.sharedHash, total, config.appliedBy],
      );
      return summary;
    });
  }

  async read(names: readonly string[]): Promise<Map<string, StoredSpec>> {
    const { rows } = await this.db.query<{ spec: StoredSpec }>('SELECT spec FROM certificates WHERE name = ANY($1::text[]) AND archived_at IS NULL AND spec IS NOT NULL', [names]);
    return new Map(rows.map((r) => [r.spec.name, r.spec]));
  }

  async page(after: string | undefined, limit: number): Promise<StoredSpec[]> {
    const { rows } = await this.db.query<{ spec: StoredSpec }>(
      `SELECT spec FROM certificates WHERE archived_at IS NULL AND spec IS NOT NULL AND ($1::text IS NULL OR name COLLATE "C" > $1::text COLLATE "C")
        ORDER BY name COLLATE "C" LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map((r) => r.spec);
  }

  async claimDue(owner: string, ttlMs: number, limit: number, since: Date): Promise<Array<{ lease: Lease; spec: StoredSpec | undefined }>> {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`claimDue: limit must be a positive integer, not ${limit}`);
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error(`a lease's ttl must be a positive number of ms, not ${ttlMs}`);
    // Rows another runner is claiming at this moment are skipped, not waited for: runners get disjoint sets.
    const { rows } = await this.db.query<ClaimRow>(
      `UPDATE certificates SET lease_owner = $1, lease_expires_at = now() + $2::bigint * interval '1 millisecond', lease_token = lease_token + 1, claimed_at = now()
        WHERE name IN (
          SELECT name FROM certificates
           WHERE archived_at IS NULL AND spec IS NOT NULL AND (next_check_at IS NULL OR next_check_at <= now())
             AND (claimed_at IS NULL OR claimed_at < $4) AND (lease_owner IS NULL OR lease_expires_at < now())
           ORDER BY next_check_at NULLS FIRST, claimed_at NULLS FIRST
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING name, lease_token, lease_expires_at AS expires_at, spec`,
      [owner, Math.ceil(ttlMs), limit, since],
    );
    return rows.map((r) => ({ lease: { name: r.name, owner, token: Number(r.lease_token), expiresAt: r.expires_at.getTime() }, spec: r.spec ?? undefined }));
  }

  async now(): Promise<Date> {
    const { rows } = await this.db.query<{ now: Date }>('SELECT now() AS now');
    return rows[0]!.now;
  }

  async count(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM certificates WHERE archived_at IS NULL AND spec IS NOT NULL');
    return Number(rows[0]!.n);
  }
}

/** The hash `apply` compares: what the runner resolves (the entry and its directory) and where it was written. */
export function specHash(spec: StoredSpec): string {
  return createHash('sha256').update(JSON.stringify([spec.entry, spec.baseDir, spec.where, spec.file])).digest('base64url');
}

/**
 * A batch into the staging table. A name twice across the spec files is refused naming both
 * places: the files are read one at a time, so the staging table is where they meet.
 */
async function stage(client: Queryable, batch: readonly StoredSpec[]): Promise<void> {
  const inBatch = new Map<string, StoredSpec>();
  for (const spec of batch) {
    const first = inBatch.get(spec.name);
    if (first) throw duplicate(spec.name, first.where, spec.where);
    inBatch.set(spec.name, spec);
  }
  const { rows } = await client.query<{ spec: StoredSpec }>('SELECT spec FROM applied_specs WHERE name = ANY($1::text[]) LIMIT 1', [[...inBatch.keys()]]);
  if (rows[0]) throw duplicate(rows[0].spec.name, rows[0].spec.where, inBatch.get(rows[0].spec.name)!.where);
  await client.query(
    `INSERT INTO applied_specs (name, spec, hash) SELECT s->>'name', s, ($2::text[])[n] FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(s, n)`,
    [JSON.stringify(batch), batch.map(specHash)],
  );
}

function duplicate(name: string, first: string, second: string): ConfigError {
  return new ConfigError(`duplicate certificate name "${name}": ${first} and ${second}`, 'each managed certificate needs its own name');
}
