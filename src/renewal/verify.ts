/**
 * After deploying, ask each verify endpoint what it serves until it is the new serial (a reload
 * finishes asynchronously), or give up at the deadline with what was served instead.
 *
 * One handshake showing the new serial is not enough: behind one address there may be several
 * servers (a load balancer's backends, the old and new workers of a graceful reload), and one
 * answering with the new certificate says nothing of the others. So an endpoint counts as
 * confirmed after CONFIRMATIONS handshakes in a row show the new serial; an old serial in between
 * starts the count again, and is reported if it never stops.
 */
import type { EndpointSpec } from '../inventory/sources/endpoint-types.js';
import { scanEndpoints } from '../inventory/sources/endpoints.js';
import { parseCertificate } from '../x509/certificate.js';

export interface VerifyOptions {
  expectedSerial: string;
  timeoutMs: number;
  extraCa: Uint8Array[];
  pollMs?: number;
  /** Handshakes in a row that must show the new serial (default CONFIRMATIONS). */
  confirmations?: number;
}

export const CONFIRMATIONS = 3;
/** Pause between confirming handshakes: short, as the new certificate has already been seen. */
const CONFIRM_GAP_MS = 25;

export interface VerifyOutcome {
  ok: boolean;
  /** Per endpoint: what was seen last. */
  results: Array<{ endpoint: string; ok: boolean; detail: string }>;
}

export async function verifyServed(endpoints: readonly EndpointSpec[], options: VerifyOptions): Promise<VerifyOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const needed = Math.max(1, options.confirmations ?? CONFIRMATIONS);
  const pending = new Map(endpoints.map((e) => [e.raw, e]));
  const results = new Map<string, { endpoint: string; ok: boolean; detail: string }>();
  /** Per endpoint: handshakes in a row with the new serial, whether it was ever seen, and the last other serial seen. */
  const streak = new Map<string, { inRow: number; seenNew: boolean; other?: string }>(endpoints.map((e) => [e.raw, { inRow: 0, seenNew: false }]));
  for (;;) {
    const observations = await scanEndpoints([...pending.values()], {
      concurrency: 16,
      connectTimeoutMs: Math.min(5000, options.timeoutMs),
      handshakeTimeoutMs: Math.min(5000, options.timeoutMs),
      extraCa: options.extraCa,
    });
    for (const obs of observations) {
      const endpoint = obs.spec.raw;
      const s = streak.get(endpoint)!;
      if (!obs.ok) {
        s.inRow = 0;
        results.set(endpoint, { endpoint, ok: false, detail: obs.error });
        continue;
      }
      const served = serialOf(obs.chain[0]);
      if (served === options.expectedSerial) {
        s.inRow++;
        s.seenNew = true;
        const ok = s.inRow >= needed;
        results.set(endpoint, { endpoint, ok, detail: ok ? `serves ${served} (${s.inRow} handshakes in a row)` : `serves ${served} on ${s.inRow} handshake(s) in a row so far` });
        if (ok) pending.delete(endpoint);
      } else {
        s.inRow = 0;
        s.other = served ?? '(unreadable)';
        results.set(endpoint, { endpoint, ok: false, detail: `still serves serial ${s.other}, expected ${options.expectedSerial}` });
      }
    }
    if (pending.size === 0 || Date.now() >= deadline) break;
    const confirming = [...pending.keys()].every((e) => streak.get(e)!.inRow > 0);
    await new Promise((r) => setTimeout(r, confirming ? CONFIRM_GAP_MS : (options.pollMs ?? 250)));
  }
  for (const endpoint of pending.keys()) {
    const s = streak.get(endpoint)!;
    // Whatever the last handshake happened to show: both serials seen means a server left behind.
    if (s.seenNew && s.other !== undefined) {
      results.set(endpoint, {
        endpoint,
        ok: false,
        detail: `serves the new serial ${options.expectedSerial} on some handshakes and serial ${s.other} on others: a server behind this address still has the old certificate`,
      });
    }
  }
  const list = endpoints.map((e) => results.get(e.raw)!);
  return { ok: list.every((r) => r.ok), results: list };
}

function serialOf(der: Uint8Array | undefined): string | undefined {
  if (!der) return undefined;
  try {
    return parseCertificate(der).info.serialNumber;
  } catch {
    return undefined;
  }
}
