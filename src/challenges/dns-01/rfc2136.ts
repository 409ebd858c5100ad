/**
 * dns-01 through RFC 2136 dynamic updates (BIND, Knot, PowerDNS...), signed with TSIG: add the TXT
 * record `_acme-challenge.<domain>.`, wait until every authoritative server shows it, and on
 * cleanup delete exactly that record (another value at the same name, the wildcard's or the base
 * domain's, stays). A delegated challenge (`_acme-challenge.<domain>. CNAME <target>`) is followed
 * first, as the CA's resolver follows it: the record is added, awaited and deleted at the chain's
 * end, in the zone holding it, which is the zone the update is for.
 */
import { ChallengeError } from '../errors.js';
import { DnsClient, DnsUpdateRejected } from '../dns/client.js';
import { waitForTxt } from '../dns/propagation.js';
import type { DnsServer } from '../dns/transport.js';
import type { TsigKey } from '../dns/tsig.js';
import { ResolverClient } from '../dns/resolvers.js';
import { authoritativeServers, challengeRecordName, describeDelegation, locateRecord, type DnsQuerier, type LocatedRecord } from '../dns/zone.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface Rfc2136SolverOptions {
  server: DnsServer;
  /** The zone to update; found by an SOA query when omitted. Wins over the zone a CNAME chain leads to. */
  zone?: string;
  /** Follow a CNAME at `_acme-challenge.<domain>` to where the record goes (default true). */
  followCname?: boolean;
  /**
   * Resolvers that follow the CNAME chain and find the target's zone, for a challenge name whose
   * zone `server` does not serve (the domain's DNS elsewhere, the delegation target on `server`).
   * Without them both are asked of `server`. Updates always go to `server`.
   */
  resolvers?: DnsServer[];
  tsig?: TsigKey;
  ttl: number;
  /** One DNS request. */
  timeoutMs: number;
  propagationTimeoutMs: number;
  pollIntervalMs: number;
}

interface Placed {
  zone: string;
  name: string;
  value: string;
}

export class Rfc2136Solver implements ChallengeSolver {
  readonly type = 'dns-01' as const;
  private readonly client: DnsClient;
  private readonly options: Rfc2136SolverOptions;
  /** Where the chain is followed and zones are found: `server`, or the configured resolvers. */
  private readonly lookup: DnsQuerier;
  /** Asked name -> where its record goes, so a name's chain and zone are looked up once. */
  private readonly located = new Map<string, Promise<LocatedRecord>>();
  /** Records we asked the server to add (or may have: the answer can be lost after it applied). */
  private readonly placed = new Map<string, Placed>();

  constructor(options: Rfc2136SolverOptions) {
    this.options = options;
    this.client = new DnsClient(options.server, options.tsig ? { timeoutMs: options.timeoutMs, tsig: options.tsig } : { timeoutMs: options.timeoutMs });
    this.lookup = options.resolvers && options.resolvers.length > 0 ? new ResolverClient(options.resolvers, { timeoutMs: options.timeoutMs }) : this.client;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('dns-01', task);
    const asked = challengeRecordName(task.domain);
    const { name, zone, chain } = await this.locate(asked, context.signal);
    const delegated = chain.length > 1 ? ` (${describeDelegation({ name, zone, chain })})` : '';
    if (name !== zone && !name.endsWith(`.${zone}`)) {
      throw new ChallengeError(`${name} is not inside zone ${zone}${delegated}`, { hint: chain.length > 1 ? 'check `zone:`: it names the zone of the CNAME target, or leave it out to look it up' : 'check `zone:`' });
    }
    if (chain.length > 1) context.logger.info(`dns-01: ${describeDelegation({ name, zone, chain })}; updating zone ${zone}`, { asked, name, zone, server: this.client.label });
    const record = { zone, name, value: task.dnsTxtValue };
    // Remembered before sending: without an answer we cannot know the update did not apply.
    this.placed.set(taskKey(task), record);
    try {
      await this.client.update(zone, [{ action: 'add', name, ttl: this.options.ttl, txt: task.dnsTxtValue }], context.signal);
    } catch (err) {
      if (!(err instanceof DnsUpdateRejected)) throw err;
      this.placed.delete(taskKey(task));
      // A refusal of the delegation target's zone must say why that zone was chosen.
      throw delegated === '' ? err : new DnsUpdateRejected(`${err.message}${delegated}`, { hint: err.hint });
    }
    context.logger.info('dns-01: TXT record added', { name, zone, server: this.client.label });
    const servers = await authoritativeServers(this.client, zone, context.signal, context.logger);
    await waitForTxt({
      servers,
      name,
      value: task.dnsTxtValue,
      timeoutMs: this.options.propagationTimeoutMs,
      pollIntervalMs: this.options.pollIntervalMs,
      queryTimeoutMs: this.options.timeoutMs,
      signal: context.signal,
      logger: context.logger,
      ...(delegated === '' ? {} : { serversFrom: `the name servers of zone ${zone}${delegated}` }),
    });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    const key = taskKey(task);
    const record = this.placed.get(key);
    if (!record) return;
    // Not bound to context.signal: a cancelled run must still take its records away. Each DNS
    // request has its own time limit.
    const signal = new AbortController().signal;
    await this.client.update(record.zone, [{ action: 'delete', name: record.name, ttl: 0, txt: record.value }], signal);
    this.placed.delete(key);
    context.logger.info('dns-01: TXT record removed', { name: record.name, zone: record.zone, server: this.client.label });
  }

  private locate(asked: string, signal: AbortSignal): Promise<LocatedRecord> {
    let located = this.located.get(asked);
    if (!located) {
      located = locateRecord(this.lookup, asked, signal, { followCname: this.options.followCname ?? true, zone: this.options.zone });
      this.located.set(asked, located);
      located.catch(() => this.located.delete(asked));
    }
    return located;
  }
}
