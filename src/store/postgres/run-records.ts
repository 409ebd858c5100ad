/**
 * What runs leave behind (ports.ts `RunRecords`) in `run_records`: the history as one row per
 * entry (append-only, the oldest trimmed past `historyKeep` rows), other records one row per kind
 * and id (written again: replaced), the kind's latest marked, and the managed-certificates summary
 * as the one 'summary' row, updated under a lock so two runners' updates never interleave.
 */
import type { HistoryEntry, HistoryRead, RecordKind, RunRecords } from '../ports.js';
import type { Db, Queryable } from './db.js';

/** About a year of a fleet's 5-minute runs that each renew a few certificates; a few tens of MB. */
export const HISTORY_KEEP = 100_000;

const SUMMARY_ID = 'managed';

/** Both runners must hash the same text to the same lock: part of the schema contract, like migrations.ts's. */
const lock = (what: string) => `SELECT pg_advisory_xact_lock(hashtext('certfleet ${what}'))`;

export class PostgresRunRecords implements RunRecords {
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

  async updateSummary(update: (previous: unknown) => object): Promise<void> {
    await this.db.transaction(async (client) => {
      // An advisory lock, not FOR UPDATE: the first summary has no row to lock yet.
      await client.query(lock('summary'));
      const previous = await readSummary(client);
      await upsert(client, 'summary', SUMMARY_ID, update(previous), false);
    });
  }

  readSummary(): Promise<unknown> {
    return readSummary(this.db);
  }
}

async function readSummary(db: Queryable): Promise<unknown> {
  const { rows } = await db.query<{ body: unknown }>("SELECT body FROM run_records WHERE kind = 'summary' AND record_id = $1", [SUMMARY_ID]);
  return rows[0]?.body;
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
