/** The summary's "Fleet" section (the shared store only): the last drill per host, and hosts without an agent. */
import { hours } from '../../report/cadence.js';
import type { ReadinessReport } from '../../report/model.js';
import type { Colors } from './colors.js';
import { escapeControls as t } from './escape.js';

const MAX_TAIL = 10;

/** No lines when the report has no fleetHosts: the file store's summary is unchanged. */
export function fleetHostsLines(r: ReadinessReport, c: Colors): string[] {
  const f = r.fleetHosts;
  if (!f) return [];
  const out = ['', c.bold('Fleet')];
  const d = f.drill;
  if (d) {
    const within = d.confirmedWithin.map((w) => `${Math.round(w.share * 100)}% within ${hours(w.hours)}`).join(', ');
    out.push(`  last drill (${d.startedAt.slice(0, 10)}): ${d.certificates} certificates on ${d.hosts} hosts; confirmed on every host: ${within || 'no deadline listed'}`);
    if (d.slowestHosts.length) out.push(`  slowest hosts: ${d.slowestHosts.map((h) => `${t(h.host)} ${seconds(h.seconds)} (${t(h.certificate)})`).join(', ')}`);
    if (d.manualTail.length) {
      out.push(c.yellow(`  manual tail: ${d.manualTail.length} hosts had not confirmed every certificate by the drill's end`));
      for (const h of d.manualTail.slice(0, MAX_TAIL)) {
        out.push(c.dim(`      ${t(h.host)}: ${h.certificates.map((x) => `${t(x.name)} ${x.status === 'failed' ? `failed${x.detail ? `: ${t(x.detail)}` : ''}` : 'not reporting'}`).join('; ')}`));
      }
      if (d.manualTail.length > MAX_TAIL) out.push(c.dim(`      (${d.manualTail.length - MAX_TAIL} more hosts: --format json)`));
    }
  }
  if (f.hostsWithoutAgent.length) {
    const shown = f.hostsWithoutAgent.slice(0, MAX_TAIL).map(t).join(', ');
    const more = f.hostsWithoutAgent.length > MAX_TAIL ? ` and ${f.hostsWithoutAgent.length - MAX_TAIL} more` : '';
    out.push(c.yellow(`  hosts without an agent (never heard from): ${shown}${more}`));
  }
  if (f.silentAgents?.length) {
    const shown = f.silentAgents.slice(0, MAX_TAIL).map((s) => `${t(s.host)} (since ${s.since})`).join(', ');
    const more = f.silentAgents.length > MAX_TAIL ? ` and ${f.silentAgents.length - MAX_TAIL} more` : '';
    out.push(c.yellow(`  agents silent (no heartbeat or report for 3 of their intervals, at least 3 h): ${shown}${more}`));
  }
  return out;
}

function seconds(s: number): string {
  return s < 120 ? `${Math.round(s)} s` : hours(s / 3600);
}
