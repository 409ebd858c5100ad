/**
 * dns-01 through RFC 2136 dynamic updates (BIND, Knot, PowerDNS...), signed with TSIG: add the TXT
 * record `_acme-challenge.<domain>.`, wait until every authoritative server shows it, and on
 * cleanup delete exactly that record (another value at the same name, the wildcard's or the base
 * domain's, stays).
 */
import { ChallengeError } from '../errors.js';
import { DnsClient, DnsUpdateRejected } from '../dns/client.js';
import { waitForTxt } from '../dns/propagation.js';
import type { DnsServer } from '../dns/transport.js';
import type { TsigKey } from '../dns/tsig.js';
import { absoluteName } from '../dns/wire.js';
import { authoritativeServers, challengeRecordName, findZone } from '../dns/zone.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface Rfc2136SolverOptions {
  server: DnsServer;
  /** The zone to update; found by an SOA query when omitted. */
  zone?: string;
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
  /** Record name -> zone, so a name's zone is looked up once. */
  private readonly zones = new Map<string, Promise<string>>();
  /** Records we asked the server to add (or may have: the answer can be lost after it applied). */
  private readonly placed = new Map<string, Placed>();

  constructor(options: Rfc2136SolverOptions) {
    this.options = options;
    this.client = new DnsClient(options.server, options.tsig ? { timeoutMs: options.timeoutMs, tsig: options.tsig } : { timeoutMs: options.timeoutMs });
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('dns-01', task);
    const name = challengeRecordName(task.domain);
    const zone = await this.zoneOf(name, context.signal);
    if (name !== zone && !name.endsWith(`.${zone}`)) {
      throw new ChallengeError(`${name} is not inside zone ${zone}`, { hint: 'check `zone:`' });
    }
    const record = { zone, name, value: task.dnsTxtValue };
    // Remembered before sending: without an answer we cannot know the update did not apply.
    this.placed.set(taskKey(task), record);
    try {
      await this.client.update(zone, [{ action: 'add', name, ttl: this.options.ttl, txt: task.dnsTxtValue }], context.signal);
    } catch (err) {
      if (err instanceof DnsUpdateRejected) this.placed.delete(taskKey(task));
      throw err;
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

  private zoneOf(name: string, signal: AbortSignal): Promise<string> {
    if (this.options.zone !== undefined) return Promise.resolve(absoluteName(this.options.zone));
    let zone = this.zones.get(name);
    if (!zone) {
      zone = findZone(this.client, name, signal);
      this.zones.set(name, zone);
      zone.catch(() => this.zones.delete(name));
    }
    return zone;
  }
}
