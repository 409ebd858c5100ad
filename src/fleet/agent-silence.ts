/**
 * When a host's agent counts as silent: the one home of that rule (report's Fleet section; any
 * other reader asks here). An agent signs of life at every pass (a heartbeat) and whenever it
 * deploys (a report); the long-running one passes at least every --interval (default 1 h), a timer
 * runs --once every few minutes (examples/shared-store: 2 min). Silent: nothing from it for three
 * of its intervals, and never less than 3 hours, so that one pass lost to a store outage or a slow
 * restart is not an alert, and a host that has been quiet since this morning is.
 */
import { DEFAULT_INTERVAL_MS } from './agent-loop.js';
import type { HostSignsOfLife } from '../store/ports.js';

/** Intervals without a sign of life before an agent is silent. */
export const SILENT_AFTER_INTERVALS = 3;
/** The least silence that counts, whatever the interval. */
export const SILENT_FLOOR_MS = 3 * 3_600_000;

/** How long `intervalMs`'s agent may say nothing before it is silent; an agent that recorded no interval (--once, or a report without a heartbeat) is taken at the default one. */
export function silentAfterMs(intervalMs: number | undefined): number {
  return Math.max(SILENT_FLOOR_MS, SILENT_AFTER_INTERVALS * (intervalMs ?? DEFAULT_INTERVAL_MS));
}

/** The host's latest sign of life (ISO 8601): its last heartbeat or its last report, whichever is newer; undefined when neither. */
export function lastSeen(host: Pick<HostSignsOfLife, 'lastReport' | 'heartbeat'>): string | undefined {
  return latest(host.lastReport, host.heartbeat?.seenAt);
}

/** The newer of two ISO 8601 times (either may be absent). */
export function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export type AgentLiveness = { state: 'never' } | { state: 'live'; lastSeen: string } | { state: 'silent'; lastSeen: string };

/** Never heard from, live, or silent since its last sign of life, at `now` (epoch ms). */
export function agentLiveness(host: Pick<HostSignsOfLife, 'lastReport' | 'heartbeat'>, now: number): AgentLiveness {
  const seen = lastSeen(host);
  if (seen === undefined) return { state: 'never' };
  const quiet = now - Date.parse(seen);
  return quiet > silentAfterMs(host.heartbeat?.intervalMs) ? { state: 'silent', lastSeen: seen } : { state: 'live', lastSeen: seen };
}
