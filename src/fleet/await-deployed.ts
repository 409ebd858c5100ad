/**
 * "Replaced" across a fleet means confirmed served on every host the certificate belongs to: once
 * the runner made a version current, wait until each host of its spec reports that version
 * deployed (ports.ts `DeploymentRecords`), or the deadline. Woken by the store (LISTEN
 * `certfleet_deployed`, migration 005's trigger on `deployments`), not by polling; a slow safety
 * re-read every 30 s covers a lost notification, and the connection coming back after an outage
 * re-reads everything (what was sent meanwhile is lost).
 *
 * The watch begins before the first order and certificates join it one by one, each as soon as its
 * order made it current: in an incident that orders for hours at the CA's rate limits, the hosts'
 * reports are seen (and shown) as they come, not after the last order. Each wake reads every
 * certificate it concerns in one batch (`replacementStatus`), not two queries per certificate.
 *
 * A host that reported a failure is not final: its agent retries, so the wait goes on, and the
 * failure is what is said of it at the deadline. A host that never reported the version is
 * "not reporting". Times are seconds from `startedAt` until this runner learned of the report
 * (a notification arrives within milliseconds; at worst the safety re-read's interval later).
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { changeFeed, type DeploymentRecords, type ReplacementStatus } from '../store/ports.js';

/** The channel migration 005's trigger notifies, with the certificate's name. */
export const DEPLOYED_CHANNEL = 'certfleet_deployed';
export const SAFETY_REREAD_MS = 30_000;
export const DEFAULT_FLEET_WAIT_MS = 30 * 60_000;

/** A certificate whose replacement must be deployed on every one of `hosts`. */
export interface FleetTarget {
  name: string;
  hosts: readonly string[];
  /** The version they must deploy; absent: the certificate's current version when it is first read (the one its order just made current). */
  version?: string;
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
  deployments: Pick<DeploymentRecords, 'replacementStatus'>;
}

export interface FleetWaitIo {
  /** Epoch ms. */
  now: () => number;
  /** Call `fire` once after `ms`; the returned function cancels it. */
  setTimer: (ms: number, fire: () => void) => () => void;
  logger: Logger;
  onProgress?: (event: HostProgress) => void;
  /** A certificate every host of which deployed its version, as soon as the last one is seen (before `finish` too). */
  onComplete?: (confirmation: FleetConfirmation) => void;
}

export interface FleetWaitOptions {
  /** Epoch ms the times are measured from (the command's start). */
  startedAt: number;
  safetyRereadMs?: number;
}

/** Waiting for the hosts of certificates that join while the orders go on. */
export interface DeployedWatch {
  /** Wait for `target`'s hosts from now on: read at once, then whenever the store says a host reported. A name already added is ignored. */
  add(target: FleetTarget): void;
  /**
   * Nothing more will be added: wait until every host of every certificate deployed its version,
   * or `waitMs` from now; then stop listening. A certificate whose version could not be read (none
   * is current) is left out.
   */
  finish(waitMs: number): Promise<FleetConfirmation[]>;
  /** Stop listening and reading without a result (the command ended early); harmless after `finish`. */
  close(): Promise<void>;
}

type Seen = { status: 'deployed'; seconds: number } | { status: 'failed'; detail: string };

interface Watched {
  name: string;
  hosts: readonly string[];
  /** Undefined until the first read resolved it. */
  version: string | undefined;
  /** No version is current: nothing to wait for. */
  dropped: boolean;
  seen: Map<string, Seen>;
}

/** Listens before it returns: a host reporting between a certificate's order and its first read is not missed. */
export async function watchDeployed(store: FleetWaitStore, options: FleetWaitOptions, io: FleetWaitIo): Promise<DeployedWatch> {
  const watched = new Map<string, Watched>();
  const toRead = new Set<string>();
  let rereadAll = false;
  let deadline: number | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const done = (w: Watched) => w.version !== undefined && w.hosts.every((h) => w.seen.get(h)?.status === 'deployed');
  const open = () => [...watched.values()].filter((w) => !w.dropped && !done(w));

  const take = (w: Watched, status: ReplacementStatus | undefined) => {
    if (w.version === undefined) {
      if (status?.currentVersion === undefined) {
        w.dropped = true;
        return;
      }
      w.version = status.currentVersion;
    }
    for (const r of status?.hosts ?? []) {
      if (!w.hosts.includes(r.host) || r.version !== w.version) continue;
      const before = w.seen.get(r.host);
      if (before?.status === 'deployed') continue; // confirmed: a later attempt of the same version changes nothing of that
      const seconds = round((io.now() - options.startedAt) / 1000);
      if (r.status === 'deployed') {
        w.seen.set(r.host, { status: 'deployed', seconds });
        io.onProgress?.({ certificate: w.name, host: r.host, status: 'deployed', version: w.version, seconds });
      } else {
        const detail = r.detail ?? 'no reason given';
        if (before?.status === 'failed' && before.detail === detail) continue;
        w.seen.set(r.host, { status: 'failed', detail });
        io.onProgress?.({ certificate: w.name, host: r.host, status: 'failed', version: w.version, seconds, detail });
      }
    }
    if (done(w)) io.onComplete?.(confirmation(w));
  };

  const read = async (names: readonly string[]) => {
    let status: Map<string, ReplacementStatus>;
    try {
      status = await store.deployments.replacementStatus(names);
    } catch (err) {
      // The store gone for a moment is no reason to give up the wait: the next wake reads them again.
      io.logger.warn(`could not read the hosts' deployments of ${names.length === 1 ? names[0] : `${names.length} certificates`}: ${describeError(err)}`);
      return;
    }
    for (const name of names) take(watched.get(name)!, status.get(name));
  };

  const feed = changeFeed(store);
  let wasDown = false;
  const subscription = feed
    ? await feed.listen(
        DEPLOYED_CHANNEL,
        {
          message: (name) => {
            const w = watched.get(name);
            if (w === undefined || done(w)) return;
            toRead.add(name);
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

  const loop = async () => {
    for (;;) {
      if (stopped || (deadline !== undefined && (open().length === 0 || io.now() >= deadline))) return;
      if (toRead.size === 0 && !rereadAll) {
        const safety = options.safetyRereadMs ?? SAFETY_REREAD_MS;
        const ms = deadline === undefined ? safety : Math.min(deadline - io.now(), safety);
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
        continue; // what woke it may be the end (finish, close, the deadline)
      }
      const names = new Set(toRead);
      if (rereadAll) for (const w of open()) names.add(w.name);
      rereadAll = false;
      toRead.clear();
      const due = [...names].filter((n) => {
        const w = watched.get(n)!;
        return !w.dropped && !done(w);
      });
      if (due.length > 0) await read(due);
    }
  };
  // Held until finish or close; a progress callback that throws ends the wait and is thrown by finish.
  let failure: { err: unknown } | undefined;
  const running = loop().catch((err: unknown) => {
    failure = { err };
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    stopped = true;
    poke();
    closed ??= running.then(() => subscription?.close());
    return closed;
  };

  return {
    add(target) {
      if (stopped || watched.has(target.name)) return;
      watched.set(target.name, { name: target.name, hosts: target.hosts, version: target.version, dropped: false, seen: new Map() });
      toRead.add(target.name);
      poke();
    },
    async finish(waitMs) {
      deadline = io.now() + waitMs;
      poke();
      await running;
      await close();
      if (failure) throw failure.err;
      return [...watched.values()].flatMap((w) => (w.version === undefined ? [] : [confirmation(w)]));
    },
    close,
  };
}

function confirmation(w: Watched): FleetConfirmation {
  const version = w.version!;
  const hosts = w.hosts.map((host): HostConfirmation => {
    const s = w.seen.get(host);
    if (s?.status === 'deployed') return { host, status: 'deployed', version, seconds: s.seconds };
    if (s?.status === 'failed') return { host, status: 'failed', version, detail: s.detail };
    return { host, status: 'not-reporting', version, detail: 'its agent has not reported this version (is certfleet agent running there?)' };
  });
  return { name: w.name, version, complete: hosts.every((h) => h.status === 'deployed'), hosts };
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
