/**
 * `certfleet agent` without `--once`: passes (runAgentOnce) at the right moments and nothing in
 * between. A pass at start; then whichever comes first: the store saying a certificate assigned
 * here has a new current version (LISTEN `certfleet_current`; a burst makes one pass), the retry
 * time of a failed deployment (retries.ts), the connection to the store coming back after an
 * outage (notifications sent meanwhile are lost), or the safety pass every `intervalMs`. No
 * polling: an idle agent is a sleeping process with one idle connection.
 * A stop (the signal) is honoured between passes: a pass under way is finished, never cut short.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { changeFeed, type CertificateRecords, type DeploymentRecords } from '../store/ports.js';
import type { AgentResult } from './agent.js';
import { RetrySchedule } from './agent-retries.js';

/** The channel migration 004's trigger notifies, with the certificate's name. */
export const CURRENT_CHANNEL = 'certfleet_current';
/** How long a first notification waits for the rest of its burst (a runner's batch commits together). */
export const SETTLE_MS = 250;
export const DEFAULT_INTERVAL_MS = 3_600_000;

/** What the loop reads of the store; a store with a `ChangeFeed` (ports.ts) also wakes it. */
export interface AgentLoopStore {
  deployments: Pick<DeploymentRecords, 'assignedTo'>;
  certificates: Pick<CertificateRecords, 'readVersion'>;
}

export interface AgentLoopInput {
  host: string;
  intervalMs: number;
  store: AgentLoopStore;
  /** One pass: runAgentOnce with the agent's input (the CLI binds it). */
  pass: () => Promise<AgentResult>;
}

export interface AgentLoopIo {
  /** Epoch ms. */
  now: () => number;
  /** Call `fire` once after `ms`; the returned function cancels it. */
  setTimer: (ms: number, fire: () => void) => () => void;
  /** Aborted: stop after the pass under way. */
  signal: AbortSignal;
  logger: Logger;
}

export interface AgentCertificateState {
  /** The last attempt: deployed (or found deployed) or failed; undefined while waiting or left to another process. */
  status: 'deployed' | 'failed' | undefined;
  /** The version last confirmed deployed, and its notAfter (epoch ms). */
  deployedVersion?: string;
  notAfter?: number;
}

/** What the agent knows of itself: what `/metrics` shows. */
export interface AgentLoopState {
  host: string;
  /** Passes completed. */
  passes: number;
  /** When the last pass completed (epoch ms). */
  lastPassAt: number | undefined;
  /** The store's change feed is connected; undefined when the store has none. */
  connected: boolean | undefined;
  /** The certificates assigned to the host at the last pass, by name. */
  certificates: Map<string, AgentCertificateState>;
}

export type WakeReason = 'start' | 'notification' | 'retry' | 'interval' | 'reconnected';

export class AgentLoop {
  readonly state: AgentLoopState;
  private readonly retries = new RetrySchedule();
  private assigned = new Set<string>();
  private heard = new Set<string>();
  private cancelSettle: (() => void) | undefined;
  private pending: WakeReason | undefined;
  private wake: ((reason: WakeReason) => void) | undefined;
  private lastPassEnd = 0;
  private wasDown = false;

  constructor(
    private readonly input: AgentLoopInput,
    private readonly io: AgentLoopIo,
  ) {
    this.state = { host: input.host, passes: 0, lastPassAt: undefined, connected: undefined, certificates: new Map() };
  }

  /** Runs until the signal; resolves after the last pass finished and the feed is closed. */
  async run(): Promise<void> {
    const feed = changeFeed(this.input.store);
    // Listening before the first pass: a version made current while it runs is not missed.
    const subscription = feed
      ? await feed.listen(CURRENT_CHANNEL, { message: (name) => this.notified(name), connection: (up) => this.connection(up) }, this.io.logger)
      : undefined;
    try {
      let reason: WakeReason | undefined = 'start';
      while (reason !== undefined && !this.io.signal.aborted) {
        await this.pass(reason);
        reason = this.io.signal.aborted ? undefined : await this.next();
      }
    } finally {
      this.cancelSettle?.();
      await subscription?.close();
    }
  }

  /** The reason for the next pass, or undefined once stopped. */
  private next(): Promise<WakeReason | undefined> {
    if (this.pending !== undefined) {
      const reason = this.pending;
      this.pending = undefined;
      return Promise.resolve(reason);
    }
    return new Promise((resolve) => {
      const intervalAt = this.lastPassEnd + this.input.intervalMs;
      const retryAt = this.retries.next();
      const [at, why]: [number, WakeReason] = retryAt !== undefined && retryAt < intervalAt ? [retryAt, 'retry'] : [intervalAt, 'interval'];
      const done = (reason: WakeReason | undefined) => {
        cancelTimer();
        this.wake = undefined;
        this.io.signal.removeEventListener('abort', onAbort);
        resolve(reason);
      };
      const onAbort = () => done(undefined);
      const cancelTimer = this.io.setTimer(Math.max(0, at - this.io.now()), () => done(why));
      this.io.signal.addEventListener('abort', onAbort);
      this.wake = done;
    });
  }

  private trigger(reason: WakeReason): void {
    if (this.wake) this.wake(reason);
    else this.pending ??= reason;
  }

  /** A certificate's current version changed somewhere in the fleet: a pass if it is ours, once per burst. */
  private notified(name: string): void {
    this.heard.add(name);
    this.cancelSettle ??= this.io.setTimer(SETTLE_MS, () => {
      this.cancelSettle = undefined;
      void this.settle();
    });
  }

  private async settle(): Promise<void> {
    const names = [...this.heard];
    this.heard = new Set();
    if (!names.some((n) => this.assigned.has(n))) {
      // Not one we had at the last pass: it may have been assigned since (apply, then the first
      // issuance). One query, the cost of an idle pass, for any number of names.
      try {
        this.assigned = new Set((await this.input.store.deployments.assignedTo(this.input.host)).map((a) => a.name));
      } catch (err) {
        this.io.logger.debug(`could not check whether ${names.join(', ')} is assigned to ${this.input.host}; a pass will: ${describeError(err)}`);
        this.trigger('notification');
        return;
      }
      if (!names.some((n) => this.assigned.has(n))) return;
    }
    this.trigger('notification');
  }

  private connection(up: boolean): void {
    this.state.connected = up;
    // Back after an outage: what was notified meanwhile is lost, so read everything again.
    if (up && this.wasDown) this.trigger('reconnected');
    this.wasDown = !up;
  }

  /** One pass, never throwing: a pass that cannot run is tried again with the failures' backoff. */
  private async pass(reason: WakeReason): Promise<void> {
    let result: AgentResult;
    try {
      result = await this.input.pass();
    } catch (err) {
      this.lastPassEnd = this.io.now();
      const at = this.retries.recordPassFailure(this.lastPassEnd);
      this.io.logger.error(`the ${reason} pass for ${this.input.host} failed: ${describeError(err)}; next try in ${Math.round((at - this.lastPassEnd) / 1000)} s`);
      return;
    }
    const now = this.io.now();
    this.lastPassEnd = now;
    this.retries.recordPassSuccess();
    this.retries.record(result.certificates, now);
    this.assigned = new Set(result.certificates.map((c) => c.name));
    await this.remember(result);
    this.state.passes++;
    this.state.lastPassAt = now;
    const s = result.summary;
    this.io.logger.debug(`${reason} pass for ${this.input.host}: ${s.assigned} assigned, ${s.deployed} deployed, ${s.failed} failed`);
  }

  /** The pass's outcomes into the state /metrics shows; a deployed version's notAfter is read once per version. */
  private async remember(result: AgentResult): Promise<void> {
    const certificates = new Map<string, AgentCertificateState>();
    for (const c of result.certificates) {
      const before = this.state.certificates.get(c.name);
      const entry: AgentCertificateState = { ...before, status: undefined };
      if (c.status === 'failed') entry.status = 'failed';
      if ((c.status === 'deployed' || c.status === 'already-deployed') && c.version !== undefined) {
        entry.status = 'deployed';
        if (before?.deployedVersion !== c.version) {
          // Unread (a store hiccup): shown without a notAfter, read again at the next pass.
          entry.notAfter = await this.notAfter(c.name, c.version);
          entry.deployedVersion = entry.notAfter === undefined ? undefined : c.version;
        }
      }
      if (c.status === 'waiting' || c.status === 'busy') entry.status = before?.status;
      certificates.set(c.name, entry);
    }
    this.state.certificates = certificates;
  }

  private async notAfter(name: string, version: string): Promise<number | undefined> {
    try {
      const t = Date.parse((await this.input.store.certificates.readVersion(name, version)).version.notAfter);
      return Number.isNaN(t) ? undefined : t;
    } catch (err) {
      this.io.logger.debug(`${name}: version ${version}'s notAfter could not be read: ${describeError(err)}`);
      return undefined;
    }
  }
}
