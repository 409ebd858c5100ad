/**
 * Schema version 1: everything certfleet remembers, shaped for a fleet of 100,000 certificates and
 * several runners sharing one database:
 * - "what is due?" is one indexed query (`certificates_due`), so a run costs O(due), not O(fleet);
 * - work is claimed with `FOR UPDATE SKIP LOCKED` on that same index, and every claim bumps a
 *   fencing token that each later write must still match;
 * - private keys are stored only encrypted (AES-256-GCM, see ../encryption.ts): ciphertext, the
 *   per-row nonce, and the id of the key that encrypted them, so a key rotation can find old rows.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- One row per managed certificate, keyed by its name in the config.
CREATE TABLE certificates (
  name text PRIMARY KEY,
  -- The certificate's spec as last seen in the config, and its hash: a config change is noticed by
  -- comparing one short string, not the JSON.
  spec jsonb,
  spec_hash text,
  -- The version being served (a row of versions); null until the first issuance.
  current_version text,
  -- Renewal state the core owns as one document (ARI window, failures, the last decision).
  state jsonb NOT NULL DEFAULT '{}',
  -- When a run must look at this certificate again; null means look now (new, or its schedule was
  -- invalidated by a state write).
  next_check_at timestamptz,
  -- The lease: which runner works on the certificate and until when. lease_token grows by one on
  -- every claim; a write carrying an older token comes from a runner that lost its lease.
  lease_owner text,
  lease_expires_at timestamptz,
  lease_token bigint NOT NULL DEFAULT 0,
  -- Gone from the config: kept (its versions hold the keys a revocation needs), out of every run.
  archived_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT certificates_lease_whole CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
);

-- The due query, "WHERE archived_at IS NULL AND (next_check_at IS NULL OR next_check_at <= now())",
-- and the claim built on it read only this index: archived certificates are not in it, and a
-- B-tree finds both the nulls and the past.
CREATE INDEX certificates_due ON certificates (next_check_at) WHERE archived_at IS NULL;

-- Every issued version of a certificate, kept (as the file store's archive) so a rollback or a
-- revocation can reach an older one.
CREATE TABLE versions (
  certificate text NOT NULL REFERENCES certificates (name) ON DELETE CASCADE,
  id text NOT NULL,
  meta jsonb NOT NULL DEFAULT '{}',
  cert_pem text NOT NULL,
  chain_pem text,
  fullchain_pem text,
  -- The private key, encrypted (GCM tag appended); nonce and key id alongside. All three or none:
  -- a version whose key lives only on the serving host has none.
  key_ciphertext bytea,
  key_nonce bytea,
  key_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate, id),
  CONSTRAINT versions_key_whole CHECK ((key_ciphertext IS NULL) = (key_nonce IS NULL) AND (key_nonce IS NULL) = (key_id IS NULL)),
  CONSTRAINT versions_key_nonce_length CHECK (key_nonce IS NULL OR octet_length(key_nonce) = 12)
);

-- "current" names a version of the same certificate, or nothing.
ALTER TABLE certificates
  ADD CONSTRAINT certificates_current_version FOREIGN KEY (name, current_version) REFERENCES versions (certificate, id);

-- ACME accounts, one per CA directory URL. The key is the account: it is never overwritten. A key
-- rollover stages the new key in pending_* before the CA sees it, so a crash leaves a key the CA
-- knows in one of the two.
CREATE TABLE accounts (
  directory_url text PRIMARY KEY,
  -- The registration (account URL, contacts); null when only the key is known and the URL must be
  -- asked of the CA.
  account jsonb,
  key_ciphertext bytea NOT NULL,
  key_nonce bytea NOT NULL,
  key_id text NOT NULL,
  pending_key_ciphertext bytea,
  pending_key_nonce bytea,
  pending_key_id text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT accounts_key_nonce_length CHECK (octet_length(key_nonce) = 12),
  CONSTRAINT accounts_pending_whole CHECK (
    (pending_key_ciphertext IS NULL) = (pending_key_nonce IS NULL) AND (pending_key_nonce IS NULL) = (pending_key_id IS NULL)
  ),
  CONSTRAINT accounts_pending_nonce_length CHECK (pending_key_nonce IS NULL OR octet_length(pending_key_nonce) = 12)
);

-- What runs did, append-only: renewal history, revocations, drills, replacements, run summaries.
-- Read newest first by kind, hence the index.
CREATE TABLE run_records (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('history', 'revocation', 'drill', 'replacement', 'summary')),
  -- The record's own id where it has one (a drill id, a certificate name), for lookups by it.
  record_id text,
  at timestamptz NOT NULL,
  body jsonb NOT NULL
);
CREATE INDEX run_records_kind_at ON run_records (kind, at);

-- http-01 answers, so any node behind the load balancer can serve a challenge another node ordered.
CREATE TABLE challenge_tokens (
  token text PRIMARY KEY,
  key_authorization text NOT NULL,
  identifier text NOT NULL,
  type text NOT NULL,
  expires_at timestamptz NOT NULL
);
-- Expired tokens are swept by expiry.
CREATE INDEX challenge_tokens_expires_at ON challenge_tokens (expires_at);

-- The CA rate-limit budget shared by every runner: orders used per CA, account and limit bucket
-- in a window. Runners add to "used" with an upsert on the key.
CREATE TABLE rate_budget (
  ca text NOT NULL,
  account text NOT NULL,
  bucket text NOT NULL,
  window_start timestamptz NOT NULL,
  used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (ca, account, bucket, window_start)
);
`;

export const initial: Migration = { version: 1, name: 'initial schema', sql };
