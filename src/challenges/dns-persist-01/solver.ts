/**
 * dns-persist-01 as a solver: present() checks that every authoritative server serves a record the
 * CA will accept for this account (check.ts), so a missing or wrong record is a clear error before
 * the challenge is answered. Without `publish:` it changes nothing in DNS (the record is published
 * once, by the user or their DNS operator). With a DNS provider in `publish:`, a record the servers
 * do not serve is added through it (beside any other, never replacing one) and awaited. cleanup()
 * never deletes anything: the record is meant to stay for the next order.
 */
import { ChallengeError } from '../errors.js';
import type { DnsProviderClient } from '../dns-providers/descriptor.js';
import type { SystemResolvers } from '../dns/resolvers.js';
import type { RecordLookupOptions } from '../dns/visibility.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';
import { checkPersistRecord, PersistRecordNotAccepted, type PersistCheck } from './check.js';
import { accountUriFor, normalizeDomainName, persistRecordValue } from './record.js';

export interface PersistPublisher {
  /** The provider's name, for messages. */
  provider: string;
  client: DnsProviderClient;
  ttl: number;
  /** How long to wait for the authoritative servers once the provider took the record. */
  waitMs: number;
  /** The config's choices for the published record. */
  issuerDomainName?: string;
  wildcard: boolean;
  persistUntil?: Date;
}

export interface PersistSolverOptions {
  lookup: RecordLookupOptions;
  systemResolvers?: SystemResolvers;
  /** The clock persistUntil is compared with. */
  now?: () => Date;
  publish?: PersistPublisher;
}

const relative = (name: string) => name.replace(/\.$/, '');

export class DnsPersistSolver implements ChallengeSolver {
  readonly type = 'dns-persist-01' as const;
  private readonly options: PersistSolverOptions;
  /**
   * Record name and policy -> a publication under way or done: a wildcard and its base name share
   * one record when it is to carry policy=wildcard. A record without it does not authorise the
   * wildcard, so the wildcard publishes its own beside it.
   */
  private readonly publishing = new Map<string, Promise<void>>();

  constructor(options: PersistSolverOptions) {
    this.options = options;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    if (task.type !== 'dns-persist-01' || task.persist === undefined) {
      throw new ChallengeError(`a dns-persist-01 solver was given a ${task.type} challenge for ${task.domain}`);
    }
    const check = (waitMs: number): PersistCheck => ({
      domain: task.domain,
      wildcard: task.wildcard,
      binding: task.persist!,
      waitMs,
      lookup: this.options.lookup,
      systemResolvers: this.options.systemResolvers,
      signal: context.signal,
      logger: context.logger,
      now: this.options.now ?? (() => new Date()),
    });
    let found;
    try {
      found = await checkPersistRecord(check(0));
    } catch (err) {
      const publish = this.options.publish;
      if (!(err instanceof PersistRecordNotAccepted) || publish === undefined) throw err;
      await this.publishOnce(err, task, publish, context);
      found = await checkPersistRecord(check(publish.waitMs));
    }
    context.logger.info('dns-persist-01: the persistent record authorises this account', { domain: task.domain, name: found.name, servers: found.servers });
  }

  async cleanup(): Promise<void> {
    // Persistent by design: the record stays for the next order.
  }

  private publishOnce(missing: PersistRecordNotAccepted, task: ChallengeTask, publish: PersistPublisher, context: SolverContext): Promise<void> {
    const key = `${missing.recordName}\n${wildcardPolicy(task, publish)}`;
    let running = this.publishing.get(key);
    if (!running) {
      running = this.publishRecord(missing, task, publish, context);
      this.publishing.set(key, running);
      running.catch(() => this.publishing.delete(key));
    }
    return running;
  }

  /**
   * Adds our record through the provider. The order that got us here proves the account is valid at
   * the CA, which is what the draft asks before a third party publishes (section 4.5).
   */
  private async publishRecord(missing: PersistRecordNotAccepted, task: ChallengeTask, publish: PersistPublisher, context: SolverContext): Promise<void> {
    const binding = task.persist!;
    const issuer = publish.issuerDomainName === undefined ? binding.issuerDomainNames[0] : normalizeDomainName(publish.issuerDomainName);
    if (issuer === undefined || !binding.issuerDomainNames.includes(issuer)) {
      throw new ChallengeError(`dns-persist-01: issuerDomainName ${issuer ?? '(none)'} is not one of the CA's (${binding.issuerDomainNames.join(', ')})`, { hint: 'use one the CA names, or leave issuerDomainName out' });
    }
    const value = persistRecordValue({
      issuerDomainName: issuer,
      accountUri: accountUriFor(binding, task.domain),
      wildcard: wildcardPolicy(task, publish),
      ...(publish.persistUntil === undefined ? {} : { persistUntil: publish.persistUntil }),
    });
    const name = relative(missing.recordName);
    const zone = await publish.client.findZone(name, context.signal);
    await publish.client.createTxt({ zone, name, value, ttl: publish.ttl }, context.signal);
    context.logger.info(`dns-persist-01: published TXT ${name} through ${publish.provider} (${missing.reason === 'absent' ? 'there was none' : `the one there was not accepted: ${missing.reason}`})`, { name, zone: zone.name, value });
  }
}

/** Whether the record published for `task` carries policy=wildcard: configured, or needed by a wildcard name. */
function wildcardPolicy(task: ChallengeTask, publish: PersistPublisher): boolean {
  return publish.wildcard || task.wildcard;
}
