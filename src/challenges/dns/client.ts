/**
 * Talks to one DNS server: plain queries (no recursion: we ask authoritative servers, except a
 * client made with `recursive` for a resolver) and TSIG-signed RFC 2136 updates whose failures are
 * turned into messages that say what to fix.
 */
import { randomInt } from 'node:crypto';
import { ChallengeError } from '../errors.js';
import { exchange, formatServer, type DnsServer } from './transport.js';
import { signRequest, verifyResponse, type TsigKey } from './tsig.js';
import { decodeMessage, encodeQuery, encodeUpdate, headerRcode, messageId, rcodeName, type DecodedMessage, type UpdateChange } from './wire.js';

/** The server answered and said no (an RCODE or a TSIG error): the update certainly did not apply. */
export class DnsUpdateRejected extends ChallengeError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, options);
    this.name = 'DnsUpdateRejected';
  }
}

export interface QueryResult {
  rcode: string;
  message: DecodedMessage;
}

export class DnsClient {
  readonly server: DnsServer;
  private readonly timeoutMs: number;
  private readonly tsig: TsigKey | undefined;
  /** Ask the server to recurse (a resolver); off for authoritative servers. */
  readonly recursive: boolean;

  constructor(server: DnsServer, options: { timeoutMs: number; tsig?: TsigKey; recursive?: boolean }) {
    this.server = server;
    this.timeoutMs = options.timeoutMs;
    this.tsig = options.tsig;
    this.recursive = options.recursive ?? false;
  }

  get label(): string {
    return formatServer(this.server);
  }

  /** `timeoutMs` lowers this client's limit for one query (a propagation wait near its deadline). */
  async query(name: string, type: 'SOA' | 'TXT' | 'NS' | 'A' | 'AAAA', signal: AbortSignal, timeoutMs = this.timeoutMs): Promise<QueryResult> {
    const request = encodeQuery(randomInt(0, 65536), name, type, this.recursive);
    const response = await exchange(this.server, request, { timeoutMs: Math.min(timeoutMs, this.timeoutMs), signal });
    const message = decodeMessage(response);
    return { rcode: rcodeName(headerRcode(response)), message };
  }

  /** Apply `changes` to `zone`; resolves on NOERROR, throws a ChallengeError naming the cause otherwise. */
  async update(zone: string, changes: UpdateChange[], signal: AbortSignal): Promise<void> {
    const unsigned = encodeUpdate(randomInt(0, 65536), zone, changes);
    const signed = this.tsig ? signRequest(unsigned, this.tsig) : undefined;
    const response = await exchange(this.server, signed?.message ?? unsigned, { timeoutMs: this.timeoutMs, signal });
    if (messageId(response) !== messageId(unsigned)) throw new ChallengeError(`${this.label} answered the update with another message ID`);

    if (this.tsig && signed) {
      let tsig;
      try {
        tsig = verifyResponse(response, this.tsig, signed.mac);
      } catch (err) {
        throw new ChallengeError(`the answer of ${this.label} to our update failed TSIG verification: ${(err as Error).message}`, { cause: err });
      }
      if (tsig.status === 'error') throw this.tsigRejected(tsig.errorName);
      // An unsigned refusal is still worth reporting as such; an unsigned success is not believed.
      if (tsig.status === 'unsigned' && headerRcode(response) === 0) {
        throw new ChallengeError(`${this.label} answered our signed update without a TSIG signature; not trusting it`);
      }
    }
    const rcode = rcodeName(headerRcode(response));
    if (rcode !== 'NOERROR') throw this.updateFailed(zone, rcode);
  }

  private tsigRejected(errorName: string): DnsUpdateRejected {
    const key = this.tsig as TsigKey;
    const hints: Record<string, string> = {
      BADKEY: `the server has no key named "${key.name}" with algorithm ${key.algorithm}: check tsig.name and tsig.algorithm against its key clause`,
      BADSIG: `the secret of key "${key.name}" (or its algorithm) differs from the server's: check the secret`,
      BADTIME: 'our clock and the server clock differ by more than 5 minutes',
    };
    return new DnsUpdateRejected(`TSIG key rejected by ${this.label}: ${errorName}`, { hint: hints[errorName] });
  }

  private updateFailed(zone: string, rcode: string): DnsUpdateRejected {
    const who = this.tsig ? `key "${this.tsig.name}"` : 'unsigned updates';
    switch (rcode) {
      case 'REFUSED':
        return new DnsUpdateRejected(`${this.label} refused the update of zone ${zone} (REFUSED)`, {
          hint: `allow ${who} to update the zone (BIND: allow-update or update-policy), or check it is the primary for ${zone}`,
        });
      case 'NOTAUTH':
        return new DnsUpdateRejected(`${this.label} is not authoritative for zone ${zone} (NOTAUTH)`, {
          hint: 'set `zone:` to the zone that holds the _acme-challenge name, or point `server:` at its primary',
        });
      case 'NOTZONE':
        return new DnsUpdateRejected(`the _acme-challenge name is not inside zone ${zone} (NOTZONE, from ${this.label})`, { hint: 'check `zone:`' });
      case 'SERVFAIL':
        return new DnsUpdateRejected(`${this.label} failed to apply the update to zone ${zone} (SERVFAIL)`, {
          hint: "see the server's log (a journal it cannot write, a zone not loaded)",
        });
      default:
        return new DnsUpdateRejected(`${this.label} answered ${rcode} to the update of zone ${zone}`);
    }
  }
}
