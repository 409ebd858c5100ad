/**
 * What an agent presents to one tls-alpn-01 handshake for a name another node ordered (agents.ts
 * put the key authorization in the shared store): the SNI name in, a challenge certificate's TLS
 * context or a refusal out, the store behind one lookup by name. No socket here, so every rule is
 * tested with fakes; fleet/tls-alpn-01-server.ts only calls it once a client offered acme-tls/1.
 *
 * A certificate costs a key generation and a signature (a few ms of CPU), so nothing a stranger
 * sends may make them without bound:
 * - a name that is no DNS name costs nothing, not even a lookup; at most `pendingLookups` lookups
 *   wait on the store at once, so a flood of handshakes cannot pile queries up on it;
 * - a certificate is made only for an answer the store holds (only a runner can put one there),
 *   and kept per name + key authorization for `cacheTtlMs`, the few seconds a validation takes
 *   (a CA asks from several vantage points): repeats of one handshake reuse it;
 * - at most `cacheEntries` are kept (the oldest leave first), and new certificates are made at
 *   most `perSecond` a second after a burst of `burst` (a token bucket): a scanner replaying live
 *   names costs bounded CPU; a refused validator is the CA's to retry.
 * Nothing is remembered about names without an answer: a runner may put one a moment later.
 */
import { describeError } from '../../errors.js';
import type { ChallengeToken } from '../../store/ports.js';

export interface TlsAlpnAnswerLimits {
  cacheTtlMs: number;
  cacheEntries: number;
  perSecond: number;
  burst: number;
  pendingLookups: number;
}

export const DEFAULT_LIMITS: TlsAlpnAnswerLimits = { cacheTtlMs: 10_000, cacheEntries: 256, perSecond: 20, burst: 40, pendingLookups: 32 };

export type TlsAlpnRefusal = 'not-a-name' | 'no-answer' | 'store' | 'busy' | 'rate' | 'failed';

export type TlsAlpnAnswer<C> =
  | { ok: true; context: C; name: string; /** Made for this handshake, or reused from the cache. */ made: boolean }
  /** `note` says why, for a debug log: never the key authorization. */
  | { ok: false; reason: TlsAlpnRefusal; name: string; note: string };

export interface TlsAlpnAnswersOptions<C> {
  /** One indexed read of the store: the newest unexpired tls-alpn-01 answer for the name (ChallengeTokens.forIdentifier). */
  lookup: (name: string) => Promise<ChallengeToken | undefined>;
  /** The RFC 8737 challenge certificate as the TLS server uses it (a fresh ECDSA P-256 key each time). */
  makeContext: (name: string, keyAuthorization: string) => Promise<C>;
  /** Epoch ms. */
  now?: () => number;
  limits?: Partial<TlsAlpnAnswerLimits>;
}

/** What SNI may name (RFC 6066: a host name, no trailing dot), in lower case. */
const NAME = /^(?=.{1,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

interface Cached<C> {
  context: Promise<C>;
  expiresAt: number;
}

export class TlsAlpnAnswers<C> {
  private readonly limits: TlsAlpnAnswerLimits;
  private readonly now: () => number;
  /** name + "\n" + key authorization -> its certificate's context; insertion order is age. */
  private readonly cache = new Map<string, Cached<C>>();
  private pending = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly options: TlsAlpnAnswersOptions<C>) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.tokens = this.limits.burst;
    this.refilledAt = this.now();
  }

  /** Certificates kept (for tests and metrics). */
  get cached(): number {
    return this.cache.size;
  }

  async answer(servername: string): Promise<TlsAlpnAnswer<C>> {
    const name = servername.toLowerCase();
    const refuse = (reason: TlsAlpnRefusal, note: string): TlsAlpnAnswer<C> => ({ ok: false, reason, name, note });
    if (!NAME.test(name)) return refuse('not-a-name', `${JSON.stringify(servername.slice(0, 64))} is not a DNS name`);
    if (this.pending >= this.limits.pendingLookups) return refuse('busy', `${name}: ${this.pending} lookups already wait on the store`);
    let answer: ChallengeToken | undefined;
    this.pending++;
    try {
      answer = await this.options.lookup(name);
    } catch (err) {
      return refuse('store', `${name}: the store lookup failed: ${describeError(err)}`);
    } finally {
      this.pending--;
    }
    // The type and name are the query's; checked again so a store that ignored them cannot mix answers up.
    if (answer === undefined || answer.type !== 'tls-alpn-01' || answer.identifier !== name) return refuse('no-answer', `${name}: no tls-alpn-01 answer in the store (none, or expired)`);
    const key = `${name}\n${answer.keyAuthorization}`;
    const now = this.now();
    let entry = this.cache.get(key);
    let made = false;
    if (entry === undefined || entry.expiresAt <= now) {
      if (!this.take(now)) return refuse('rate', `${name}: more than ${this.limits.perSecond} challenge certificates a second asked for`);
      entry = { context: this.options.makeContext(name, answer.keyAuthorization), expiresAt: now + this.limits.cacheTtlMs };
      this.remember(key, entry, now);
      made = true;
    }
    try {
      return { ok: true, context: await entry.context, name, made };
    } catch (err) {
      if (this.cache.get(key) === entry) this.cache.delete(key);
      return refuse('failed', `${name}: the challenge certificate could not be made: ${describeError(err)}`);
    }
  }

  private remember(key: string, entry: Cached<C>, now: number): void {
    this.cache.delete(key);
    this.cache.set(key, entry);
    for (const [k, e] of this.cache) {
      if (this.cache.size <= this.limits.cacheEntries && e.expiresAt > now) break;
      this.cache.delete(k);
    }
  }

  /** One certificate from the bucket, refilled at `perSecond` up to `burst`. */
  private take(now: number): boolean {
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) * this.limits.perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
