/**
 * HTTP for the ACME client, in place of acme-client's axios path (acme-client 5.4 retries a
 * transport error for ~75 s and then throws "Cannot read properties of undefined (reading
 * 'config')", upstream issue #101, and shares one global axios instance between clients).
 *
 * One transport per CA: a keep-alive agent (each signed request is a nonce HEAD + a POST; without
 * keep-alive each would be a new TLS handshake), an optional extra CA bundle for a private ACME
 * server, a hard deadline per request, errors that carry the real cause, and a nonce pool: every
 * response brings a fresh Replay-Nonce, so the next signed request needs no HEAD /new-nonce.
 * Responses of every status are returned; deciding what a status means is the caller's job.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Logger } from '../logger.js';
import { AcmeTransportError } from './errors.js';

export type HttpMethod = 'get' | 'head' | 'post';

/** The response shape acme-client's HttpClient reads (`status`, lower-case `headers`, parsed `data`). */
export interface AcmeHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON for JSON content types, otherwise the body as text ('' for HEAD). */
  data: unknown;
}

export interface TransportOptions {
  /** PEM certificates trusted in addition to Node's roots (a private ACME server's CA). */
  caBundlePem?: string;
  /** Deadline for one request, connect to last byte. */
  requestTimeoutMs: number;
  userAgent: string;
  logger: Logger;
}

export interface TransportStats {
  requests: number;
  /** badNonce answers seen (each one retried by the signer). */
  badNonces: number;
  /** Signed requests that needed no HEAD /new-nonce because a pooled nonce was at hand. */
  pooledNonces: number;
  /** Requests re-sent once because a kept-alive connection had been closed by the server. */
  staleConnectionRetries: number;
  /** Connections opened (with keep-alive, far fewer than requests). */
  connections: number;
}

const MAX_POOLED_NONCES = 32;
const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';

const tlsTrustCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function hintFor(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (tlsTrustCodes.has(code)) return 'the ACME server\'s HTTPS certificate is not trusted: for a private ACME server set acme.caBundle to its CA certificate (PEM)';
  if (code === 'ECONNREFUSED') return 'nothing listens at that address: is the ACME server running, and is the directory URL right?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the ACME server\'s name does not resolve: check the directory URL and DNS';
  if (code === 'ETIMEDOUT') return 'the ACME server did not answer in time; the next run tries again';
  return undefined;
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /[/+]json\b/i.test(contentType);
}

export class AcmeTransport {
  private readonly httpsAgent: HttpsAgent;
  private readonly httpAgent: HttpAgent;
  private readonly nonces: string[] = [];
  private readonly counters: TransportStats = { requests: 0, badNonces: 0, pooledNonces: 0, staleConnectionRetries: 0, connections: 0 };

  constructor(private readonly options: TransportOptions) {
    // Extra trust, like NODE_EXTRA_CA_CERTS: a private CA's root next to the public ones. Built once
    // as a SecureContext: given as `ca`, the ~150 roots were parsed again for every new connection
    // and joined into the agent's pool key on every request (a quarter of the CPU of issuing 100).
    const secureContext = options.caBundlePem ? createSecureContext({ ca: [...rootCertificates, options.caBundlePem] }) : undefined;
    this.httpsAgent = new HttpsAgent({ keepAlive: true, ...(secureContext ? { secureContext } : {}) });
    this.httpAgent = new HttpAgent({ keepAlive: true });
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  /** A nonce from an earlier response, if one is unused. */
  takeNonce(): string | undefined {
    const nonce = this.nonces.pop();
    if (nonce !== undefined) this.counters.pooledNonces++;
    return nonce;
  }

  async request(url: string, method: HttpMethod, body?: unknown): Promise<AcmeHttpResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const started = performance.now();
    let response: AcmeHttpResponse;
    try {
      response = await this.send(url, method, payload);
    } catch (err) {
      // Node's advice for keep-alive: a request on a reused socket the server had just closed
      // fails with ECONNRESET before the server saw it; sending it once more is safe.
      if ((err as { reusedSocket?: boolean }).reusedSocket && (err as { code?: string }).code === 'ECONNRESET') {
        this.counters.staleConnectionRetries++;
        response = await this.send(url, method, payload).catch((again: unknown) => this.fail(method, url, again));
      } else {
        this.fail(method, url, err);
      }
    }
    this.counters.requests++;
    this.keepNonce(method, response);
    // `-v` shows this line as it is: method, URL, status and time only. Never the body (a JWS, an EAB MAC) or headers (nonces).
    const ms = Math.round(performance.now() - started);
    this.options.logger.debug(`${method.toUpperCase()} ${url} ${response.status} ${ms}ms`, { method: method.toUpperCase(), url, status: response.status, ms });
    return response;
  }

  /** Free the kept-alive connections (the process can exit without waiting for them to idle out). */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private fail(method: string, url: string, err: unknown): never {
    const code = (err as { code?: unknown }).code;
    throw new AcmeTransportError(method, url, err, hintFor(typeof code === 'string' ? code : undefined));
  }

  private keepNonce(method: HttpMethod, response: AcmeHttpResponse): void {
    const nonce = response.headers['replay-nonce'];
    // A HEAD /new-nonce's nonce is the caller's; a badNonce answer's nonce is used by the retry.
    if (typeof nonce !== 'string' || method === 'head') return;
    const problemType = (response.data as { type?: unknown } | null)?.type;
    if (problemType === BAD_NONCE) {
      this.counters.badNonces++;
      return;
    }
    this.nonces.push(nonce);
    if (this.nonces.length > MAX_POOLED_NONCES) this.nonces.shift();
  }

  private send(url: string, method: HttpMethod, payload: Buffer | undefined): Promise<AcmeHttpResponse> {
    return new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch (err) {
        reject(err);
        return;
      }
      const secure = target.protocol === 'https:';
      const headers: Record<string, string | number> = {
        'User-Agent': this.options.userAgent,
        Accept: method === 'post' ? 'application/json, application/pem-certificate-chain, */*' : 'application/json, */*',
      };
      if (payload) {
        headers['Content-Type'] = 'application/jose+json';
        headers['Content-Length'] = payload.length;
      }
      const req = (secure ? httpsRequest : httpRequest)(target, {
        method: method.toUpperCase(),
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers,
      });
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`no answer within ${this.options.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' }));
      }, this.options.requestTimeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(Object.assign(err, { reusedSocket: req.reusedSocket }));
      });
      req.on('response', (res: IncomingMessage) => {
        if (!req.reusedSocket) this.counters.connections++;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown = text;
          if (text && isJson(res.headers['content-type'])) {
            try {
              data = JSON.parse(text);
            } catch {
              data = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, data });
        });
      });
      req.end(payload);
    });
  }
}
