/**
 * Whether an earlier version of a certificate its spec's hosts deploy may still be served by one
 * of them: the rule `revoke` applies before revoking it, the same as for a replacement it orders
 * itself (revoke only once every host confirmed). What a host serves is known only from its last
 * report in the deployments table: a successful deployment of another version means it no longer
 * serves this one; a deployment of this one, a failed attempt (the agent kept whatever it had,
 * which may be this one) or no report at all means it may.
 */
import type { HostConfirmation } from '../fleet/await-deployed.js';
import type { ReplacementStatus } from '../store/ports.js';

export interface EarlierOnHosts {
  /** Every host reported another version deployed: revoking this one takes no host down. */
  confirmed: boolean;
  /** Each host's part, in the spec's order (`version`: the one it reported; this one when it never did). */
  hosts: HostConfirmation[];
  /** The hosts that may still serve it and why, in one line ("b still serves it; c never reported a deployment"). */
  pending: string;
}

export function earlierOnHosts(hosts: readonly string[], versionId: string, status: ReplacementStatus | undefined): EarlierOnHosts {
  const reports = new Map((status?.hosts ?? []).map((h) => [h.host, h]));
  const parts = hosts.map((host): { part: HostConfirmation; why?: string } => {
    const r = reports.get(host);
    if (r === undefined) return { part: { host, status: 'not-reporting', version: versionId, detail: 'never reported a deployment' }, why: `${host} never reported a deployment` };
    if (r.status === 'failed') {
      const detail = r.detail ?? 'no reason given';
      return { part: { host, status: 'failed', version: r.version, detail }, why: `${host}'s last deployment (${r.version}) failed: ${detail}, so it may still serve it` };
    }
    if (r.version === versionId) return { part: { host, status: 'deployed', version: r.version }, why: `${host} still serves it` };
    return { part: { host, status: 'deployed', version: r.version } };
  });
  const pending = parts.flatMap((p) => (p.why ? [p.why] : []));
  return { confirmed: pending.length === 0, hosts: parts.map((p) => p.part), pending: pending.join('; ') };
}
