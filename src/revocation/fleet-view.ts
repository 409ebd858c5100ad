/**
 * The per-host view of an affected set, before anything is ordered: on the shared store a
 * certificate whose spec names `hosts` is deployed by those hosts' agents, so the questions of an
 * incident are per host. How many affected certificates does each host serve, and when was its
 * agent last heard from (a heartbeat at every pass, or a deployment report; a host whose agent was
 * never heard from is work nobody will deploy: the manual tail)? And which affected certificates
 * have no hosts at all (the runner deploys them itself, as on one machine)? One read of the deployments and one of the heartbeats, whatever the set's size.
 */
import { lastSeen } from '../fleet/agent-silence.js';
import type { RenewSettings } from '../renewal/managed.js';
import type { AgentHeartbeats, DeploymentRecords, SeenHeartbeat } from '../store/ports.js';
import type { AffectedCertificate } from './affected.js';

export interface FleetHostView {
  host: string;
  /** Affected certificates this host serves. */
  certificates: number;
  /** When its agent was last heard from (ISO 8601): its last heartbeat or deployment report, the newer; null: never (no agent there, or not yet). */
  agentLastSeen: string | null;
}

export interface FleetView {
  /** Every host some affected certificate names, by name. */
  hosts: FleetHostView[];
  /** Of those, the hosts whose agent was never heard from: their part waits for someone to start one. */
  hostsNeverReported: string[];
  /** Affected certificates whose spec names no hosts: the runner deploys them itself. */
  withoutHosts: { certificates: number; names: string[] };
}

/** Names listed in `withoutHosts` (the count is always whole). */
export const WITHOUT_HOSTS_NAMED = 20;

/** Undefined on a store that keeps no per-host deployments (the file store: one host, no agents). */
export async function fleetView(
  settings: Pick<RenewSettings, 'certificates'>,
  affected: readonly AffectedCertificate[],
  deployments: Pick<DeploymentRecords, 'lastReports'> | undefined,
  heartbeats?: Pick<AgentHeartbeats, 'forHosts'>,
): Promise<FleetView | undefined> {
  if (deployments === undefined) return undefined;
  const hostsOf = new Map(settings.certificates.map((c) => [c.name, c.hosts ?? []]));
  const counts = new Map<string, number>();
  const without: string[] = [];
  for (const a of affected) {
    const hosts = hostsOf.get(a.name) ?? [];
    if (hosts.length === 0) without.push(a.name);
    for (const h of hosts) counts.set(h, (counts.get(h) ?? 0) + 1);
  }
  const named = [...counts.keys()];
  const [reports, beats] = await Promise.all([deployments.lastReports(named), heartbeats?.forHosts(named) ?? new Map<string, SeenHeartbeat>()]);
  const hosts = [...counts]
    .map(([host, certificates]) => ({ host, certificates, agentLastSeen: lastSeen({ lastReport: reports.get(host), heartbeat: beats.get(host) }) ?? null }))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  return {
    hosts,
    hostsNeverReported: hosts.filter((h) => h.agentLastSeen === null).map((h) => h.host),
    withoutHosts: { certificates: without.length, names: without.slice(0, WITHOUT_HOSTS_NAMED) },
  };
}
