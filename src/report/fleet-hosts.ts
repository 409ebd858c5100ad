/**
 * Incident readiness per host (issue 11): what the last drill measured of the certificates that
 * several hosts serve, and which hosts have no agent at all. A certificate counts as replaced when
 * every one of its hosts confirmed the new version deployed, at its slowest host's time; a host
 * still pending or failed at the drill's end is the manual tail: someone has to go and look; so is
 * a host whose agent fell silent (its heartbeats stopped). Pure: the drill record and the store's
 * lists in, data out.
 */
import { agentLiveness } from '../fleet/agent-silence.js';
import type { HostSignsOfLife } from '../store/ports.js';
import { compare } from './evaluate-deadline.js';
import type { DrillSummary } from './inputs.js';

/** How many of the slowest hosts are named (the rest are fast enough not to be the question). */
export const SLOWEST_HOSTS = 5;

export interface FleetHostsReadiness {
  /** Absent: the last drill replaced no certificate with hosts (or there was none). */
  drill?: {
    id?: string;
    startedAt: string;
    /** Certificates of the drill that hosts serve, and the hosts they name. */
    certificates: number;
    hosts: number;
    /** Share (0-1) of those certificates confirmed on every host within each revocation deadline. */
    confirmedWithin: Array<{ id: string; hours: number; share: number }>;
    /** The hosts whose slowest confirmed certificate took longest, slowest first (at most SLOWEST_HOSTS). */
    slowestHosts: Array<{ host: string; seconds: number; certificate: string }>;
    /** Hosts that had not confirmed every certificate by the drill's end: what each still lacks. */
    manualTail: Array<{ host: string; certificates: Array<{ name: string; status: 'failed' | 'not-reporting'; detail?: string }> }>;
  };
  /** Hosts named by some spec whose agent was never heard from (no heartbeat, no report): no agent runs there. */
  hostsWithoutAgent: string[];
  /**
   * Hosts whose agent was heard from, but not lately (fleet/agent-silence.ts): dead, stopped or cut
   * off from the store, since its last sign of life. Given only by a store that keeps heartbeats.
   */
  silentAgents?: SilentAgent[];
}

export interface SilentAgent {
  host: string;
  /** Its last heartbeat or report (ISO 8601). */
  since: string;
}

/** A store's signs of life of every host its specs name, sorted into never heard from and silent at `asOfMs`. */
export function agentsOf(signs: readonly HostSignsOfLife[], asOfMs: number): { without: string[]; silent: SilentAgent[] } {
  const without: string[] = [];
  const silent: SilentAgent[] = [];
  for (const s of signs) {
    const l = agentLiveness(s, asOfMs);
    if (l.state === 'never') without.push(s.host);
    else if (l.state === 'silent') silent.push({ host: s.host, since: l.lastSeen });
  }
  return { without, silent: silent.sort((a, b) => compare(a.host, b.host)) };
}

export function assessFleetHosts(
  drill: DrillSummary | undefined,
  hostsWithoutAgent: readonly string[],
  deadlines: ReadonlyArray<{ id: string; hours: number }>,
  silentAgents?: readonly SilentAgent[],
): FleetHostsReadiness | undefined {
  const onHosts = (drill?.certificates ?? []).filter((c) => c.hosts !== undefined && c.hosts.length > 0);
  if (onHosts.length === 0 && hostsWithoutAgent.length === 0 && !silentAgents?.length) return undefined;
  const result: FleetHostsReadiness = { hostsWithoutAgent: [...hostsWithoutAgent].sort(compare), ...(silentAgents ? { silentAgents: [...silentAgents] } : {}) };
  if (!drill || onHosts.length === 0) return result;

  const slowestOf = new Map<string, { seconds: number; certificate: string }>();
  const tail = new Map<string, Array<{ name: string; status: 'failed' | 'not-reporting'; detail?: string }>>();
  const hosts = new Set<string>();
  // Each certificate at its slowest host; null when some host did not confirm it.
  const times: Array<number | null> = [];
  for (const c of onHosts) {
    const name = c.name ?? c.fingerprintSha256 ?? '(unnamed)';
    let slowest: number | null = c.secondsToReplace ?? 0;
    for (const h of c.hosts!) {
      hosts.add(h.host);
      if (h.status === 'deployed' && h.seconds !== undefined) {
        if (slowest !== null) slowest = Math.max(slowest, h.seconds);
        const before = slowestOf.get(h.host);
        if (!before || h.seconds > before.seconds) slowestOf.set(h.host, { seconds: h.seconds, certificate: name });
      } else {
        slowest = null;
        const entry = { name, status: h.status === 'failed' ? ('failed' as const) : ('not-reporting' as const), ...(h.detail ? { detail: h.detail } : {}) };
        tail.set(h.host, [...(tail.get(h.host) ?? []), entry]);
      }
    }
    times.push(slowest);
  }

  result.drill = {
    ...(drill.id !== undefined ? { id: drill.id } : {}),
    startedAt: drill.startedAt,
    certificates: onHosts.length,
    hosts: hosts.size,
    confirmedWithin: [...deadlines]
      .sort((a, b) => a.hours - b.hours)
      .map((d) => ({ id: d.id, hours: d.hours, share: round2(times.filter((t) => t !== null && t <= d.hours * 3600).length / onHosts.length) })),
    slowestHosts: [...slowestOf]
      .map(([host, s]) => ({ host, ...s }))
      .sort((a, b) => b.seconds - a.seconds || compare(a.host, b.host))
      .slice(0, SLOWEST_HOSTS),
    manualTail: [...tail].map(([host, certificates]) => ({ host, certificates })).sort((a, b) => compare(a.host, b.host)),
  };
  return result;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
