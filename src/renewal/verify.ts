/**
 * After deploying, ask each verify endpoint what it serves until it is the new serial (a reload
 * finishes asynchronously), or give up at the deadline with what was served instead.
 */
import type { EndpointSpec } from '../inventory/sources/endpoint-types.js';
import { scanEndpoints } from '../inventory/sources/endpoints.js';
import { parseCertificate } from '../x509/certificate.js';

export interface VerifyOptions {
  expectedSerial: string;
  timeoutMs: number;
  extraCa: Uint8Array[];
  pollMs?: number;
}

export interface VerifyOutcome {
  ok: boolean;
  /** Per endpoint: what was seen last. */
  results: Array<{ endpoint: string; ok: boolean; detail: string }>;
}

export async function verifyServed(endpoints: readonly EndpointSpec[], options: VerifyOptions): Promise<VerifyOutcome> {
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Map(endpoints.map((e) => [e.raw, e]));
  const results = new Map<string, { endpoint: string; ok: boolean; detail: string }>();
  for (;;) {
    const observations = await scanEndpoints([...pending.values()], {
      concurrency: 16,
      connectTimeoutMs: Math.min(5000, options.timeoutMs),
      handshakeTimeoutMs: Math.min(5000, options.timeoutMs),
      extraCa: options.extraCa,
    });
    for (const obs of observations) {
      const endpoint = obs.spec.raw;
      if (!obs.ok) {
        results.set(endpoint, { endpoint, ok: false, detail: obs.error });
        continue;
      }
      const served = serialOf(obs.chain[0]);
      const ok = served === options.expectedSerial;
      results.set(endpoint, { endpoint, ok, detail: ok ? `serves ${served}` : `still serves serial ${served ?? '(unreadable)'}, expected ${options.expectedSerial}` });
      if (ok) pending.delete(endpoint);
    }
    if (pending.size === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
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
