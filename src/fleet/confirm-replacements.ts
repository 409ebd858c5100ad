/**
 * What `replace`, `revoke` and `drill` do for the certificates whose spec names `hosts`: an order
 * makes the replacement current in the store, not yet served; wait for every host's agent to
 * confirm it (await-deployed.ts). The wait begins with the command, and each certificate joins it
 * as soon as its order is done, so its hosts' reports are seen while the other orders go on.
 * Certificates without hosts are not asked about: the renew run deployed and verified them itself,
 * as before.
 */
import type { Logger } from '../logger.js';
import type { StateStore } from '../store/ports.js';
import { DEFAULT_FLEET_WAIT_MS, watchDeployed, type DeployedWatch, type FleetConfirmation, type HostProgress } from './await-deployed.js';

/** How a command waits for the fleet (the CLI sets it; every field has a default). */
export interface FleetWaitSettings {
  /** How long to wait for the hosts once the last order is done (`--wait`, default 30 min). */
  waitMs?: number;
  /** Call `fire` once after `ms`; the returned function cancels it (tests pass a fake clock's). */
  setTimer?: (ms: number, fire: () => void) => () => void;
  onHostProgress?: (event: HostProgress) => void;
}

/** A replaced certificate: its hosts, and the version they must deploy (default: the store's current one when it joins). */
export interface ReplacedOnHosts {
  name: string;
  hosts: readonly string[];
  version?: string;
}

/** The confirmations of one command, from its start to its last order and then `--wait` more. */
export interface FleetConfirmations {
  /** `replaced`'s replacement is current now: its hosts' reports count from here on. */
  add(replaced: ReplacedOnHosts): void;
  /** Every order is done: wait for the hosts still pending (up to `--wait` from now); the confirmations by name. */
  finish(): Promise<Map<string, FleetConfirmation>>;
  /** Stop listening without waiting (the command ended early); harmless after `finish`. */
  close(): Promise<void>;
}

export interface ConfirmIo {
  now: () => number;
  logger: Logger;
  fleet?: FleetWaitSettings;
  /** A certificate confirmed on every one of its hosts, as soon as it is (while other orders may go on). */
  onConfirmed?: (confirmation: FleetConfirmation) => void;
}

/**
 * Starts listening when `anyHosts` (some certificate the command may replace names hosts) and the
 * store keeps deployments; otherwise nothing is waited for and `finish` has no confirmations.
 */
export async function startConfirmations(store: StateStore, startedAt: number, anyHosts: boolean, io: ConfirmIo): Promise<FleetConfirmations> {
  const deployments = store.deployments;
  if (!anyHosts || deployments === undefined) return none;
  // The store itself, not only its deployments: its change feed (when it has one) is what wakes the wait.
  const watch: DeployedWatch = await watchDeployed(store as StateStore & { deployments: typeof deployments }, { startedAt }, {
    now: io.now,
    setTimer: io.fleet?.setTimer ?? realTimer,
    logger: io.logger,
    ...(io.fleet?.onHostProgress ? { onProgress: io.fleet.onHostProgress } : {}),
    ...(io.onConfirmed ? { onComplete: io.onConfirmed } : {}),
  });
  return {
    add: (r) => watch.add(r),
    finish: async () => new Map((await watch.finish(io.fleet?.waitMs ?? DEFAULT_FLEET_WAIT_MS)).map((c) => [c.name, c])),
    close: () => watch.close(),
  };
}

const none: FleetConfirmations = {
  add: () => undefined,
  finish: () => Promise.resolve(new Map()),
  close: () => Promise.resolve(),
};

function realTimer(ms: number, fire: () => void): () => void {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
}
