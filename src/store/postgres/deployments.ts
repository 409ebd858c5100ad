/**
 * What each host's agent deployed (ports.ts `DeploymentRecords`), in the `deployments` table of
 * schema version 4. "Assigned to host H" is the spec's `hosts` list as `certfleet apply` stored it,
 * read through the GIN index on `spec->'entry'->'hosts'`.
 */
import type { DeploymentOutcome, DeploymentRecords, HostAssignment, HostDeployment, ReplacementStatus, StoredSpec } from '../ports.js';
import type { Db } from './db.js';

interface DeploymentRow {
  version: string;
  status: 'deployed' | 'failed';
  detail: string | null;
  attempted_at: Date;
  deployed_at: Date | null;
}

/** Names per `replacementStatus` query. */
export const STATUS_PAGE = 500;

export class PostgresDeployments implements DeploymentRecords {
  constructor(private readonly db: Db) {}

  async assignedTo(host: string): Promise<HostAssignment[]> {
    // The predicate repeats the index's (active rows with a spec) so the planner may use it.
    const { rows } = await this.db.query<{ name: string; spec: StoredSpec; current_version: string | null } & { [K in keyof DeploymentRow]: DeploymentRow[K] | null }>(
      `SELECT c.name, c.spec, c.current_version, d.version, d.status, d.detail, d.attempted_at, d.deployed_at
         FROM certificates c LEFT JOIN deployments d ON d.certificate = c.name AND d.host = $1
        WHERE c.archived_at IS NULL AND c.spec IS NOT NULL AND c.spec->'entry'->'hosts' ? $1
        ORDER BY c.name COLLATE "C"`,
      [host],
    );
    return rows.map((r) => ({
      name: r.name,
      spec: r.spec,
      currentVersion: r.current_version ?? undefined,
      deployed: r.version === null || r.status === null || r.attempted_at === null ? undefined : deployment({ ...r, version: r.version, status: r.status, attempted_at: r.attempted_at }),
    }));
  }

  async record(name: string, host: string, outcome: DeploymentOutcome): Promise<void> {
    const deployed = outcome.status === 'deployed';
    await this.db.query(
      `INSERT INTO deployments (certificate, host, version, status, detail, attempted_at, deployed_at)
       VALUES ($1, $2, $3, $4, $5, now(), CASE WHEN $6 THEN now() END)
       ON CONFLICT (certificate, host) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status, detail = EXCLUDED.detail,
         attempted_at = EXCLUDED.attempted_at, deployed_at = COALESCE(EXCLUDED.deployed_at, deployments.deployed_at)`,
      [name, host, outcome.version, outcome.status, deployed ? null : outcome.detail, deployed],
    );
  }

  async forCertificate(name: string): Promise<Array<HostDeployment & { host: string }>> {
    const { rows } = await this.db.query<DeploymentRow & { host: string }>(
      'SELECT host, version, status, detail, attempted_at, deployed_at FROM deployments WHERE certificate = $1 ORDER BY host COLLATE "C"',
      [name],
    );
    return rows.map((r) => ({ host: r.host, ...deployment(r) }));
  }

  async replacementStatus(names: readonly string[]): Promise<Map<string, ReplacementStatus>> {
    const out = new Map<string, ReplacementStatus>();
    // Pages bound a statement's parameter and result sizes; a thousand certificates are two round trips, not two thousand.
    for (let at = 0; at < names.length; at += STATUS_PAGE) {
      const { rows } = await this.db.query<{ name: string; current_version: string | null; host: string | null } & { [K in keyof DeploymentRow]: DeploymentRow[K] | null }>(
        `SELECT c.name, c.current_version, d.host, d.version, d.status, d.detail, d.attempted_at, d.deployed_at
           FROM certificates c LEFT JOIN deployments d ON d.certificate = c.name
          WHERE c.name = ANY($1::text[])
          ORDER BY c.name COLLATE "C", d.host COLLATE "C"`,
        [names.slice(at, at + STATUS_PAGE)],
      );
      for (const r of rows) {
        let status = out.get(r.name);
        if (!status) out.set(r.name, (status = { currentVersion: r.current_version ?? undefined, hosts: [] }));
        if (r.host !== null && r.version !== null && r.status !== null && r.attempted_at !== null) {
          status.hosts.push({ host: r.host, ...deployment({ ...r, version: r.version, status: r.status, attempted_at: r.attempted_at }) });
        }
      }
    }
    return out;
  }

  async hostsWithoutReports(): Promise<string[]> {
    // Any report counts, failed or of another certificate: the host has an agent, just not a good day.
    const { rows } = await this.db.query<{ host: string }>(
      `SELECT host FROM (
         SELECT h.host FROM certificates c
          CROSS JOIN LATERAL jsonb_array_elements_text(CASE jsonb_typeof(c.spec->'entry'->'hosts') WHEN 'array' THEN c.spec->'entry'->'hosts' ELSE '[]' END) AS h(host)
          WHERE c.archived_at IS NULL AND c.spec IS NOT NULL
         EXCEPT
         SELECT host FROM deployments
       ) silent ORDER BY host COLLATE "C"`,
    );
    return rows.map((r) => r.host);
  }

  async lastReports(hosts: readonly string[]): Promise<Map<string, string>> {
    if (hosts.length === 0) return new Map();
    // A failed attempt counts: the agent is there and talking, which is what "last seen" asks.
    const { rows } = await this.db.query<{ host: string; last: Date }>('SELECT host, max(attempted_at) AS last FROM deployments WHERE host = ANY($1::text[]) GROUP BY host', [[...hosts]]);
    return new Map(rows.map((r) => [r.host, r.last.toISOString()]));
  }
}

function deployment(row: DeploymentRow): HostDeployment {
  return {
    version: row.version,
    status: row.status,
    detail: row.detail ?? undefined,
    attemptedAt: row.attempted_at.toISOString(),
    deployedAt: row.deployed_at?.toISOString(),
  };
}
