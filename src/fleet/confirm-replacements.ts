/**
 * What `replace` and `revoke` do after the runner's renew for the certificates whose spec names
 * `hosts`: the replacement is current in the store, not yet served; wait for every host's agent to
 * confirm it (await-deployed.ts). Certificates without hosts are not asked about: the renew run
 * deployed and verified them itself, as before.
 */
import type { Logger } from '../logger.js';
import type { StateStore } from '../store/ports.js';
import { awaitDeployed, DEFAULT_FLEET_WAIT_MS, type FleetConfirmation, type FleetWaitStore, type FleetTarget, type HostProgress } from './await-deployed.js';

/** How a command waits for the fleet (the CLI sets it; every field has a default). */
export interface FleetWaitSettings {
  /** How long to wait for the hosts (`--wait`, default 30 min). */
  waitMs?: number;
  /** Call `fire` once after `ms`; the returned function cancels it (tests pass a fake clock's). */
  setTimer?: (ms: number, fire: () => void) => () => void;
  onHostProgress?: (event: HostProgress) => void;
}

/** A replaced certificate: its hosts, and the version they must deploy (default: the store's current one). */
export interface ReplacedOnHosts {
  name: string;
  hosts: readonly string[];
  version?: string;
}

export async function confirmReplacements(
  replaced: readonly ReplacedOnHosts[],
  store: StateStore,
  startedAt: number,
  io: { now: () => number; logger: Logger; fleet?: FleetWaitSettings },
): Promise<Map<string, FleetConfirmation>> {
  const deployments = store.deployments;
  if (replaced.length === 0 || deployments === undefined) return new Map();
  const targets: FleetTarget[] = [];
  for (const r of replaced) {
    const version = r.version ?? (await store.certificates.currentId(r.name));
    if (version !== undefined) targets.push({ name: r.name, version, hosts: r.hosts });
  }
  // The store itself, not only its deployments: its change feed (when it has one) is what wakes the wait.
  const confirmations = await awaitDeployed(targets, store as StateStore & FleetWaitStore, { startedAt, waitMs: io.fleet?.waitMs ?? DEFAULT_FLEET_WAIT_MS }, {
    now: io.now,
    setTimer: io.fleet?.setTimer ?? realTimer,
    logger: io.logger,
    ...(io.fleet?.onHostProgress ? { onProgress: io.fleet.onHostProgress } : {}),
  });
  return new Map(confirmations.map((c) => [c.name, c]));
}

function realTimer(ms: number, fire: () => void): () => void {
  const t = setTimeout(fire, ms);
  return () => clearTimeout(t);
}
