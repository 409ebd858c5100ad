/**
 * The TLS server both tls-alpn-01 answerers share (the standalone solver, standalone.ts, and the
 * agent's listener, fleet/tls-alpn-01-server.ts): a client that does not offer the "acme-tls/1"
 * ALPN protocol (RFC 8737) is refused in the handshake before any certificate is looked up or sent;
 * one that does gets what `answer` gives for the name in SNI, and the connection ends after the
 * handshake. What to present for a name is the caller's.
 */
import { createServer, type SecureContext, type Server, type TLSSocket } from 'node:tls';

export const ACME_TLS_ALPN = 'acme-tls/1';

export type ContextCallback = (err: Error | null, ctx?: SecureContext) => void;

export interface AcmeTlsServerOptions {
  /** A validator's handshake takes milliseconds; Node's default of 120 s lets a silent client hold a socket. */
  handshakeTimeoutMs: number;
  /** The challenge certificate for `servername` (as the client sent it), or an error: called only for clients that chose acme-tls/1. */
  answer: (servername: string, callback: ContextCallback) => void;
}

export function createAcmeTlsServer(options: AcmeTlsServerOptions): Server {
  // OpenSSL settles ALPN before it asks for the certificate (SNI), both during the ClientHello:
  // remember which sockets chose acme-tls/1 and answer those only.
  const acmeSockets = new WeakSet<object>();
  const server = createServer({
    minVersion: 'TLSv1.2',
    handshakeTimeout: options.handshakeTimeoutMs,
    ALPNCallback(this: unknown, { protocols }: { servername: string; protocols: string[] }) {
      if (!protocols.includes(ACME_TLS_ALPN)) return undefined; // fatal no_application_protocol alert
      if (typeof this === 'object' && this !== null) acmeSockets.add(this);
      return ACME_TLS_ALPN;
    },
    SNICallback(this: unknown, servername: string, callback: ContextCallback) {
      if (typeof this !== 'object' || this === null || !acmeSockets.has(this)) {
        return callback(new Error(`refusing ${servername}: the client did not offer ${ACME_TLS_ALPN}`));
      }
      options.answer(servername, callback);
    },
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    // The certificate was the whole answer: nothing is read or written after the handshake.
    socket.on('error', () => {});
    socket.end();
  });
  // Refused handshakes are expected (scanners, other protocols, names not ordered): the callers log
  // those that matter. Node leaves the socket open after a handshake error or timeout: closed here.
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
  return server;
}
