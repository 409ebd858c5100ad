/**
 * Schema version 6: least privilege for agents. Each host's agent may connect with a PostgreSQL
 * role of its own (`certfleet store grant-agent`), a member of the group role `certfleet_agent`,
 * and row-level security limits it to its host's part of the store:
 * - the certificates whose active spec names its host in `hosts`, and their versions (their
 *   encrypted keys): another host's keys are not readable, not merely not asked for;
 * - its own host's `deployments` rows, which it may insert and update, for those certificates only;
 * - the challenge tokens (an agent answers http-01 for any runner), the schema version, and the
 *   accounts' key ids (the start-up key check) but no account key.
 * The host is bound to the role in `agent_roles`, read through `current_user`: an agent passing
 * another `--host` sees nothing of that host.
 *
 * RLS is enabled, not forced: the tables' owner (who migrates, and who runners have connected as so
 * far) bypasses it, as a superuser does, so existing runners keep working unchanged, and the
 * triggers and cascades run as before. A runner connecting as a role of its own is granted
 * `certfleet_runner`, which sees and writes every row. Any other role that was granted table
 * privileges by hand sees no row of these tables from now on: fail closed, grant it
 * `certfleet_runner`.
 *
 * Roles are cluster-wide: the two group roles are created when missing (the migrating role needs
 * CREATEROLE the first time, on each cluster) and shared by every certfleet database on it.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
-- duplicate_object / unique_violation: another database on the cluster created it in the meantime.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certfleet_agent') THEN
    BEGIN CREATE ROLE certfleet_agent NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'certfleet_runner') THEN
    BEGIN CREATE ROLE certfleet_runner NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO certfleet_agent, certfleet_runner', current_schema());
END
$$;

-- Which host each agent role deploys for. A role is not a foreign key target: revoke-agent removes the row.
CREATE TABLE agent_roles (
  role name PRIMARY KEY,
  host text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_roles_host ON agent_roles (host);

-- An agent reads its own binding (the policies below ask it), nobody else's.
ALTER TABLE agent_roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_roles_self ON agent_roles FOR SELECT TO certfleet_agent USING (role = current_user);

-- The one home of "the agent's host": every other policy reaches it through certificates.
ALTER TABLE certificates ENABLE ROW LEVEL SECURITY;
CREATE POLICY certificates_runner ON certificates TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY certificates_agent_host ON certificates FOR SELECT TO certfleet_agent
  USING (archived_at IS NULL AND spec IS NOT NULL AND spec->'entry'->'hosts' ? (SELECT a.host FROM agent_roles a WHERE a.role = current_user));

-- The sub-select on certificates is itself filtered by certificates' policy for the same role.
ALTER TABLE versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY versions_runner ON versions TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY versions_agent_host ON versions FOR SELECT TO certfleet_agent
  USING (EXISTS (SELECT 1 FROM certificates c WHERE c.name = versions.certificate));

ALTER TABLE deployments ENABLE ROW LEVEL SECURITY;
CREATE POLICY deployments_runner ON deployments TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY deployments_agent_host ON deployments TO certfleet_agent
  USING (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user))
  WITH CHECK (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user)
    AND EXISTS (SELECT 1 FROM certificates c WHERE c.name = deployments.certificate));

-- What an agent does: the schema check, the key check (key ids only), assignedTo, readVersion,
-- record, LISTEN (no privilege needed) and http-01 answers. No DELETE anywhere.
GRANT SELECT ON certfleet_schema, certificates, versions, challenge_tokens, agent_roles TO certfleet_agent;
GRANT SELECT (directory_url, key_id, pending_key_id) ON accounts TO certfleet_agent;
GRANT SELECT, INSERT, UPDATE ON deployments TO certfleet_agent;

-- A runner role does everything a run does; the schema stays the owner's (store migrate).
GRANT SELECT ON certfleet_schema TO certfleet_runner;
GRANT SELECT, INSERT, UPDATE, DELETE ON certificates, versions, accounts, account_keys_retired, run_records, challenge_tokens,
  rate_budget, deployments, applied_config TO certfleet_runner;
GRANT USAGE, SELECT ON SEQUENCE run_records_id_seq, account_keys_retired_id_seq TO certfleet_runner;
`;

export const agentRoles: Migration = { version: 6, name: 'agent roles and row-level security', sql };
