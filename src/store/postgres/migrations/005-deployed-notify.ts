/**
 * Schema version 5: "replaced" means confirmed served on every host. `replace` and `revoke` wait
 * for each host's agent to report the replacement deployed; a trigger on `deployments` sends
 * `pg_notify('certfleet_deployed', certificate)` on every report (insert or update), so the waiting
 * command LISTENs instead of polling the table.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE FUNCTION certfleet_notify_deployed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('certfleet_deployed', NEW.certificate);
  RETURN NULL;
END
$$;

CREATE TRIGGER deployments_reported AFTER INSERT OR UPDATE ON deployments
  FOR EACH ROW EXECUTE FUNCTION certfleet_notify_deployed();
`;

export const deployedNotify: Migration = { version: 5, name: 'notify deployments', sql };
