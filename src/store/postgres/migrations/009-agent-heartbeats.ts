/**
 * Schema version 9: agents' heartbeats, and host names in one case.
 *
 * - `agent_heartbeats`: one row per host, written by its agent at every pass (start, each wake-up,
 *   `--once` too). A healthy agent with nothing to deploy reports no deployment for days; its
 *   heartbeat is what tells it from a dead one (fleet/agent-silence.ts decides when one is silent).
 *   Row-level security as for `deployments` (migration 006): an agent role writes and reads its own
 *   host's row only, a runner reads (and may clear) every row.
 * - `deployments_host_attempted`: "when did host H last report" (revocation/fleet-view.ts, report's
 *   hosts without an agent) is the newest row of H; the primary key leads with the certificate, so
 *   without this index each of those questions read the whole table.
 * - Host names in lower case (config/host-names.ts: DNS compares names without regard to case):
 *   every name stored so far was kept as written, and the store compares them byte for byte (the
 *   GIN index on the specs' hosts, the policies, the keys below). From this version on every name
 *   is written lower case, so the stored ones are put in that form here, once. Two spellings of
 *   one host become one: a spec listing both keeps one, a certificate's two reports keep the newer,
 *   two registered keys keep the one already in lower case (else the newer), and the keys wrapped to
 *   a renamed host are dropped and asked for again (their wrapping names the host: the runners'
 *   next pass wraps them anew). `lower(... COLLATE "C")` changes ASCII letters only, whatever the
 *   database's locale (a Turkish one would make "I" a dotless i). The drill records keep the names
 *   they were written with: they are history.
 *
 * Never edit a migration that has shipped: add the next one.
 */
import type { Migration } from '../migrations.js';

const sql = `
CREATE TABLE agent_heartbeats (
  host text PRIMARY KEY,
  -- The server's clock, as the deployments' attempted_at: the two are compared.
  seen_at timestamptz NOT NULL DEFAULT now(),
  agent_version text NOT NULL,
  -- Where it runs: the machine's own hostname (which --host may differ from) and the process.
  hostname text NOT NULL,
  pid integer NOT NULL,
  -- Its safety-pass interval; null for a single pass (--once, from a timer).
  interval_ms bigint,
  -- The challenge answers it serves (http-01, tls-alpn-01), for a runner choosing agents: true.
  listening text[] NOT NULL DEFAULT '{}'
);

ALTER TABLE agent_heartbeats ENABLE ROW LEVEL SECURITY;
CREATE POLICY agent_heartbeats_runner ON agent_heartbeats TO certfleet_runner USING (true) WITH CHECK (true);
CREATE POLICY agent_heartbeats_agent_host ON agent_heartbeats TO certfleet_agent
  USING (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user))
  WITH CHECK (host = (SELECT a.host FROM agent_roles a WHERE a.role = current_user));
GRANT SELECT, INSERT, UPDATE ON agent_heartbeats TO certfleet_agent;
GRANT SELECT, INSERT, UPDATE, DELETE ON agent_heartbeats TO certfleet_runner;

CREATE INDEX deployments_host_attempted ON deployments (host, attempted_at DESC);

-- Specs: each host once, in lower case, in the order first written.
UPDATE certificates c SET spec = jsonb_set(c.spec, '{entry,hosts}', (
    SELECT jsonb_agg(to_jsonb(l.host) ORDER BY l.first)
      FROM (SELECT lower(e.host COLLATE "C") AS host, min(e.n) AS first
              FROM jsonb_array_elements_text(c.spec->'entry'->'hosts') WITH ORDINALITY AS e(host, n)
             GROUP BY 1) l))
 WHERE jsonb_typeof(c.spec->'entry'->'hosts') = 'array'
   AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.spec->'entry'->'hosts') AS e(host) WHERE e.host <> lower(e.host COLLATE "C"));

UPDATE agent_roles SET host = lower(host COLLATE "C") WHERE host <> lower(host COLLATE "C");

DELETE FROM deployments d USING (
    SELECT certificate, host, row_number() OVER (PARTITION BY certificate, lower(host COLLATE "C") ORDER BY attempted_at DESC, host COLLATE "C") AS n
      FROM deployments) r
 WHERE r.n > 1 AND d.certificate = r.certificate AND d.host = r.host;
UPDATE deployments SET host = lower(host COLLATE "C") WHERE host <> lower(host COLLATE "C");

DELETE FROM version_host_keys WHERE host <> lower(host COLLATE "C");
DELETE FROM host_keys h USING (
    SELECT host, row_number() OVER (PARTITION BY lower(host COLLATE "C") ORDER BY host = lower(host COLLATE "C") DESC, created_at DESC, host COLLATE "C") AS n
      FROM host_keys) r
 WHERE r.n > 1 AND h.host = r.host;
UPDATE host_keys SET host = lower(host COLLATE "C"), wrap_requested_at = now() WHERE host <> lower(host COLLATE "C");
`;

export const agentHeartbeats: Migration = { version: 9, name: 'agent heartbeats and lower-case host names', sql };
