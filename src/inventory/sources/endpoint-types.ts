/** What the endpoint scanner takes and returns. Observations are raw (DER); the inventory parses them. */
import type { StartTlsProtocol } from '../model.js';

export interface EndpointSpec {
  host: string;
  port: number;
  sni?: string;
  starttls?: StartTlsProtocol;
  /** The spec as the user wrote it, for messages. */
  raw: string;
}

export type EndpointObservation =
  | {
      spec: EndpointSpec;
      ok: true;
      /** Certificates as the server sent them, leaf first (DER). */
      chain: Uint8Array[];
      protocol: string;
      trusted: boolean;
      trustError?: string;
      nameMatches: boolean;
      elapsedMs: number;
    }
  | { spec: EndpointSpec; ok: false; error: string; elapsedMs: number };

export interface EndpointScanOptions {
  concurrency: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  /** Extra trust anchors (PEM or DER), added to the system roots. */
  extraCa?: Uint8Array[];
  onResult?: (observation: EndpointObservation, done: number, total: number) => void;
}
