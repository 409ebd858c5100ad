/**
 * Agents' heartbeats (ports.ts `AgentHeartbeats`) in `agent_heartbeats`, schema version 9: one row
 * per host, replaced at every pass of its agent, stamped with the server's clock so it compares
 * with the deployments' `attempted_at`. Under an agent role, row-level security keeps each agent to
 * its own host's row.
 */
import type { AgentHeartbeat, AgentHeartbeats, HostSignsOfLife, SeenHeartbeat } from '../ports.js';
import type { Db } from './db.js';

interface HeartbeatRow {
  host: string;
  seen_at: Date;
  agent_version: string;
  hostname: string;
  pid: number;
  // bigint: node-postgres hands it over as a string.
  interval_ms: string | null;
  listening: string[];
}

const COLUMNS = 'host, seen_at, agent_version, hostname, pid, interval_ms, listening';

export class PostgresHeartbeats implements AgentHeartbeats {
  constructor(private readonly db: Db) {}

  async beat(b: AgentHeartbeat): Promise<void> {
    await this.db.query(
      `INSERT INTO agent_heartbeats (host, seen_at, agent_version, hostname, pid, interval_ms, listening) VALUES ($1, now(), $2, $3, $4, $5, $6)
       ON CONFLICT (host) DO UPDATE SET seen_at = EXCLUDED.seen_at, agent_version = EXCLUDED.agent_version, hostname = EXCLUDED.hostname,
         pid = EXCLUDED.pid, interval_ms = EXCLUDED.interval_ms, listening = EXCLUDED.listening`,
      [b.host, b.agentVersion, b.hostname, b.pid, b.intervalMs ?? null, b.listening],
    );
  }

  async forHosts(hosts: readonly string[]): Promise<Map<string, SeenHeartbeat>> {
    if (hosts.length === 0) return new Map();
    const { rows } = await this.db.query<HeartbeatRow>(`SELECT ${COLUMNS} FROM agent_heartbeats WHERE host = ANY($1::text[])`, [[...hosts]]);
    return new Map(rows.map((r) => [r.host, heartbeat(r)]));
  }

  async fleetHosts(): Promise<HostSignsOfLife[]> {
    // Each host's newest report is one step down the (host, attempted_at DESC) index, not a scan of the deployments.
    const { rows } = await this.db.query<{ name: string; last: Date | null } & { [K in keyof HeartbeatRow]: HeartbeatRow[K] | null }>(
      `SELECT s.name, r.last, b.host, b.seen_at, b.agent_version, b.hostname, b.pid, b.interval_ms, b.listening
         FROM (SELECT DISTINCT h.name FROM certificates c
                CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(c.spec->'entry'->'hosts') WHEN 'array' THEN c.spec->'entry'->'hosts' ELSE '[]' END) AS h(name)
                WHERE c.archived_at IS NULL AND c.spec IS NOT NULL) s
         LEFT JOIN LATERAL (SELECT d.attempted_at AS last FROM deployments d WHERE d.host = s.name ORDER BY d.attempted_at DESC LIMIT 1) r ON true
         LEFT JOIN agent_heartbeats b ON b.host = s.name
        ORDER BY s.name COLLATE "C"`,
    );
    return rows.map((r) => ({
      host: r.name,
      ...(r.last !== null ? { lastReport: r.last.toISOString() } : {}),
      ...(r.host !== null ? { heartbeat: heartbeat(r as HeartbeatRow) } : {}),
    }));
  }
}

function heartbeat(r: HeartbeatRow): SeenHeartbeat {
  return {
    host: r.host,
    seenAt: r.seen_at.toISOString(),
    agentVersion: r.agent_version,
    hostname: r.hostname,
    pid: r.pid,
    ...(r.interval_ms !== null ? { intervalMs: Number(r.interval_ms) } : {}),
    listening: r.listening,
  };
}
