/**
 * Live TLS endpoints: connect, optionally talk STARTTLS, handshake, and record the chain exactly
 * as the server sent it with whether it is trusted and matches the name asked for.
 *
 * Every connection is bounded: a connect timeout, then one handshake timeout for the STARTTLS
 * dialogue and another for the TLS handshake. Each scan settles exactly once, and settling
 * destroys every socket it opened, whatever path got there. Failures are data
 * (`{ok: false, error}`), never exceptions: one dead host must not stop a fleet scan.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import {
  checkServerIdentity,
  connect as connectTls,
  createSecureContext,
  DEFAULT_CIPHERS,
  rootCertificates,
  type PeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { UsageError } from '../../errors.js';
import { certificatePemTypes, findPemBlocks } from '../../x509/pem.js';
import { expectedNameFor, serverNameFor } from './endpoint-spec.js';
import type { EndpointObservation, EndpointScanOptions, EndpointSpec } from './endpoint-types.js';
import { formatDuration, negotiateStartTls, StartTlsError } from './starttls.js';

/**
 * Defaults for callers that have no opinion. Concurrency 64: on loopback (bench/endpoints.mjs, two
 * cores) the rate stops rising at about 8-16 because handshakes are CPU-bound, and 64 costs
 * nothing there; on a real network a scan waits ~3 round trips (TCP, TLS 1.3, close), so at
 * 50 ms RTT 64 in flight still reaches ~400 endpoints/s, and dead hosts that sit out the connect
 * timeout do not stall the rest. It stays far from file-descriptor limits.
 */
export const endpointScanDefaults = { concurrency: 64, connectTimeoutMs: 5000, handshakeTimeoutMs: 5000 } as const;

/** Scan every spec, at most `options.concurrency` at a time. Results come back in the order of `specs`. */
export async function scanEndpoints(specs: EndpointSpec[], options: EndpointScanOptions): Promise<EndpointObservation[]> {
  checkOptions(options);
  const context: ScanContext = {
    secureContext: secureContextFor(options.extraCa ?? []),
    connectTimeoutMs: options.connectTimeoutMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
  };
  const results = new Array<EndpointObservation>(specs.length);
  let next = 0;
  let done = 0;
  let callbackError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < specs.length && !callbackError) {
      const index = next++;
      const observation = await scanEndpoint(specs[index]!, context);
      results[index] = observation;
      done++;
      try {
        options.onResult?.(observation, done, specs.length);
      } catch (error) {
        // A throwing progress callback is a bug in the caller: stop starting scans, let the
        // running ones settle (they close their sockets), then report it.
        callbackError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, specs.length) }, worker));
  if (callbackError) throw callbackError.error;
  return results;
}

function checkOptions(options: EndpointScanOptions): void {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
    throw new UsageError(`endpoint concurrency must be a whole number of 1 or more, not ${options.concurrency}`);
  }
  for (const [name, value] of [
    ['connect timeout', options.connectTimeoutMs],
    ['handshake timeout', options.handshakeTimeoutMs],
  ] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`endpoint ${name} must be a positive number of milliseconds, not ${value}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One TLS context per distinct CA set

/**
 * Building a context parses every root (~140 PEMs): doing it per connection cut throughput from
 * ~600 to ~45 handshakes/s here. So there is one context per distinct CA set, kept for the process.
 *
 * The context accepts TLS 1.0 and 1.1 and security level 0, because an inventory must see the
 * certificate on the forgotten legacy box too; `protocol` reports the version so policy can flag
 * it. The same setting lets OpenSSL accept weak keys and SHA-1 signatures while building the
 * chain, so `trusted` means "chains to a trusted root", not "meets today's strength rules": those
 * are checked on the parsed certificates (key size, weakSignature), where they belong.
 */
const contexts = new Map<string, SecureContext>();
const MAX_CONTEXTS = 8;

export function secureContextFor(extraCa: readonly Uint8Array[]): SecureContext {
  const extraPems = extraCa.flatMap((data, index) => certificatesAsPem(data, index));
  const key = createHash('sha256').update(extraPems.join('')).digest('hex');
  let context = contexts.get(key);
  if (!context) {
    context = createSecureContext({
      ca: [...rootCertificates, ...extraPems],
      minVersion: 'TLSv1',
      ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=0`,
    });
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(key, context);
  }
  return context;
}

/** PEM text for every certificate in `data` (PEM, possibly several, or one DER certificate). */
function certificatesAsPem(data: Uint8Array, index: number): string[] {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const where = `extra CA #${index + 1}`;
  try {
    if (bytes.includes('-----BEGIN ')) {
      const blocks = findPemBlocks(bytes.toString('latin1')).filter((b) => certificatePemTypes.has(b.type));
      if (blocks.length === 0) throw new Error('no CERTIFICATE block in the PEM data');
      return blocks.map((b) => new X509Certificate(b.der).toString());
    }
    return [new X509Certificate(bytes).toString()];
  } catch (err) {
    throw new UsageError(`${where} is not a certificate (expected PEM or DER): ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// One endpoint

interface ScanContext {
  secureContext: SecureContext;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
}

type Outcome =
  | { ok: true; chain: Uint8Array[]; protocol: string; trusted: boolean; trustError?: string; nameMatches: boolean }
  | { ok: false; error: string };

type Phase = 'connect' | 'starttls' | 'handshake';

/** How long we wait for the server to close after our close_notify before destroying the socket. */
const CLOSE_GRACE_MS = 1000;

function scanEndpoint(spec: EndpointSpec, context: ScanContext): Promise<EndpointObservation> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let phase: Phase = 'connect';
    let timer: NodeJS.Timeout | undefined;
    let secure: TLSSocket | undefined;
    /** When the certificate was in hand: the polite hang-up after it is not the endpoint's latency. */
    let observedAt: number | undefined;

    const settle = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure?.destroy();
      tcp.destroy();
      const elapsedMs = Math.round(((observedAt ?? performance.now()) - started) * 10) / 10;
      resolve(outcome.ok ? { spec, ...outcome, elapsedMs } : { spec, ok: false, error: outcome.error, elapsedMs });
    };
    const fail = (error: string): void => settle({ ok: false, error });

    const tcp = connectTcp({ host: spec.host, port: spec.port });
    // Listeners stay attached after settling (not `once`): an 'error' emitted by a socket being
    // torn down must find a listener, or it would crash the process. During the STARTTLS
    // dialogue the dialogue reports errors itself, naming the step it was waiting for.
    tcp.on('error', (err: NodeJS.ErrnoException) => {
      if (phase !== 'starttls') fail(describeSocketError(err, phase));
    });
    timer = setTimeout(() => fail(`connection timed out after ${formatDuration(context.connectTimeoutMs)}`), context.connectTimeoutMs);

    tcp.once('connect', () => {
      clearTimeout(timer);
      tcp.setNoDelay(true);
      if (!spec.starttls) {
        startHandshake();
        return;
      }
      phase = 'starttls';
      // The dialogue has its own deadline (handshakeTimeoutMs) and always settles.
      negotiateStartTls(tcp, spec.starttls, { timeoutMs: context.handshakeTimeoutMs, serverName: expectedNameFor(spec) }).then(
        startHandshake,
        (err: unknown) => fail(err instanceof StartTlsError ? err.message : `STARTTLS failed: ${(err as Error).message}`),
      );
    });

    function startHandshake(): void {
      if (settled) return;
      phase = 'handshake';
      timer = setTimeout(() => fail(`TLS handshake timed out after ${formatDuration(context.handshakeTimeoutMs)}`), context.handshakeTimeoutMs);
      try {
        beginTls();
      } catch (err) {
        // Runs inside a socket event: a throw here would be an uncaught exception, not a result.
        fail(`TLS handshake failed: ${(err as Error).message}`);
      }
    }

    function beginTls(): void {
      const servername = serverNameFor(spec);
      const socket = connectTls({
        socket: tcp,
        secureContext: context.secureContext,
        // Never refuse: an untrusted or mismatched certificate is exactly what an inventory must see.
        rejectUnauthorized: false,
        ...(servername === undefined ? {} : { servername }),
        // Keep `authorized` about the chain only; the name is checked separately (nameMatches).
        checkServerIdentity: () => undefined,
      });
      secure = socket;
      skipNodesPeerCertificateObjects(socket);
      // Once observed, whatever the server does while we hang up changes nothing.
      let observed: Outcome | undefined;
      socket.on('error', (err: NodeJS.ErrnoException) => (observed ? settle(observed) : fail(describeTlsError(err, spec))));
      socket.on('close', () => (observed ? settle(observed) : fail('the server closed the connection during the TLS handshake')));
      socket.once('secureConnect', () => {
        observedAt = performance.now();
        try {
          observed = observe(socket, spec);
        } catch (err) {
          observed = { ok: false, error: `could not read what the server sent: ${(err as Error).message}` };
        }
        hangUpPolitely(socket, observed);
      });
    }

    /**
     * In TLS 1.3 the client's Finished is still queued when 'secureConnect' fires: destroying the
     * socket there drops it, and every scanned server would log a failed handshake. So end()
     * (Finished, close_notify, FIN), read and discard whatever comes (session tickets), and
     * settle when the server closes too, or after a short grace period at most.
     */
    function hangUpPolitely(socket: TLSSocket, outcome: Outcome): void {
      clearTimeout(timer);
      timer = setTimeout(() => settle(outcome), Math.min(CLOSE_GRACE_MS, context.handshakeTimeoutMs));
      socket.resume();
      socket.end();
    }
  });
}

function observe(socket: TLSSocket, spec: EndpointSpec): Outcome {
  // Called once and last: in Node 20 getPeerX509Certificate() removes the leaf from OpenSSL's
  // copy of the peer chain (nodejs/node#65579), so a second call would see a shorter chain.
  const leaf = socket.getPeerX509Certificate();
  if (!leaf) return { ok: false, error: 'the server sent no certificate' };
  const trustError = socket.authorized ? undefined : describeTrustError(socket.authorizationError);
  return {
    ok: true,
    chain: servedChain(leaf),
    protocol: socket.getProtocol() ?? 'unknown',
    trusted: socket.authorized,
    ...(trustError === undefined ? {} : { trustError }),
    nameMatches: leafMatches(expectedNameFor(spec), leaf),
  };
}

// ---------------------------------------------------------------------------------------------
// The chain as served

/** No real chain is this long; the bound only guarantees the walk ends. */
const MAX_CHAIN_LENGTH = 32;

/**
 * The certificates exactly as the server sent them, leaf first, in the server's order.
 *
 * Why not getPeerCertificate(true): it rebuilds a chain by issuer matching, drops certificates
 * the server sent that are not on that path, reorders a misordered chain, and appends the
 * trust anchor it found in *our* store, and it builds a JS object with fingerprints and key
 * details for every certificate. The X509Certificate that getPeerX509Certificate() returns wraps
 * OpenSSL's SSL_get_peer_cert_chain (what arrived on the wire) and its `issuerCertificate` is
 * simply the next certificate of that list, so walking it gives the served chain with no
 * guessing about which certificate we added, and costs a DER copy per certificate.
 */
function servedChain(leaf: X509Certificate): Uint8Array[] {
  const chain: Uint8Array[] = [];
  for (let cert: X509Certificate | undefined = leaf; cert && chain.length < MAX_CHAIN_LENGTH; ) {
    const raw = cert.raw;
    chain.push(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    const next: X509Certificate | undefined = cert.issuerCertificate;
    cert = next === cert ? undefined : next;
  }
  return chain;
}

/**
 * When the chain verifies, Node's TLS client calls `this.getPeerCertificate(true)` just to hand
 * the result to checkServerIdentity, which we do not use for that (we check the name ourselves
 * from the leaf). Building those objects for the whole rebuilt chain cost ~30% of a handshake's
 * CPU here (620 -> 850 scans/s). Shadowing the method on this one socket until the handshake
 * ends skips that work; if a future Node stops calling it, this only stops saving time.
 */
function skipNodesPeerCertificateObjects(socket: TLSSocket): void {
  Object.defineProperty(socket, 'getPeerCertificate', {
    value: () => ({}) as PeerCertificate,
    configurable: true,
    writable: true,
  });
  // Registered before our own secureConnect listener, so the real method is back when we run.
  socket.once('secureConnect', () => {
    delete (socket as { getPeerCertificate?: unknown }).getPeerCertificate;
  });
}

/** Node's own rules (tls.checkServerIdentity): SAN dNSName/iPAddress, CN only when no SAN names. */
function leafMatches(name: string, leaf: X509Certificate): boolean {
  const commonNames = leaf.subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
  const subject = commonNames.length === 0 ? {} : { CN: commonNames.length === 1 ? commonNames[0] : commonNames };
  const cert = { subject, subjectaltname: leaf.subjectAltName } as unknown as PeerCertificate;
  return checkServerIdentity(name, cert) === undefined;
}

// ---------------------------------------------------------------------------------------------
// Messages a person understands, with the underlying code kept

const socketErrorText: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_NONAME: 'host not found',
  EAI_NODATA: 'host has no address',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
};

/** An error of the plain TCP socket (connect, or the STARTTLS phase outside the dialogue). */
export function describeSocketError(err: NodeJS.ErrnoException, phase: Phase): string {
  const code = err.code ?? 'error';
  if (phase === 'handshake' && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return `the server closed the connection during the TLS handshake (${code})`;
  }
  const text = socketErrorText[code];
  return text ? `${text} (${code})` : err.message;
}

/** OpenSSL's "this is not a TLS record" errors: the server answered, but not in TLS. */
const plainTextCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

export function describeTlsError(err: NodeJS.ErrnoException & { reason?: string }, spec: EndpointSpec): string {
  const code = err.code ?? 'error';
  if (plainTextCodes.has(code)) {
    return spec.starttls
      ? `no TLS: the server answered in plain text after agreeing to STARTTLS (${code})`
      : `no TLS: the server answered in plain text (${code})`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') return `the server closed the connection during the TLS handshake (${code})`;
  if (code.startsWith('ERR_SSL_') && err.reason) return `TLS handshake failed: ${err.reason} (${code})`;
  return `TLS handshake failed: ${err.message}`;
}

const trustErrorText: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer is neither sent by the server nor a trusted root (incomplete chain or private CA)",
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of a certificate in the chain was not found',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the leaf's issuer is neither sent by the server nor a trusted root (incomplete chain or private CA)",
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed certificate that is not a trusted root',
  CERT_HAS_EXPIRED: 'a certificate in the chain has expired',
  CERT_NOT_YET_VALID: 'a certificate in the chain is not yet valid',
  CERT_SIGNATURE_FAILURE: 'a certificate signature does not verify',
  CERT_UNTRUSTED: 'the root is not trusted for this purpose',
  CERT_REJECTED: 'the root is marked as rejected',
  INVALID_CA: 'a certificate in the chain is not a valid CA',
  PATH_LENGTH_EXCEEDED: "the chain is longer than a CA's path length allows",
  INVALID_PURPOSE: 'a certificate is not valid for TLS server authentication',
  EE_KEY_TOO_SMALL: "the leaf's key is too small",
  CA_KEY_TOO_SMALL: "a CA's key is too small",
  CA_MD_TOO_WEAK: 'a CA signature uses a too-weak hash',
};

/** Node gives the OpenSSL verify code as a string (typed as Error in @types/node). */
function describeTrustError(error: unknown): string {
  const code = typeof error === 'string' ? error : error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : 'unknown';
  const text = trustErrorText[code];
  return text ? `${text} (${code})` : code;
}
