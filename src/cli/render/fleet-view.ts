/**
 * The per-host view of an affected set (src/revocation/fleet-view.ts) as text: what the plan shows
 * before anything is ordered, and what replace, revoke and drill say on stderr before they start.
 * JSON carries the view as it is (the plan's and the result's `fleet`). Host names come from specs
 * and certificate names from files: the caller escapes each line (escape.ts).
 */
import type { FleetView } from '../../revocation/fleet-view.js';

export function fleetViewLines(view: FleetView): string[] {
  const lines: string[] = [];
  if (view.hosts.length > 0) {
    const never = view.hostsNeverReported.length;
    lines.push(`per host: ${view.hosts.length} host(s)${never ? `, ${never} whose agent was never heard from (nothing will deploy there until one runs)` : ''}`);
    for (const h of view.hosts) {
      lines.push(`  ${h.host}: ${h.certificates} certificate(s), ${h.agentLastSeen === null ? 'agent NEVER heard from' : `agent last heard from ${h.agentLastSeen}`}`);
    }
  }
  const w = view.withoutHosts;
  if (w.certificates > 0) {
    const more = w.certificates - w.names.length;
    lines.push(`no hosts: ${w.certificates} certificate(s) the runner deploys itself: ${w.names.join(', ')}${more > 0 ? `, +${more} more` : ''}`);
  }
  return lines;
}
