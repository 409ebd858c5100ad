/**
 * Schema version 7: per-host key wrapping. Each host's agent has an X25519 key pair of its own; its
 * public key is registered in `host_keys` (by the agent itself on first start, or by the operator
 * with `store grant-agent --public-key`), and a runner writes each version's private key wrapped to
 * every registered host the certificate is assigned to (`version_host_keys`, store/key-wrap.ts). An
 * agent then unwraps its host's copy with its own private key and needs no data key.
 *
 * Row-level security as in migration 006: an agent role reads its own host's key row and inserts it
 * when there is none (no update, no delete: replacing a registered key is the operator's decision),
 * and reads the wrapped keys of its own host for the certificates it may see. A runner reads and
 * writes every row.
 *
 * A wrapped row names the fingerprint of the host key it was made for: after a key is replaced the
 * old rows are stale (the agent does not try them) until the next runner pass wraps them anew.
 *
 * The runner's pass costs what changed, not the fleet: it wraps for the hosts whose
 * `wrap_requested_at` is newer than their `wrapped_at` only. A request is made by registering or
 * replacing a key, by a spec that starts naming a registered host (the trigger below), and by an
 * agent that found no copy wrapped to its key (it may set that one column of its own row): the last
 * closes every gap, such as a host registered while a runner was storing a version.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE host_keys (
  host text PRIMARY KEY,
  -- SubjectPublicKeyInfo PEM of an X25519 key.
  public_key text NOT NULL,
  -- SHA-256 of the SubjectPublicKeyInfo, hex.
  fingerprint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Some current version may lack a copy wrapped to this key since then; the runner's pass clears it by setting wrapped_at.
  wrap_requested_at timestamptz NOT NULL DEFAULT now(),
  -- When a runner's pass last began wrapping every current version assigned to this host.
  wrapped_at timestamptz
);

CREATE TABLE version_host_keys (
  certificate text NOT NULL,
  version text NOT NULL,
  host text NOT NULL REFERENCES host_keys (host) ON DELETE CASCADE,
  fingerprint text NOT NULL,
  wrapped_key bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (certificate, version, host),
  -- Archiving or pruning a version takes its wrapped copies with it.
  FOREIGN KEY (certificate, version) REFERENCES versions (certificate, id) ON DELETE CASCADE
);
CREATE INDEX version_host_keys_host ON version_host_keys (host);

ALTER TABLE host_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY host_keys_runner ON host_keys TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY host_keys_agent_read ON host_keys FOR SELECT TO certfleet_agent
  USING (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user));
CREATE POLICY host_keys_agent_register ON host_keys FOR INSERT TO certfleet_agent
  WITH CHECK (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user));
CREATE POLICY host_keys_agent_request ON host_keys FOR UPDATE TO certfleet_agent
  USING (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user))
  WITH CHECK (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user));

-- The sub-select on certificates is itself filtered by certificates' policy for the same role.
ALTER TABLE version_host_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY version_host_keys_runner ON version_host_keys TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY version_host_keys_agent_host ON version_host_keys FOR SELECT TO certfleet_agent
  USING (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user)
    AND EXISTS (SELECT 1 FROM certificates c WHERE c.name = version_host_keys.certificate));

-- A spec that starts naming a registered host (or comes back from the archive) asks for that host's pass.
CREATE FUNCTION certfleet_request_host_wraps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE host_keys h SET wrap_requested_at = now()
   WHERE NEW.spec->'entry'->'hosts' ? h.host
     AND (OLD.archived_at IS NOT NULL OR NOT (COALESCE(OLD.spec->'entry'->'hosts', '[]'::jsonb) ? h.host));
  RETURN NULL;
END
$$;
CREATE TRIGGER certificates_request_host_wraps AFTER UPDATE OF spec, archived_at ON certificates
  FOR EACH ROW WHEN (NEW.archived_at IS NULL AND NEW.spec IS NOT NULL
    AND (OLD.archived_at IS NOT NULL OR (OLD.spec->'entry'->'hosts') IS DISTINCT FROM (NEW.spec->'entry'->'hosts')))
  EXECUTE FUNCTION certfleet_request_host_wraps();

-- An agent registers its key (never its times) and may ask for a pass; it changes no key.
GRANT SELECT, INSERT (host, public_key, fingerprint), UPDATE (wrap_requested_at) ON host_keys TO certfleet_agent;
GRANT SELECT ON version_host_keys TO certfleet_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON host_keys, version_host_keys TO certfleet_runner;
`;

export const hostKeys: Migration = { version: 7, name: 'per-host key wrapping', sql };
