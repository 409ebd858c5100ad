/**
 * Schema version 4: order once, deploy everywhere. A certificate's spec may name the hosts that
 * serve it (`hosts`); the runner orders and makes a version current, each host's agent deploys it
 * and reports back here:
 * - `deployments`: per certificate and host, the version the host last tried, whether it is
 *   deployed or failed (with the reason), when it tried, and when it last confirmed a deployment;
 *   gone with the certificate's row;
 * - `certificates_hosts`: "the certificates assigned to host H" is an index lookup
 *   (`spec->'entry'->'hosts' ? H` over active rows), not a scan of the fleet;
 * - a trigger that sends `pg_notify('certfleet_current', name)` whenever a certificate's current
 *   version changes, so a long-running agent LISTENs instead of polling.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE deployments (
  certificate text NOT NULL REFERENCES certificates(name) ON DELETE CASCADE,
  host text NOT NULL,
  -- The version the host last tried: deployed, or failed with the reason in detail.
  version text NOT NULL,
  status text NOT NULL CHECK (status IN ('deployed', 'failed')),
  detail text,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  -- When the host last confirmed a deployment (kept through a later failed attempt).
  deployed_at timestamptz,
  PRIMARY KEY (certificate, host)
);

-- jsonb_ops answers the ? (key or array element exists) operator; partial, as the agent asks only of active specs.
CREATE INDEX certificates_hosts ON certificates USING gin ((spec->'entry'->'hosts')) WHERE archived_at IS NULL AND spec IS NOT NULL;

CREATE FUNCTION certfleet_notify_current() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('certfleet_current', NEW.name);
  RETURN NULL;
END
$$;

CREATE TRIGGER certificates_current_changed AFTER UPDATE OF current_version ON certificates
  FOR EACH ROW WHEN (OLD.current_version IS DISTINCT FROM NEW.current_version) EXECUTE FUNCTION certfleet_notify_current();
-- A row written whole with its current version (store import) is a change too.
CREATE TRIGGER certificates_current_inserted AFTER INSERT ON certificates
  FOR EACH ROW WHEN (NEW.current_version IS NOT NULL) EXECUTE FUNCTION certfleet_notify_current();
`;

export const deployments: Migration = { version: 4, name: 'per-host deployments', sql };
