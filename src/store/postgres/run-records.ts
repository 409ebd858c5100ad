/**
 * What runs leave behind (ports.ts `RunRecords`) in `run_records`: the history as one row per
 * entry (append-only, the oldest trimmed past `historyKeep` rows), other records one row per kind
 * and id (written again: replaced), the kind's latest marked, and the managed-certificates summary:
 * its run-wide fields as the one 'summary' row and each certificate's line in its own row
 * (`certificates.summary`), so a run rewrites the lines it looked at and not the fleet's. Updates
 * take one lock, so two runners' updates never interleave.
 */
import type { HistoryEntry, HistoryRead, RecordKind, RunRecordListing, RunRecords, StoredRunRecord } from '../ports.js';
import type { Db, Queryable } from './db.js';
import { summaryLines } from '../summary-lines.js';

/** About a year of a fleet's 5-minute runs that each renew a few certificates; a few tens of MB. */
export const HISTORY_KEEP = 100_000;

const SUMMARY_ID = 'managed';

/** Both runners must hash the same text to the same lock: part of the schema contract, like migrations.ts's. */
const lock = (what: string) => `SELECT pg_advisory_xact_lock(hashtext('certfleet ${what}'))`;

export class PostgresRunRecords implements RunRecords, RunRecordListing {
  constructor(
    private readonly db: Db,
    private readonly historyKeep = HISTORY_KEEP,
  ) {}

  async appendHistory(entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.transaction(async (client) => {
      // One statement for the run's entries, in their order (ids follow the array).
      await client.query(
        `INSERT INTO run_records (kind, record_id, at, body)
         SELECT 'history', e->>'name', (e->>'time')::timestamptz, e FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
        [JSON.stringify(entries)],
      );
      // Bounded by id, which only grows: two index probes, not a count of the table. Ids of other
      // kinds' rows in the range make it keep slightly fewer than historyKeep entries.
      await client.query(
        "DELETE FROM run_records WHERE kind = 'history' AND id <= (SELECT max(id) FROM run_records WHERE kind = 'history') - $1::bigint",
        [this.historyKeep],
      );
    });
  }

  async readHistory(): Promise<HistoryRead> {
    const { rows } = await this.db.query<{ body: unknown }>("SELECT body FROM run_records WHERE kind = 'history' ORDER BY id");
    const out: HistoryRead = { entries: [], skipped: 0 };
    for (const { body } of rows) {
      if (isHistoryEntry(body)) out.entries.push(body);
      else out.skipped++;
    }
    return out;
  }

  recordLocation(kind: RecordKind, id: string): string {
    return `postgres:${kind}/${id}`;
  }

  async writeRecord(kind: RecordKind, id: string, record: object, options: { latest?: boolean } = {}): Promise<void> {
    const latest = options.latest === true;
    await this.db.transaction(async (client) => {
      if (latest) {
        // One latest per kind: two runners marking theirs at once take turns.
        await client.query(lock(`latest ${kind}`));
        await client.query('UPDATE run_records SET latest = false WHERE kind = $1 AND latest AND record_id IS DISTINCT FROM $2', [kind, id]);
      }
      await upsert(client, kind, id, record, latest);
    });
  }

  async latestRecord(kind: RecordKind): Promise<unknown> {
    const { rows } = await this.db.query<{ body: unknown }>('SELECT body FROM run_records WHERE kind = $1 AND latest ORDER BY id DESC LIMIT 1', [kind]);
    return rows[0]?.body;
  }

  async updateSummary(update: (previous: unknown) => object, options: { only?: readonly string[] } = {}): Promise<void> {
    await this.db.transaction(async (client) => {
      // An advisory lock, not FOR UPDATE: the first summary has no row to lock yet.
      await client.query(lock('summary'));
      const previous = await readSummary(client, options.only);
      const { certificates, ...runWide } = update(previous) as { certificates?: unknown };
      const lines = summaryLines({ certificates });
      // The lines live in their rows; an empty list in the run-wide row says the summary has them.
      await upsert(client, 'summary', SUMMARY_ID, certificates === undefined ? runWide : { ...runWide, certificates: [] }, false);
      // The lines in scope that the update dropped lose theirs; every other line stays as it was.
      const names = lines.map((l) => l.name);
      if (options.only) {
        await client.query('UPDATE certificates SET summary = NULL WHERE name = ANY($1::text[]) AND NOT (name = ANY($2::text[]))', [options.only, names]);
      } else {
        await client.query('UPDATE certificates SET summary = NULL WHERE summary IS NOT NULL AND NOT (name = ANY($1::text[]))', [names]);
      }
      if (lines.length > 0) {
        // A line for a certificate the store has no row for yet (an imported summary) makes its row.
        await client.query(
          `INSERT INTO certificates (name, summary) SELECT l->>'name', l FROM jsonb_array_elements($1::jsonb) AS t(l)
           ON CONFLICT (name) DO UPDATE SET summary = EXCLUDED.summary`,
          [JSON.stringify(lines)],
        );
      }
    });
  }

  readSummary(): Promise<unknown> {
    return readSummary(this.db);
  }

  async records(kind: RecordKind): Promise<StoredRunRecord[]> {
    const { rows } = await this.db.query<{ record_id: string; body: unknown; latest: boolean }>(
      'SELECT record_id, body, latest FROM run_records WHERE kind = $1 ORDER BY record_id COLLATE "C"',
      [kind],
    );
    return rows.map((r) => ({ id: r.record_id, record: r.body, latest: r.latest }));
  }
}

/**
 * The summary as one document (report's shape): the run-wide row and the lines of the active
 * certificates, or of `only`. A summary row written by schema 2 holds its lines itself: they are
 * read from it until the first update moves them to their rows.
 */
async function readSummary(db: Queryable, only?: readonly string[]): Promise<unknown> {
  const { rows } = await db.query<{ body: { certificates?: unknown } }>("SELECT body FROM run_records WHERE kind = 'summary' AND record_id = $1", [SUMMARY_ID]);
  const body = rows[0]?.body;
  const lines = await db.query<{ summary: unknown }>(
    only
      ? 'SELECT summary FROM certificates WHERE summary IS NOT NULL AND name = ANY($1::text[]) ORDER BY name COLLATE "C"'
      : 'SELECT summary FROM certificates WHERE summary IS NOT NULL AND archived_at IS NULL ORDER BY name COLLATE "C"',
    only ? [only] : [],
  );
  if (lines.rows.length === 0 && body?.certificates === undefined) return body;
  const fromRows = lines.rows.map((r) => r.summary);
  const legacy = summaryLines(body).filter((l) => only === undefined || only.includes(l.name));
  return { ...body, certificates: fromRows.length > 0 || body?.certificates === undefined ? fromRows : legacy };
}

async function upsert(client: Queryable, kind: string, id: string, record: object, latest: boolean): Promise<void> {
  await client.query(
    `INSERT INTO run_records (kind, record_id, at, body, latest) VALUES ($1, $2, now(), $3, $4)
     ON CONFLICT (kind, record_id) WHERE kind <> 'history'
     DO UPDATE SET at = EXCLUDED.at, body = EXCLUDED.body, latest = run_records.latest OR EXCLUDED.latest`,
    [kind, id, JSON.stringify(record), latest],
  );
}

function isHistoryEntry(value: unknown): value is HistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.time === 'string' && typeof v.name === 'string' && typeof v.action === 'string';
}
