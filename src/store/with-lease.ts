/**
 * One certificate's lease around a piece of work outside `renew` (remove, a revocation's state
 * note): waits up to `waitMs` for a runner that holds it, then says who does.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Fence, StateStore } from './ports.js';

const TTL_MS = 5 * 60_000;

/** Who holds a lease, for its file and for messages: host, pid, and a random part (pids get reused). */
export function runnerId(pid: number): string {
  return `${hostname()}:${pid}:${randomBytes(4).toString('hex')}`;
}

export async function withLease<T>(store: StateStore, name: string, options: { waitMs: number; pid: number; pollMs?: number }, work: (fence: Fence) => Promise<T>): Promise<T> {
  const owner = runnerId(options.pid);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const lease = await store.leases.acquire(name, owner, TTL_MS);
    if (lease) {
      try {
        return await work(lease);
      } finally {
        await store.leases.release(lease).catch(() => undefined); // it expires by itself
      }
    }
    if (Date.now() >= deadline) {
      throw new CertfleetError('lease-busy', `another certfleet run is working on ${name} in ${store.location}`, {
        exitCode: ExitCode.partial,
        hint: 'it finishes on its own (a run that died loses its lease within minutes); try again then, or give --lock-wait a longer time',
      });
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}
