/**
 * dns-01 through any DNS provider of the registry: present() finds where the record is read (the
 * challenge name, or the end of its CNAME chain when the challenge is delegated, as a CA's resolver
 * follows it), asks the provider for the zone that holds it, adds exactly our TXT value, then waits
 * until every authoritative server of the zone serves it (the same path as exec hooks:
 * dns/visibility.ts). cleanup() deletes exactly what was placed, also after a failed present, and
 * is not bound to the run's signal: a cancelled run must still take its records away.
 * Every error names the provider, the record and, once known, the zone.
 */
import { CertfleetError } from '../../errors.js';
import { ChallengeError, formatMs } from '../errors.js';
import type { SystemResolvers } from '../dns/resolvers.js';
import { openRecordLookup, waitUntilVisible, type RecordLookupOptions } from '../dns/visibility.js';
import { challengeRecordName, locateRecord } from '../dns/zone.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';
import type { DnsProviderClient, DnsProviderDescriptor, PlacedTxtRecord } from './descriptor.js';
import { DnsProviderError } from './http.js';

export interface ProviderDnsSolverOptions {
  descriptor: DnsProviderDescriptor;
  client: DnsProviderClient;
  ttl: number;
  /** Follow a delegated _acme-challenge CNAME (default true); false writes at the challenge name itself. */
  followCname?: boolean;
  /** Where the zone's name servers are found and how long to wait for them (config server:/resolver:, propagationTimeout, pollInterval). */
  lookup: RecordLookupOptions;
  systemResolvers?: SystemResolvers;
  /** The limit of one cleanup's API calls (default 60 s): it runs without the run's signal. */
  cleanupTimeoutMs?: number;
}

const DEFAULT_CLEANUP_TIMEOUT_MS = 60_000;

/** "_acme-challenge.example.com." -> "_acme-challenge.example.com" (the provider API's form). */
const relative = (name: string) => name.replace(/\.$/, '');

export class ProviderDnsSolver implements ChallengeSolver {
  readonly type = 'dns-01' as const;
  private readonly options: ProviderDnsSolverOptions;
  /** Records we asked the provider to add (or may have: an answer can be lost after the change applied). */
  private readonly placed = new Map<string, PlacedTxtRecord>();

  constructor(options: ProviderDnsSolverOptions) {
    this.options = options;
  }

  private get provider(): string {
    return this.options.descriptor.name;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('dns-01', task);
    const { signal, logger } = context;
    const asked = challengeRecordName(task.domain);
    const lookup = await openRecordLookup(this.options.lookup, this.options.systemResolvers);
    const located = await this.named(() => locateRecord(lookup.client, asked, signal, { followCname: this.options.followCname !== false }), signal, relative(asked), undefined, {
      hint: `check that server: or resolver: can see the domain's zone (on ${this.options.descriptor.title}); a delegated _acme-challenge CNAME is followed`,
    });
    const name = relative(located.name);
    const zone = await this.named(() => this.options.client.findZone(name, signal), signal, name, relative(located.zone));
    const key = taskKey(task);
    const request = { zone, name, value: task.dnsTxtValue, ttl: this.options.ttl };
    // Remembered before sending: without an answer we cannot know the change did not apply.
    this.placed.set(key, request);
    try {
      this.placed.set(key, await this.options.client.createTxt(request, signal));
    } catch (err) {
      // The API answered with a refusal: nothing was added.
      if (err instanceof DnsProviderError && err.status !== undefined) this.placed.delete(key);
      throw this.withNames(err, signal, name, zone.name);
    }
    logger.info('dns-01: TXT record added through the provider', { provider: this.provider, name, zone: zone.name });
    await this.named(
      () =>
        waitUntilVisible(lookup, {
          record: located,
          askedName: asked,
          value: task.dnsTxtValue,
          signal,
          logger,
          hint: `${this.options.descriptor.title} took the record but its name servers do not serve it yet: raise propagationTimeout (now ${formatMs(this.options.lookup.timeoutMs)}) if they are slow, or check that the zone is delegated to them`,
        }),
      signal,
      name,
      zone.name,
    );
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    const key = taskKey(task);
    const record = this.placed.get(key);
    if (!record) return;
    // Not bound to context.signal (a cancelled run still cleans up), but bounded by its own limit.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ChallengeError(`${this.provider}: deleting TXT ${record.name} in zone ${record.zone.name} took longer than ${formatMs(this.options.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS)}`)), this.options.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS);
    try {
      await this.named(() => this.options.client.deleteTxt(record, controller.signal), controller.signal, record.name, record.zone.name);
    } finally {
      clearTimeout(timer);
    }
    this.placed.delete(key);
    context.logger.info('dns-01: TXT record removed through the provider', { provider: this.provider, name: record.name, zone: record.zone.name });
  }

  private async named<T>(body: () => Promise<T>, signal: AbortSignal, name: string, zone: string | undefined, options: { hint?: string } = {}): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw this.withNames(err, signal, name, zone, options.hint);
    }
  }

  /** The error with the provider, the record and the zone in its message (added where missing); a cancellation as it is. */
  private withNames(err: unknown, signal: AbortSignal, name: string, zone: string | undefined, hint?: string): unknown {
    if (signal.aborted || !(err instanceof CertfleetError)) return err;
    const prefix = `${this.provider}: `;
    let message = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    const missing = [!message.includes(name) ? `TXT ${name}` : undefined, zone !== undefined && !message.includes(`zone ${zone}`) ? `zone ${zone}` : undefined].filter((m) => m !== undefined);
    if (missing.length > 0) message = `${message} (${missing.join(', ')})`;
    if (err instanceof DnsProviderError) return new DnsProviderError(this.provider, message, { status: err.status, hint: err.hint, cause: err });
    return new ChallengeError(`${prefix}${message}`, { hint: hint ?? err.hint, cause: err });
  }
}
