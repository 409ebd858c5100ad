/**
 * "Replaced" across a fleet means confirmed served on every host the certificate belongs to: after
 * the runner made a version current, wait until each host of its spec reports that version
 * deployed (ports.ts `DeploymentRecords`), or the deadline. Woken by the store (LISTEN
 * `certfleet_deployed`, migration 005's trigger on `deployments`), not by polling; a slow safety
 * re-read every 30 s covers a lost notification, and the connection coming back after an outage
 * re-reads everything (what was sent meanwhile is lost).
 *
 * A host that reported a failure is not final: its agent retries, so the wait goes on, and the
 * failure is what is said of it at the deadline. A host that never reported the version is
 * "not reporting". Times are seconds from `startedAt` until this runner learned of the report
 * (a notification arrives within milliseconds; at worst the safety re-read's interval later).
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { changeFeed, type DeploymentRecords, type HostDeployment } from '../store/ports.js';

/** The channel migration 005's trigger notifies, with the certificate's name. */
export const DEPLOYED_CHANNEL = 'certfleet_deployed';
export const SAFETY_REREAD_MS = 30_000;
export const DEFAULT_FLEET_WAIT_MS = 30 * 60_000;

/** A certificate whose replacement `version` must be deployed on every one of `hosts`. */
export interface FleetTarget {
  name: string;
  version: string;
  hosts: readonly string[];
}

export type HostStatus = 'deployed' | 'failed' | 'not-reporting';

/** One host's part, as the record keeps it. */
export interface HostConfirmation {
  host: string;
  status: HostStatus;
  version: string;
  /** Seconds from the start until the host was seen to have deployed the version (deployed only). */
  seconds?: number;
  /** The agent's reason (failed), or what "not reporting" means for this host. */
  detail?: string;
}

/** One change, as it happens: what the terminal and the JSON lines show. */
export interface HostProgress {
  certificate: string;
  host: string;
  status: 'deployed' | 'failed';
  version: string;
  /** Seconds since the start. */
  seconds: number;
  detail?: string;
}

export interface FleetConfirmation {
  name: string;
  version: string;
  /** Every host deployed the version. */
  complete: boolean;
  hosts: HostConfirmation[];
}

export interface FleetWaitStore {
  deployments: Pick<DeploymentRecords, 'forCertificate'>;
}

export interface FleetWaitIo {
  /** Epoch ms. */
  now: () => number;
  /** Call `fire` once after `ms`; the returned function cancels it. */
  setTimer: (ms: number, fire: () => void) => () => void;
  logger: Logger;
  onProgress?: (event: HostProgress) => void;
}

export interface FleetWaitOptions {
  /** Epoch ms the times are measured from (the command's start). */
  startedAt: number;
  /** How long to wait from now before the hosts still pending are reported as such. */
  waitMs: number;
  safetyRereadMs?: number;
}

type Seen = { status: 'deployed'; seconds: number } | { status: 'failed'; detail: string };

export async function awaitDeployed(targets: readonly FleetTarget[], store: FleetWaitStore, options: FleetWaitOptions, io: FleetWaitIo): Promise<FleetConfirmation[]> {
  const deadline = io.now() + options.waitMs;
  const byName = new Map(targets.map((t) => [t.name, t]));
  const seen = new Map(targets.map((t) => [t.name, new Map<string, Seen>()]));
  const dirty = new Set<string>();
  let rereadAll = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const done = (t: FleetTarget) => t.hosts.every((h) => seen.get(t.name)!.get(h)?.status === 'deployed');
  const open = () => targets.filter((t) => !done(t));

  const read = async (t: FleetTarget) => {
    let reports: Array<HostDeployment & { host: string }>;
    try {
      reports = await store.deployments.forCertificate(t.name);
    } catch (err) {
      // The store gone for a moment is no reason to give up the wait: the next read tries again.
      io.logger.warn(`${t.name}: could not read the hosts' deployments: ${describeError(err)}`);
      return;
    }
    const mine = seen.get(t.name)!;
    for (const r of reports) {
      if (!t.hosts.includes(r.host) || r.version !== t.version) continue;
      const before = mine.get(r.host);
      if (before?.status === 'deployed') continue; // confirmed: a later attempt of the same version changes nothing of that
      const seconds = round((io.now() - options.startedAt) / 1000);
      if (r.status === 'deployed') {
        mine.set(r.host, { status: 'deployed', seconds });
        io.onProgress?.({ certificate: t.name, host: r.host, status: 'deployed', version: t.version, seconds });
      } else {
        const detail = r.detail ?? 'no reason given';
        if (before?.status === 'failed' && before.detail === detail) continue;
        mine.set(r.host, { status: 'failed', detail });
        io.onProgress?.({ certificate: t.name, host: r.host, status: 'failed', version: t.version, seconds, detail });
      }
    }
  };

  const feed = changeFeed(store);
  // Listening before the first read: a host reporting between the two is not missed.
  let wasDown = false;
  const subscription =
    feed && targets.length > 0
      ? await feed.listen(
          DEPLOYED_CHANNEL,
          {
            message: (name) => {
              if (!byName.has(name)) return;
              dirty.add(name);
              poke();
            },
            connection: (up) => {
              if (!up) wasDown = true;
              else if (wasDown) {
                wasDown = false;
                rereadAll = true;
                poke();
              }
            },
          },
          io.logger,
        )
      : undefined;
  try {
    for (const t of targets) await read(t);
    while (open().length > 0 && io.now() < deadline) {
      if (dirty.size === 0 && !rereadAll) {
        const ms = Math.min(deadline - io.now(), options.safetyRereadMs ?? SAFETY_REREAD_MS);
        await new Promise<void>((resolve) => {
          const cancel = io.setTimer(ms, () => {
            wake = undefined;
            rereadAll = true;
            resolve();
          });
          wake = () => {
            cancel();
            resolve();
          };
        });
      }
      const names = rereadAll ? open().map((t) => t.name) : [...dirty];
      rereadAll = false;
      dirty.clear();
      for (const name of names) {
        const t = byName.get(name)!;
        if (!done(t)) await read(t);
      }
    }
  } finally {
    wake = undefined;
    await subscription?.close();
  }

  return targets.map((t) => {
    const mine = seen.get(t.name)!;
    const hosts = t.hosts.map((host): HostConfirmation => {
      const s = mine.get(host);
      if (s?.status === 'deployed') return { host, status: 'deployed', version: t.version, seconds: s.seconds };
      if (s?.status === 'failed') return { host, status: 'failed', version: t.version, detail: s.detail };
      return { host, status: 'not-reporting', version: t.version, detail: 'its agent has not reported this version (is certfleet agent running there?)' };
    });
    return { name: t.name, version: t.version, complete: hosts.every((h) => h.status === 'deployed'), hosts };
  });
}

/** What a confirmation that is not complete says, in one line: "b not reporting; c failed: disk full". */
export function pendingHosts(c: FleetConfirmation): string {
  return c.hosts
    .filter((h) => h.status !== 'deployed')
    .map((h) => (h.status === 'failed' ? `${h.host} failed: ${h.detail ?? 'no reason given'}` : `${h.host} not reporting`))
    .join('; ');
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
