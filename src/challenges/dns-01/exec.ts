/**
 * dns-01 through the operator's own script, with lego's exec-provider contract so existing hooks
 * work unchanged: `<command...> present <fqdn> <value>` and `<command...> cleanup <fqdn> <value>`,
 * fqdn = `_acme-challenge.<domain>.` (trailing dot). Run with an argv array (never a shell), a time
 * limit (the hook's whole process group is killed after it), and CERTFLEET_* variables. When a
 * server to check is configured, present() then waits until the record is visible there.
 */
import { spawn } from 'node:child_process';
import { ChallengeError, abortReason, formatMs } from '../errors.js';
import { DnsClient } from '../dns/client.js';
import { waitForTxt } from '../dns/propagation.js';
import type { DnsServer } from '../dns/transport.js';
import { authoritativeServers, challengeRecordName, findZone } from '../dns/zone.js';
import { assertTask, taskKey } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface ExecDnsSolverOptions {
  command: string[];
  timeoutMs: number;
  /** The environment the hook starts from (the CLI passes its own); CERTFLEET_* are added. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Put in CERTFLEET_NAME: the managed certificate this solver works for. */
  certificateName?: string;
  /** Wait for the record on this server (and the zone's NS) after the hook succeeded. */
  check?: { server: DnsServer; propagationTimeoutMs: number; pollIntervalMs: number; queryTimeoutMs: number };
}

/** Output kept for an error message: the end, where scripts say what went wrong. */
const OUTPUT_LIMIT = 4_000;

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
    await this.runHook('present', task, name, context.signal);
    context.logger.info('dns-01: exec hook presented the TXT record', { name, command: this.options.command[0] });
    const check = this.options.check;
    if (!check) return;
    const client = new DnsClient(check.server, { timeoutMs: check.queryTimeoutMs });
    const zone = await findZone(client, name, context.signal);
    await waitForTxt({
      servers: await authoritativeServers(client, zone, context.signal, context.logger),
      name,
      value: task.dnsTxtValue,
      timeoutMs: check.propagationTimeoutMs,
      pollIntervalMs: check.pollIntervalMs,
      queryTimeoutMs: check.queryTimeoutMs,
      signal: context.signal,
      logger: context.logger,
    });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    const key = taskKey(task);
    if (!this.started.has(key)) return;
    // Not bound to context.signal: a cancelled run must still clean up; the hook's time limit applies.
    await this.runHook('cleanup', task, challengeRecordName(task.domain), new AbortController().signal);
    this.started.delete(key);
    context.logger.info('dns-01: exec hook cleaned up the TXT record', { name: challengeRecordName(task.domain) });
  }

  private runHook(action: 'present' | 'cleanup', task: ChallengeTask, fqdn: string, signal: AbortSignal): Promise<void> {
    const [file, ...args] = this.options.command as [string, ...string[]];
    const shown = `${this.options.command.join(' ')} ${action} ${fqdn}`;
    const env: Record<string, string | undefined> = {
      ...this.options.env,
      CERTFLEET_ACTION: action,
      CERTFLEET_DOMAIN: task.domain,
      CERTFLEET_WILDCARD: task.wildcard ? '1' : '0',
      CERTFLEET_RECORD_NAME: fqdn,
      CERTFLEET_RECORD_VALUE: task.dnsTxtValue,
    };
    if (this.options.certificateName !== undefined) env.CERTFLEET_NAME = this.options.certificateName;

    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortReason(signal));
      // Its own process group, so a timeout or abort also ends what the hook started (nsupdate, curl).
      const child = spawn(file, [...args, action, fqdn, task.dnsTxtValue], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      let ended: 'timeout' | 'abort' | undefined;
      const killGroup = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        ended = 'timeout';
        killGroup();
      }, this.options.timeoutMs);
      const onAbort = () => {
        ended = 'abort';
        killGroup();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      child.on('error', (err: NodeJS.ErrnoException) => {
        finish();
        const why = err.code === 'ENOENT' ? 'not found' : err.code === 'EACCES' ? 'not executable' : err.message;
        reject(new ChallengeError(`dns-01 exec hook ${file}: ${why}`, { hint: 'command: takes an argv array whose first item is the script path', cause: err }));
      });
      child.on('close', (code, killedBy) => {
        finish();
        const said = output.trim() === '' ? '' : `: ${output.trim()}`;
        if (ended === 'abort') return reject(abortReason(signal));
        if (ended === 'timeout') return reject(new ChallengeError(`dns-01 exec hook \`${shown}\` did not finish within ${formatMs(this.options.timeoutMs)} and was killed${said}`));
        if (code === 0) return resolve();
        const status = code === null ? `killed by ${killedBy}` : `exit ${code}`;
        reject(new ChallengeError(`dns-01 exec hook \`${shown}\` failed (${status})${said}`));
      });
    });
  }
}
