/**
 * Schema version 3: the managed certificates' specs live in the store (`certfleet apply`), so a
 * run on a fleet of 100,000 reads only what is due:
 * - `certificates.spec` (already there, unused until now) holds the config entry as written, with
 *   the directory its relative paths are relative to; `applied_hash` is the entry's hash, so an
 *   apply that changes nothing writes nothing;
 * - `claimed_at`: when a run last claimed the row, so one run claims a certificate at most once
 *   (a failure voids the schedule and makes the row due again: for the next run, not this one);
 * - `summary`: the certificate's line of the managed-certificates summary `report` reads, kept in
 *   its row so a run rewrites the lines of what it looked at, not one document of the whole fleet;
 * - `applied_config`: the fingerprint of the config last applied and of the settings every spec's
 *   schedule depends on (acme, policy), one row.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
ALTER TABLE certificates ADD COLUMN applied_hash text;
ALTER TABLE certificates ADD COLUMN claimed_at timestamptz;
ALTER TABLE certificates ADD COLUMN summary jsonb;

-- The claim's order: due rows this run has not claimed yet come first, so a run that has claimed
-- 50,000 rows does not scan past them for the next one (a renewed row's schedule is void until the
-- next run looks, so it stays among the due ones).
CREATE INDEX certificates_claim ON certificates (next_check_at NULLS FIRST, claimed_at NULLS FIRST) WHERE archived_at IS NULL AND spec IS NOT NULL;

CREATE TABLE applied_config (
  id integer PRIMARY KEY CHECK (id = 1),
  -- specs.ts: every spec file's name and bytes and the main config's certificate-related sections.
  fingerprint text NOT NULL,
  -- The settings outside the specs that every schedule depends on: when they change, every
  -- schedule is voided (each certificate is looked at once by the next run).
  shared_hash text NOT NULL,
  certificates integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  applied_by text NOT NULL
);
`;

export const specs: Migration = { version: 3, name: 'certificate specs in the store', sql };
