/**
 * `certfleet agent --metrics-listen`: what the long-running agent knows of itself (agent-loop.ts
 * `AgentLoopState`) as Prometheus gauges, in the same shape as `renew --metrics-file`'s: timestamps
 * in Unix seconds, a `host` label on every sample and a `name` label per certificate, and no sample
 * for a fact not known (a certificate never deployed has no expiration, not 1970).
 */
import type { AgentLoopState } from '../../fleet/agent-loop.js';
import { family, sample } from './prometheus-text.js';

export function* renderAgentMetrics(s: AgentLoopState): Iterable<string> {
  const host = { host: s.host };
  const certificates = [...s.certificates].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const expirations = certificates.flatMap(([name, c]) => (c.notAfter === undefined ? [] : [sample('certfleet_agent_certificate_expiration_timestamp_seconds', { ...host, name }, Math.round(c.notAfter / 1000))]));
  if (expirations.length > 0) {
    yield family('certfleet_agent_certificate_expiration_timestamp_seconds', 'notAfter of the version this host last deployed (Unix time).');
    yield* expirations;
  }
  const attempts = certificates.flatMap(([name, c]) => (c.status === undefined ? [] : [sample('certfleet_agent_certificate_deployed', { ...host, name }, c.status === 'deployed' ? 1 : 0)]));
  if (attempts.length > 0) {
    yield family('certfleet_agent_certificate_deployed', "The last attempt on this host: 1 deployed (or found deployed), 0 failed; absent while waiting for the certificate's first issuance.");
    yield* attempts;
  }
  yield family('certfleet_agent_certificates_assigned', 'Certificates assigned to this host at the last pass.');
  yield sample('certfleet_agent_certificates_assigned', host, s.certificates.size);
  if (s.lastPassAt !== undefined) {
    yield family('certfleet_agent_last_pass_timestamp_seconds', 'When the agent last completed a pass (Unix time).');
    yield sample('certfleet_agent_last_pass_timestamp_seconds', host, Math.round(s.lastPassAt / 1000));
  }
  yield family('certfleet_agent_passes', 'Passes completed since the agent started.');
  yield sample('certfleet_agent_passes', host, s.passes);
  if (s.connected !== undefined) {
    yield family('certfleet_agent_store_connected', "1 while the agent's connection to the store's change notifications is up, 0 during an outage.");
    yield sample('certfleet_agent_store_connected', host, s.connected ? 1 : 0);
  }
}
