/**
 * dns-01 through the operator's own script, with lego's exec-provider contract so existing hooks
 * work unchanged: `<command...> present <fqdn> <value>` and `<command...> cleanup <fqdn> <value>`,
 * fqdn = `_acme-challenge.<domain>.` (trailing dot). Run by the shared runner for operator programs
 * (src/process/run-command.ts): an argv array (never a shell), a time limit after which the hook's
 * whole process group is stopped (SIGTERM, then SIGKILL), and CERTFLEET_* variables.
 *
 * After the hook succeeds, present() waits until the record is visible on the zone's authoritative
 * servers (unless the config says `propagation: false`): a hook that calls a DNS provider's API
 * returns long before the provider's name servers serve the record, and a CA that looks too early
 * fails the authorization for good. The servers are found through a configured authoritative
 * `server:`, else through a `resolver:`, else through the system's resolvers.
 */
import type { Logger } from '../../logger.js';
import { describeFailure, runProgram } from '../../process/run-command.js';
import { ChallengeError, abortReason } from '../errors.js';
import type { SystemResolvers } from '../dns/resolvers.js';
import { openRecordLookup, waitUntilVisible, type RecordLookupOptions } from '../dns/visibility.js';
import { challengeRecordName, locateRecord } from '../dns/zone.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

/** How present() waits for the record after the hook: where the zone's name servers are found, and for how long. */
export type ExecPropagationOptions = RecordLookupOptions;

export interface ExecDnsSolverOptions {
  command: string[];
  timeoutMs: number;
  /** SIGTERM to SIGKILL when a hook is stopped (default 5 s). */
  graceMs?: number;
  /** The environment the hook starts from (the CLI passes its own); CERTFLEET_* are added. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Put in CERTFLEET_NAME: the managed certificate this solver works for. */
  certificateName?: string;
  /** Wait for the record after the hook succeeded; omitted: return once the hook succeeded (the config's default is to wait). */
  propagation?: ExecPropagationOptions;
  /** Where the system resolvers come from (default: /etc/resolv.conf). */
  systemResolvers?: SystemResolvers;
}

export class ExecDnsSolver implements ChallengeSolver {
  readonly type = 'dns-01' as const;
  private readonly options: ExecDnsSolverOptions;
  /** Tasks whose present hook was started: their cleanup hook runs, even after a failed present. */
  private readonly started = new Set<string>();

  constructor(options: ExecDnsSolverOptions) {
    if (options.command.length === 0) throw new ChallengeError('dns-01 exec: command is empty');
    this.options = options;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('dns-01', task);
    const name = challengeRecordName(task.domain);
    this.started.add(taskKey(task));
    await this.runHook('present', task, name, context.signal, context.logger);
    context.logger.info('dns-01: exec hook presented the TXT record', { name, command: this.options.command[0] });
    if (this.options.propagation) await this.waitForRecord(name, task.dnsTxtValue, this.options.propagation, context);
  }

  private async waitForRecord(name: string, value: string, propagation: ExecPropagationOptions, context: SolverContext): Promise<void> {
    const lookup = await openRecordLookup(propagation, this.options.systemResolvers);
    const record = await locateRecord(lookup.client, name, context.signal);
    await waitUntilVisible(lookup, {
      record,
      askedName: name,
      value,
      signal: context.signal,
      logger: context.logger,
      hint: 'check that the hook adds the record to the zone these servers serve; raise propagationTimeout if they are slow to get it, or set propagation: false if the hook waits by itself',
    });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    const key = taskKey(task);
    if (!this.started.has(key)) return;
    // Not bound to context.signal: a cancelled run must still clean up; the hook's time limit applies.
    await this.runHook('cleanup', task, challengeRecordName(task.domain), new AbortController().signal, context.logger);
    this.started.delete(key);
    context.logger.info('dns-01: exec hook cleaned up the TXT record', { name: challengeRecordName(task.domain) });
  }

  private async runHook(action: 'present' | 'cleanup', task: ChallengeTask, fqdn: string, signal: AbortSignal, logger: Logger): Promise<void> {
    const env: Record<string, string | undefined> = {
      ...this.options.env,
      CERTFLEET_ACTION: action,
      CERTFLEET_DOMAIN: task.domain,
      CERTFLEET_WILDCARD: task.wildcard ? '1' : '0',
      CERTFLEET_RECORD_NAME: fqdn,
      CERTFLEET_RECORD_VALUE: task.dnsTxtValue,
    };
    if (this.options.certificateName !== undefined) env.CERTFLEET_NAME = this.options.certificateName;
    // The shared runner: own process group, so a timeout or abort also ends what the hook started
    // (nsupdate, curl), SIGTERM then SIGKILL after the grace period, and a timeout is a failure.
    const result = await runProgram({
      argv: [...this.options.command, action, fqdn, task.dnsTxtValue],
      shown: `${this.options.command.join(' ')} ${action} ${fqdn}`,
      env,
      timeoutMs: this.options.timeoutMs,
      ...(this.options.graceMs === undefined ? {} : { graceMs: this.options.graceMs }),
      signal,
      logger,
    });
    if (result.ok) return;
    if (result.ending.kind === 'aborted') throw abortReason(signal);
    const message = `dns-01 exec hook ${describeFailure(result) ?? ''}`;
    if (result.ending.kind !== 'not-started') throw new ChallengeError(message);
    throw new ChallengeError(message, { hint: 'command: takes an argv array whose first item is the script path', cause: result.ending.error });
  }
}
