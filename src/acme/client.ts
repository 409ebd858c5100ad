/**
 * The ACME client the renewal code uses: one CA, one account key. Each method is one protocol
 * step (RFC 8555) returning plain data or throwing a typed error from errors.ts; orchestration
 * (which challenge, which solver, when to finalize) lives in issue.ts and the renewal code.
 *
 * Built on acme-client's signing (signer.ts) over our own transport (transport.ts); adds what
 * acme-client lacks: ARI (RFC 9773), profiles, revocation with the certificate's own key, key
 * rollover through our transport, fast polling, and problem documents kept as data.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { silentLogger, type Logger } from '../logger.js';
import { CertfleetError } from '../errors.js';
import { parseCertificate } from '../x509/certificate.js';
import { findPemBlocks, certificatePemTypes } from '../x509/pem.js';
import { certificateIdentifier, parseRenewalInfo, renewalInfoUrl, type RenewalInfo } from './ari.js';
import { parseDirectory, type AcmeDirectory, type DirectoryMeta } from './directory.js';
import { AcmeError, AcmeOrderError, AcmeProblemError, AcmeValidationError, shortProblemType } from './errors.js';
import { CA_REQUEST_CONCURRENCY, eachBounded } from './fan-out.js';
import { parseRetryAfter, toProblem } from './http-values.js';
import { jwkThumbprint } from './key-authorization.js';
import { pollUntil, type PollTiming } from './poll.js';
import { readPrivateKey } from './private-key.js';
import { checkProfile } from './profiles.js';
import {
  parseAuthorization,
  parseOrder,
  type AcmeAuthorization,
  type AcmeOrder,
  type ChallengeStatus,
  type NewOrder,
} from './resources.js';
import { AcmeSigner, type ExternalAccountBinding } from './signer.js';
import { AcmeTransport, type AcmeHttpResponse, type TransportStats } from './transport.js';

export interface AcmeClientOptions {
  /** Resolved directory URL (see resolveDirectoryUrl for presets). */
  directoryUrl: string;
  /** PEM private key of the account (EC P-256/P-384 or RSA), read once here for the client's life. */
  accountKeyPem: string;
  /** The account's URL when already known (from the state directory); ensureAccount() finds it otherwise. */
  accountUrl?: string;
  /** PEM CA certificates trusted for the ACME server's HTTPS, in addition to the system's. */
  caBundlePem?: string;
  /** Deadline of one HTTP request. Default 30 s. */
  requestTimeoutMs?: number;
  /** badNonce answers retried per signed request (RFC 8555 6.5). Default 30 (see DEFAULT_BAD_NONCE_RETRIES). */
  badNonceRetries?: number;
  /** Polling of authorizations and orders. */
  poll?: Partial<PollTiming>;
  logger?: Logger;
  userAgent?: string;
}

export interface AccountRequest {
  /** Email addresses (`mailto:` added) or contact URIs. */
  contact?: string[];
  termsAgreed: boolean;
  /** External Account Binding, for CAs that require it (ZeroSSL, Google, private CAs). */
  eab?: ExternalAccountBinding;
}

export interface AccountInfo {
  url: string;
  status: string;
  contact: string[];
  /** True when ensureAccount() registered it just now. */
  created: boolean;
}

export interface OrderRequest {
  /** DNS names (`*.example.com` for a wildcard) or IP addresses. */
  identifiers: string[];
  /** A profile from the directory's meta.profiles. */
  profile?: string;
  /** ARI identifier of the certificate this order renews (RFC 9773 5). Dropped when the CA has no ARI. */
  replaces?: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** RFC 5280 5.3.1 reason codes a subscriber may use (others are the CA's to give). */
export const revocationReasons = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;
export type RevocationReason = keyof typeof revocationReasons;

export interface RevokeOptions {
  reason?: RevocationReason;
  /**
   * PEM private key of the certificate: sign the request with it (as `jwk`) instead of the
   * account key — for a certificate another account issued, or a compromised key (RFC 8555 7.6).
   */
  withKey?: string;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * A badNonce answer carries a fresh nonce, so a retry costs one POST and no wait; a rejection says
 * nothing about the request. At a rejection rate p a request fails with probability p^(retries+1):
 * at 10 retries and 50% (Pebble's stress setting) that is 2^-11, one signed request in 2,048, about
 * one issuance in 230 (~9 signed requests each). At 30 it is 2^-31 (~5e-10 per request), and a CA
 * that rejects every nonce still ends after 31 quick POSTs. (lego retries badNonce for up to 20 s.)
 */
const DEFAULT_BAD_NONCE_RETRIES = 30;

function normaliseContact(contact: string[] | undefined): string[] {
  return (contact ?? []).map((c) => (/^[a-z][a-z0-9+.-]*:/i.test(c) ? c : `mailto:${c}`));
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function headerValue(resp: AcmeHttpResponse, name: string): string | undefined {
  const value = resp.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function firstCertificateDer(pem: string): Buffer {
  const block = findPemBlocks(pem).find((b) => certificatePemTypes.has(b.type) && b.der.length > 0);
  if (!block) throw new AcmeError('no PEM certificate found in the text given', { code: 'acme-certificate' });
  return block.der;
}

export class AcmeClient {
  readonly directoryUrl: string;
  private readonly transport: AcmeTransport;
  private readonly logger: Logger;
  private readonly badNonceRetries: number;
  private readonly pollTiming: Partial<PollTiming>;
  private signer: AcmeSigner;
  private thumbprint: string;
  private account: string | undefined;
  private directoryCache: AcmeDirectory | undefined;
  private rawDirectory: unknown;
  /** Kept to register again when the CA has forgotten the account (Pebble restarts; a CA reset). */
  private lastAccountRequest: AccountRequest | undefined;

  constructor(options: AcmeClientOptions) {
    this.directoryUrl = options.directoryUrl;
    this.logger = options.logger ?? silentLogger;
    this.badNonceRetries = options.badNonceRetries ?? DEFAULT_BAD_NONCE_RETRIES;
    this.pollTiming = options.poll ?? {};
    this.transport = new AcmeTransport({
      caBundlePem: options.caBundlePem,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      userAgent: options.userAgent ?? 'certfleet',
      logger: this.logger,
    });
    this.signer = this.makeSigner(readPrivateKey(options.accountKeyPem, 'the account key'));
    this.thumbprint = jwkThumbprint(this.signer.jwk());
    this.account = options.accountUrl;
  }

  /** The account URL, once known. */
  get accountUrl(): string | undefined {
    return this.account;
  }

  /** RFC 8555 8.1 JWK thumbprint of the account key (base64url). */
  get accountKeyThumbprint(): string {
    return this.thumbprint;
  }

  stats(): TransportStats {
    return this.transport.stats();
  }

  /** Release kept-alive connections. The client must not be used afterwards. */
  close(): void {
    this.transport.close();
  }

  async directory(): Promise<AcmeDirectory> {
    if (this.directoryCache) return this.directoryCache;
    const raw = await this.step(`reading the ACME directory ${this.directoryUrl}`, () => this.signer.directory());
    this.directoryCache = parseDirectory(raw, this.directoryUrl);
    this.rawDirectory = raw;
    return this.directoryCache;
  }

  async directoryMeta(): Promise<DirectoryMeta> {
    return (await this.directory()).meta;
  }

  /**
   * The account of this key, if the CA has one (newAccount with onlyReturnExisting, RFC 8555
   * 7.3.1); never registers. Remembers its URL.
   */
  async findAccount(): Promise<AccountInfo | undefined> {
    const dir = await this.directory();
    const lookup = await this.step('looking up the ACME account', () => this.signer.post(dir.newAccount, { onlyReturnExisting: true }));
    if (lookup.status === 200) {
      this.account = this.location(lookup, dir.newAccount);
      this.logger.debug('ACME account found', { url: this.account });
      return this.accountFrom(lookup.data, false);
    }
    const problem = this.problem(lookup, 'looking up the account', dir.newAccount);
    if (problem.type !== 'accountDoesNotExist') throw problem;
    return undefined;
  }

  /**
   * Find the account of this key, or register it (onlyReturnExisting first, so a lost account URL
   * is recovered without creating a second account). Updates the contact when it changed.
   */
  async ensureAccount(request: AccountRequest): Promise<AccountInfo> {
    const dir = await this.directory();
    this.lastAccountRequest = request;
    const contact = normaliseContact(request.contact);
    const found = await this.findAccount();
    if (found) {
      if (request.contact !== undefined && !sameSet(found.contact, contact)) {
        const updated = await this.updateAccount({ contact }, 'updating the account contact');
        this.logger.info('ACME account contact updated', { url: this.account });
        return updated;
      }
      return found;
    }

    const payload: Record<string, unknown> = { termsOfServiceAgreed: request.termsAgreed };
    if (contact.length > 0) payload.contact = contact;
    const created = await this.step('registering the ACME account', () =>
      this.signer.post(dir.newAccount, payload, request.eab ? { eab: request.eab } : {}),
    );
    if (created.status !== 200 && created.status !== 201) {
      const refused = this.problem(created, 'registering the account', dir.newAccount);
      if (request.eab && refused.type === 'unauthorized') {
        throw new AcmeProblemError('registering the account', dir.newAccount, created.status, refused.problem, undefined,
          'the CA did not accept the External Account Binding: check the EAB kid and HMAC key (they are single-use at some CAs)');
      }
      throw refused;
    }
    this.account = this.location(created, dir.newAccount);
    this.logger.info('ACME account registered', { url: this.account, eab: request.eab !== undefined });
    return this.accountFrom(created.data, created.status === 201);
  }

  async accountInfo(): Promise<AccountInfo> {
    const url = this.requireAccount();
    const resp = await this.postAsAccount(url, null, 'reading the account');
    this.expect(resp, [200], 'reading the account', url);
    return this.accountFrom(resp.data, false);
  }

  /** Replace the account key (RFC 8555 7.3.5). The client signs with the new key afterwards. */
  async rolloverKey(newKeyPem: string): Promise<void> {
    const dir = await this.directory();
    if (!dir.keyChange) throw new AcmeError(`the CA at ${this.directoryUrl} does not offer key rollover (no keyChange in its directory)`);
    const accountUrl = this.requireAccount();
    const next = this.makeSigner(readPrivateKey(newKeyPem, 'the new account key'));
    const inner = next.signDetached(dir.keyChange, { account: accountUrl, oldKey: this.signer.jwk() });
    const resp = await this.postAsAccount(dir.keyChange, { ...inner }, 'rolling over the account key');
    this.expect(resp, [200], 'the account key rollover', dir.keyChange);
    this.signer = next;
    this.thumbprint = jwkThumbprint(next.jwk());
    this.logger.info('ACME account key rolled over', { url: accountUrl });
  }

  /** Deactivate the account for good (RFC 8555 7.3.6). */
  async deactivateAccount(): Promise<AccountInfo> {
    const info = await this.updateAccount({ status: 'deactivated' }, 'deactivating the account');
    this.logger.info('ACME account deactivated', { url: info.url });
    return info;
  }

  /** Create an order and fetch its authorizations, each challenge with its ChallengeTask. */
  async order(request: OrderRequest): Promise<NewOrder> {
    const dir = await this.directory();
    if (request.profile !== undefined) checkProfile(dir.meta, request.profile, this.directoryUrl);
    const payload: Record<string, unknown> = {
      identifiers: request.identifiers.map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value })),
    };
    if (request.profile !== undefined) payload.profile = request.profile;
    if (request.replaces !== undefined) {
      // `replaces` names a certificate in the CA's ARI; a CA without ARI has nothing to match it to.
      if (dir.renewalInfo) payload.replaces = request.replaces;
      else this.logger.debug('CA has no ARI: not sending replaces', { replaces: request.replaces });
    }

    let resp = await this.postAsAccount(dir.newOrder, payload, 'creating the order');
    if (this.isProblem(resp, 'accountDoesNotExist') && this.lastAccountRequest) {
      this.logger.warn('the CA has forgotten the ACME account; registering again', { url: this.account });
      this.account = undefined;
      await this.ensureAccount(this.lastAccountRequest);
      resp = await this.postAsAccount(dir.newOrder, payload, 'creating the order');
    }
    if (payload.replaces !== undefined && this.refusedReplaces(resp)) {
      // RFC 9773 5: the CA checks `replaces` (same account, a shared identifier, not already
      // replaced by a finalized order) and rejects the whole order when a check fails, with
      // alreadyReplaced (409), malformed, or its own type. `replaces` is a hint for the CA's
      // bookkeeping, never worth a failed renewal: order once more without it.
      const refused = this.problem(resp, 'the order with replaces', dir.newOrder);
      this.logger.warn(`the CA refused the order's replaces (${refused.problem.detail ?? refused.type}); ordering again without it`, { replaces: request.replaces, type: refused.type, status: resp.status });
      delete payload.replaces;
      resp = await this.postAsAccount(dir.newOrder, payload, 'creating the order');
    }
    this.expect(resp, [200, 201], 'creating the order', dir.newOrder);
    const order = parseOrder(resp.data, this.location(resp, dir.newOrder), this.retryAfter(resp));
    // Bounded: an order can hold hundreds of authorizations (10,000 once ran out of file descriptors).
    const authorizations = await eachBounded(order.authorizationUrls, CA_REQUEST_CONCURRENCY, (url) => this.authorization(url));
    this.logger.debug('ACME order created', { url: order.url, identifiers: order.identifiers, status: order.status });
    return { ...order, authorizations };
  }

  async authorization(url: string): Promise<AcmeAuthorization> {
    const resp = await this.postAsAccount(url, null, 'reading an authorization');
    this.expect(resp, [200], 'reading an authorization', url);
    const meta = (await this.directory()).meta;
    const persist =
      this.account === undefined
        ? undefined
        : {
            accountUrl: this.account,
            ...(meta.accountHashPrefix === undefined ? {} : { accountHashPrefix: meta.accountHashPrefix }),
            ...(meta.issuerDomainNames === undefined ? {} : { directoryIssuerDomainNames: meta.issuerDomainNames }),
            caaIdentities: meta.caaIdentities,
          };
    return parseAuthorization(resp.data, url, this.thumbprint, this.retryAfter(resp), persist);
  }

  async getOrder(url: string): Promise<AcmeOrder> {
    const resp = await this.postAsAccount(url, null, 'reading the order');
    this.expect(resp, [200], 'reading the order', url);
    return parseOrder(resp.data, url, this.retryAfter(resp));
  }

  /** Tell the CA a challenge is ready to be validated (RFC 8555 7.5.1). */
  async answer(challengeUrl: string): Promise<{ status: ChallengeStatus }> {
    const resp = await this.postAsAccount(challengeUrl, {}, 'answering a challenge');
    this.expect(resp, [200], 'answering a challenge', challengeUrl);
    const status = (resp.data as { status?: unknown } | null)?.status;
    return { status: (typeof status === 'string' ? status : 'pending') as ChallengeStatus };
  }

  /** Poll until the authorization is no longer pending; anything but valid throws AcmeValidationError. */
  async waitForAuthorization(url: string, options: WaitOptions = {}): Promise<AcmeAuthorization> {
    const authz = await pollUntil(
      'authorization',
      url,
      async () => {
        const value = await this.authorization(url);
        return { value, status: value.status, done: value.status !== 'pending', retryAfterSeconds: value.retryAfterSeconds };
      },
      { timing: this.timing(options), signal: options.signal },
    );
    if (authz.status !== 'valid') {
      const failed = authz.challenges.find((c) => c.status === 'invalid' || c.error !== undefined);
      throw new AcmeValidationError(authz.wildcard ? `*.${authz.identifier}` : authz.identifier, authz.status, failed?.type, failed?.error);
    }
    return authz;
  }

  /** Poll until the order is neither pending nor processing (ready or valid); invalid throws AcmeOrderError. */
  async waitForOrder(url: string, options: WaitOptions & { first?: AcmeOrder } = {}): Promise<AcmeOrder> {
    const settled = (order: AcmeOrder) => ({
      value: order,
      status: order.status,
      done: order.status !== 'pending' && order.status !== 'processing',
      retryAfterSeconds: order.retryAfterSeconds,
    });
    const order = await pollUntil('order', url, async () => settled(await this.getOrder(url)), {
      timing: this.timing(options),
      signal: options.signal,
      ...(options.first ? { first: settled(options.first) } : {}),
    });
    if (order.status === 'invalid') throw new AcmeOrderError(url, order.error);
    return order;
  }

  /** Send the CSR (DER). The order comes back processing or valid; waitForOrder() takes it to valid. */
  async finalize(order: Pick<AcmeOrder, 'url' | 'finalizeUrl'>, csrDer: Uint8Array): Promise<AcmeOrder> {
    const resp = await this.postAsAccount(order.finalizeUrl, { csr: Buffer.from(csrDer).toString('base64url') }, 'finalizing the order');
    this.expect(resp, [200], 'finalizing the order', order.finalizeUrl);
    return parseOrder(resp.data, order.url, this.retryAfter(resp));
  }

  /** The certificate chain of a valid order, PEM, leaf first. */
  async downloadCertificate(order: Pick<AcmeOrder, 'url' | 'status' | 'certificateUrl'>): Promise<string> {
    if (!order.certificateUrl) {
      throw new AcmeError(`order ${order.url} has no certificate yet (status ${order.status}); wait for it to become valid`);
    }
    const resp = await this.postAsAccount(order.certificateUrl, null, 'downloading the certificate');
    this.expect(resp, [200], 'downloading the certificate', order.certificateUrl);
    const pem = typeof resp.data === 'string' ? resp.data : '';
    if (!findPemBlocks(pem).some((b) => certificatePemTypes.has(b.type) && b.der.length > 0)) {
      throw new AcmeError(`the CA's answer at ${order.certificateUrl} holds no PEM certificate`, { code: 'acme-malformed' });
    }
    return pem.endsWith('\n') ? pem : `${pem}\n`;
  }

  /**
   * Revoke a certificate (RFC 8555 7.6), signed by the account, or by the certificate's own key
   * (`withKey`), which acme-client has no API for: the request is signed with that key as `jwk`.
   */
  async revoke(certPem: string, options: RevokeOptions = {}): Promise<void> {
    const dir = await this.directory();
    if (!dir.revokeCert) throw new AcmeError(`the CA at ${this.directoryUrl} does not offer revocation (no revokeCert in its directory)`);
    const der = firstCertificateDer(certPem);
    const payload: Record<string, unknown> = { certificate: der.toString('base64url') };
    if (options.reason !== undefined) payload.reason = revocationReasons[options.reason];
    let resp: AcmeHttpResponse;
    if (options.withKey !== undefined) {
      const signer = this.certificateKeySigner(options.withKey, der);
      resp = await this.step('revoking the certificate', () => signer.post(dir.revokeCert!, payload));
    } else {
      resp = await this.postAsAccount(dir.revokeCert, payload, 'revoking the certificate');
    }
    this.expect(resp, [200], 'revoking the certificate', dir.revokeCert);
    this.logger.info('certificate revoked', { serial: parseCertificate(der).info.serialNumber, reason: options.reason ?? 'unspecified', signedBy: options.withKey ? 'certificate key' : 'account' });
  }

  /**
   * The CA's suggested renewal window for a certificate (RFC 9773), or undefined when the CA has
   * no ARI (Pebble 2.4, older CAs): the caller then renews on the lifetime schedule.
   */
  async renewalInfo(certPem: string): Promise<RenewalInfo | undefined> {
    const dir = await this.directory();
    if (!dir.renewalInfo) return undefined;
    const url = renewalInfoUrl(dir.renewalInfo, certificateIdentifier(firstCertificateDer(certPem)));
    const resp = await this.transport.request(url, 'get');
    this.expect(resp, [200], 'the renewal information request', url);
    return parseRenewalInfo(resp.data, resp.headers['retry-after']);
  }

  private makeSigner(key: KeyObject): AcmeSigner {
    const signer = new AcmeSigner({ directoryUrl: this.directoryUrl, key, transport: this.transport, badNonceRetries: this.badNonceRetries });
    if (this.rawDirectory !== undefined) signer.seedDirectory(this.rawDirectory);
    return signer;
  }

  /** A signer for the certificate's key, after checking the key is the certificate's. */
  private certificateKeySigner(keyPem: string, certDer: Buffer): AcmeSigner {
    const key = readPrivateKey(keyPem, 'the certificate key for revocation');
    const spkiSha256 = createHash('sha256').update(createPublicKey(key).export({ type: 'spki', format: 'der' })).digest('hex');
    if (spkiSha256 !== parseCertificate(certDer).info.publicKeyFingerprintSha256) {
      throw new AcmeError('the key given for revocation is not the certificate\'s key', { code: 'acme-key-mismatch' });
    }
    return this.makeSigner(key);
  }

  private timing(options: WaitOptions): Partial<PollTiming> {
    return options.timeoutMs === undefined ? this.pollTiming : { ...this.pollTiming, timeoutMs: options.timeoutMs };
  }

  private requireAccount(): string {
    if (!this.account) throw new AcmeError('no ACME account yet: ensureAccount() (certfleet account register) comes first', { code: 'acme-no-account' });
    return this.account;
  }

  private async updateAccount(payload: Record<string, unknown>, action: string): Promise<AccountInfo> {
    const url = this.requireAccount();
    const resp = await this.postAsAccount(url, payload, action);
    this.expect(resp, [200], action, url);
    return this.accountFrom(resp.data, false);
  }

  private postAsAccount(url: string, payload: Record<string, unknown> | null, action: string): Promise<AcmeHttpResponse> {
    const kid = this.requireAccount();
    return this.step(action, () => this.signer.post(url, payload, { kid }));
  }

  /** Run one protocol step; anything acme-client throws untyped becomes an AcmeError that says which step. */
  private async step<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof CertfleetError) throw err;
      throw new AcmeError(`${action} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private retryAfter(resp: AcmeHttpResponse): number | undefined {
    return parseRetryAfter(resp.headers['retry-after']);
  }

  private problem(resp: AcmeHttpResponse, action: string, url: string): AcmeProblemError {
    return new AcmeProblemError(action, url, resp.status, toProblem(resp.data, resp.status), this.retryAfter(resp));
  }

  /**
   * A newOrder that carried `replaces` and was refused for something an order without it may
   * pass: any 4xx problem but a rate limit (the same order without `replaces` would hit the same
   * limit, and lose the exemption renewals with `replaces` get) or a forgotten account (handled
   * before).
   */
  private refusedReplaces(resp: AcmeHttpResponse): boolean {
    if (resp.status < 400 || resp.status >= 500) return false;
    const type = shortProblemType(toProblem(resp.data, resp.status).type);
    return type !== 'rateLimited' && type !== 'accountDoesNotExist' && type !== 'badNonce';
  }

  private isProblem(resp: AcmeHttpResponse, type: string): boolean {
    return resp.status >= 400 && shortProblemType(toProblem(resp.data, resp.status).type) === type;
  }

  private expect(resp: AcmeHttpResponse, ok: number[], action: string, url: string): void {
    if (!ok.includes(resp.status)) throw this.problem(resp, action, url);
  }

  private location(resp: AcmeHttpResponse, requestUrl: string): string {
    const location = headerValue(resp, 'location');
    if (!location) throw new AcmeError(`the CA's answer at ${requestUrl} has no Location header`, { code: 'acme-malformed' });
    return new URL(location, requestUrl).href;
  }

  private accountFrom(body: unknown, created: boolean): AccountInfo {
    const data = (body ?? {}) as { status?: unknown; contact?: unknown };
    return {
      url: this.requireAccount(),
      status: typeof data.status === 'string' ? data.status : 'valid',
      contact: Array.isArray(data.contact) ? data.contact.filter((c): c is string => typeof c === 'string') : [],
      created,
    };
  }
}
