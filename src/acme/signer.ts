/**
 * The one file that imports acme-client. We use what it does well: the directory cache, nonces,
 * JWS signing (RS256/ES256/ES384/ES512, `kid` or `jwk`), the External Account Binding HMAC and
 * the badNonce retry (RFC 8555 6.5). Its transport is replaced per client (see transport.ts) by
 * swapping the `request` method of its internal HttpClient, the single place every one of its
 * HTTP calls goes through; its polling, retries and error formatting are not used at all.
 *
 * acme-client 5.4 does not type its internals; `HttpClientInternals` names exactly the members
 * relied on, so an upgrade that changes them fails the integration tests rather than silently.
 *
 * The key: acme-client's Client turns its `accountKey` into a Buffer of PEM, and HttpClient signs
 * every JWS with whatever `accountKey` holds, so a PEM costs OpenSSL's decoder on every request
 * (0.7 ms, a fifth of node's CPU in an issuance). The Client gets an empty key, and its HttpClient
 * the KeyObject afterwards: createSignedBody and getJwk hand it to node:crypto, which takes a
 * KeyObject as well as a PEM. Should an upgrade sign from anywhere else, that place finds the
 * empty key and every signed request fails (test/unit/acme/signer.test.ts), never a slow path.
 */
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Client } from 'acme-client';
import { AcmeError } from './errors.js';
import type { AcmeHttpResponse, AcmeTransport, HttpMethod } from './transport.js';

// acme-client (with axios, node-forge and @peculiar/x509 under it) takes ~200 ms to load, most of
// a `renew` run in which nothing is due: that run never signs, so it is loaded by the first signer.
const requireCjs = createRequire(import.meta.url);
let acmeClientClass: typeof Client | undefined;
const loadClientClass = (): typeof Client => (acmeClientClass ??= (requireCjs('acme-client') as { Client: typeof Client }).Client);

export interface JwsBody {
  protected: string;
  payload: string;
  signature: string;
}

export type PublicJwk = Record<string, string>;

export interface ExternalAccountBinding {
  kid: string;
  /** base64url HMAC key from the CA. A secret: never logged. */
  hmacKey: string;
}

interface HttpClientInternals {
  request(url: string, method: HttpMethod, opts?: { data?: unknown }): Promise<AcmeHttpResponse>;
  getNonce(): Promise<string>;
  getDirectory(): Promise<unknown>;
  signedRequest(
    url: string,
    payload: Record<string, unknown> | null,
    opts: { kid?: string | null; nonce?: string | null; includeExternalAccountBinding?: boolean },
  ): Promise<AcmeHttpResponse>;
  createSignedBody(url: string, payload: Record<string, unknown> | null, opts?: { nonce?: string | null; kid?: string | null }): JwsBody;
  getJwk(): PublicJwk;
  /** A PEM Buffer as the Client built it; replaced by the KeyObject (see the header). */
  accountKey: unknown;
  maxBadNonceRetries: number;
  externalAccountBinding: Partial<ExternalAccountBinding>;
  directoryCache: unknown;
  directoryTimestamp: number;
}

export interface SignerOptions {
  directoryUrl: string;
  /** Private key (EC P-256/P-384/P-521 or RSA; see readPrivateKey): the account key, or a certificate key for revocation. */
  key: KeyObject;
  transport: AcmeTransport;
  badNonceRetries: number;
}

/** Signs and sends ACME requests with one key. */
export class AcmeSigner {
  private readonly http: HttpClientInternals;

  constructor(options: SignerOptions) {
    const { key } = options;
    // Checked before acme-client sees it: Ed25519 has no JWS algorithm there, and a public key cannot sign.
    if (key.type !== 'private') throw new AcmeError('ACME requests are signed with a private key, not a public one');
    if (key.asymmetricKeyType !== 'ec' && key.asymmetricKeyType !== 'rsa') {
      throw new AcmeError(`ACME keys must be EC or RSA, not ${key.asymmetricKeyType ?? 'unknown'}`);
    }
    // No PEM for acme-client to keep (see the header): an empty Buffer, then the KeyObject.
    const client = new (loadClientClass())({ directoryUrl: options.directoryUrl, accountKey: Buffer.alloc(0) });
    const http = (client as unknown as { http?: HttpClientInternals }).http;
    if (
      !http ||
      typeof http.signedRequest !== 'function' ||
      typeof http.request !== 'function' ||
      typeof http.getNonce !== 'function' ||
      typeof http.createSignedBody !== 'function' ||
      !Buffer.isBuffer(http.accountKey)
    ) {
      throw new AcmeError('acme-client internals changed (HttpClient.request/signedRequest/getNonce/createSignedBody/accountKey): certfleet needs an update', { code: 'internal' });
    }
    this.http = http;
    http.accountKey = key;
    const transport = options.transport;
    http.request = (url, method, opts) => transport.request(url, method, opts?.data);
    const fetchNonce = http.getNonce.bind(http);
    http.getNonce = async () => transport.takeNonce() ?? fetchNonce();
    http.maxBadNonceRetries = options.badNonceRetries;
    // The JWK once, now (getJwk caches it): every `jwk`-form request and the thumbprint read it.
    this.jwk();
  }

  /** The directory object (acme-client caches it for a day). */
  directory(): Promise<unknown> {
    return this.http.getDirectory();
  }

  /** Reuse a directory fetched by another signer of the same CA (saves a GET). */
  seedDirectory(directory: unknown): void {
    this.http.directoryCache = directory;
    this.http.directoryTimestamp = Math.floor(Date.now() / 1000);
  }

  /** The public key as a JWK, members sorted. */
  jwk(): PublicJwk {
    return this.http.getJwk();
  }

  /**
   * A signed POST. `kid` undefined signs with the key as `jwk` (newAccount, revocation with the
   * certificate key); a payload of null is a POST-as-GET. `eab` adds the External Account Binding.
   */
  async post(url: string, payload: Record<string, unknown> | null, options: { kid?: string; eab?: ExternalAccountBinding } = {}): Promise<AcmeHttpResponse> {
    if (options.eab) this.http.externalAccountBinding = options.eab;
    try {
      return await this.http.signedRequest(url, payload === null ? null : { ...payload }, {
        kid: options.kid ?? null,
        includeExternalAccountBinding: options.eab !== undefined,
      });
    } finally {
      // The HMAC key stays only as long as the request that needs it.
      if (options.eab) this.http.externalAccountBinding = {};
    }
  }

  /** A JWS with this key as `jwk` and no nonce: the inner object of a key change (RFC 8555 7.3.5). */
  signDetached(url: string, payload: Record<string, unknown>): JwsBody {
    return this.http.createSignedBody(url, payload);
  }
}
