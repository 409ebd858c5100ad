/**
 * Schema version 2: what the state store's ports (../../ports.ts) keep that schema 1 had no place
 * for:
 * - renew's last decision for a certificate (`Schedule`: its not-due outcome beside
 *   `next_check_at` and `spec_hash`), so a run reads the valid schedules in one query;
 * - a run record's "latest" mark, and one row per (kind, record id) so a record written again
 *   replaces itself (the history alone is append-only);
 * - account keys replaced by a rollover or staged and never used: kept, encrypted as they were,
 *   as the file store keeps `account.key.old-*` (a key is never deleted).
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- { checkAt, specHash, outcome } as renew recorded it; null when no decision stands. A state write
-- sets it and next_check_at back to null (the next run looks at the certificate).
ALTER TABLE certificates ADD COLUMN schedule jsonb;

ALTER TABLE run_records ADD COLUMN latest boolean NOT NULL DEFAULT false;
-- A record of a kind other than history is written again under its id: one row each.
CREATE UNIQUE INDEX run_records_kind_record_id ON run_records (kind, record_id) WHERE kind <> 'history';
-- The history is trimmed by id (keep the newest rows): max(id) and the range below it, from here.
CREATE INDEX run_records_history_id ON run_records (id) WHERE kind = 'history';

CREATE TABLE account_keys_retired (
  id bigserial PRIMARY KEY,
  directory_url text NOT NULL,
  -- 'old': replaced by a finished rollover; 'unused': staged, the CA never accepted it.
  reason text NOT NULL CHECK (reason IN ('old', 'unused')),
  -- Moved here as stored: the additional authenticated data names the directory URL, not the column.
  key_ciphertext bytea NOT NULL,
  key_nonce bytea NOT NULL CHECK (octet_length(key_nonce) = 12),
  key_id text NOT NULL,
  retired_at timestamptz NOT NULL DEFAULT now()
);
`;

export const stateStore: Migration = { version: 2, name: 'state store', sql };
