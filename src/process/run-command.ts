/**
 * The one way certfleet runs an operator's program (pre/deploy/post commands, dns-01 exec hooks):
 * an argv array (never a shell string), the environment it is given, stdin closed, output kept
 * (its end, for the error message), and a time limit that is really enforced.
 *
 * The program runs as the leader of its own process group, so that on a timeout or a cancel the
 * whole group is stopped, not only the program: a shell script's children (nsupdate, curl, sleep)
 * go with it. Stopping is SIGTERM to the group, then SIGKILL to the group after a grace period for
 * whatever is still alive; the result is a failure whatever status the program exits with. The
 * promise settles only when the program has exited and its group is gone (or got its SIGKILL).
 *
 * A program that exits on its own is different: what it left running in its group is left alone.
 * A deploy command may start a daemon on purpose (`my-app-restart`, a script ending in `app &`),
 * and killing it because its launcher returned would break that; `systemctl reload` and
 * `nginx -s reload` leave nothing behind anyway. It is only logged. Such a leftover that still
 * holds our stdout/stderr pipes must not make us wait: we settle on the program's exit, after a
 * short drain of its output, and keep reading (and discarding) those pipes in the background
 * without holding certfleet's event loop, so the leftover does not die of SIGPIPE at its next
 * write while certfleet runs. Operators should send a daemon's output elsewhere (`>/dev/null 2>&1`).
 *
 * This module never rejects; it returns how the program ended, and the caller words the failure
 * in its own error type with describeFailure().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { formatMs } from '../challenges/errors.js';
import type { Logger } from '../logger.js';

/** How long a stopped program's group gets between SIGTERM and SIGKILL (systemd's default is 90 s; a hook is smaller). */
const DEFAULT_GRACE_MS = 5_000;
/** Output kept for an error message: the end, where scripts say what went wrong. */
const OUTPUT_LIMIT = 4_000;
/** After the program exits, how long its output may keep arriving before we stop waiting for the pipes to close. */
const DRAIN_MS = 250;
/** After SIGKILL, how long we wait for the group to disappear before settling anyway (a process in D state ignores even SIGKILL). */
const KILL_WAIT_MS = 2_000;
/** How often a stopped group is checked for survivors. */
const POLL_MS = 25;

export interface ProgramRun {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  /** SIGTERM to SIGKILL, when the program is stopped. Default DEFAULT_GRACE_MS. */
  graceMs?: number;
  /** Stops the program the same way as the time limit does; the result is then 'aborted'. */
  signal?: AbortSignal;
  /** Told about leftovers (processes a program left running in its group when it exited). */
  logger?: Logger;
  /** How the program is named in messages (default: the argv joined); lets a caller leave secrets out. */
  shown?: string;
}

export type ProgramEnding =
  | { kind: 'exited'; status: number }
  | { kind: 'signalled'; signal: NodeJS.Signals }
  /** forced: something in the group was still alive after the grace period and needed SIGKILL. */
  | { kind: 'timed-out'; forced: boolean }
  | { kind: 'aborted'; forced: boolean }
  | { kind: 'not-started'; why: string; error?: Error };

export interface ProgramResult {
  ending: ProgramEnding;
  /** True only for an exit with status 0. */
  ok: boolean;
  /** The end of what the program wrote to stdout and stderr, interleaved as it arrived, trimmed. */
  output: string;
  shown: string;
  file: string;
  timeoutMs: number;
  graceMs: number;
}

export function runProgram(run: ProgramRun): Promise<ProgramResult> {
  const file = run.argv[0] ?? '';
  const graceMs = run.graceMs ?? DEFAULT_GRACE_MS;
  const shown = run.shown ?? run.argv.join(' ');
  const result = (ending: ProgramEnding, output: string): ProgramResult => ({
    ending,
    ok: ending.kind === 'exited' && ending.status === 0,
    output: output.trim(),
    shown,
    file,
    timeoutMs: run.timeoutMs,
    graceMs,
  });
  if (file === '') return Promise.resolve(result({ kind: 'not-started', why: 'empty command' }, ''));
  if (run.signal?.aborted) return Promise.resolve(result({ kind: 'aborted', forced: false }, ''));

  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, run.argv.slice(1), { env: run.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      // Synchronous refusals: an argument with a NUL byte, an env value that is not a string.
      const error = err instanceof Error ? err : new Error(String(err));
      return resolve(result({ kind: 'not-started', why: error.message, error }, ''));
    }

    let output = '';
    const keep = (chunk: string) => {
      output = (output + chunk).slice(-OUTPUT_LIMIT);
    };
    const streams = [child.stdout, child.stderr].filter((s) => s !== null);
    for (const s of streams) {
      s.setEncoding('utf8'); // decodes across chunk boundaries: no broken characters in the message
      s.on('data', keep);
    }

    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let stopping: { reason: 'timed-out' | 'aborted'; forced: boolean; killDeadline: number } | undefined;
    let closed = false;
    let draining = false;
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };

    const pgid = child.pid;
    const signalGroup = (sig: NodeJS.Signals) => {
      if (pgid === undefined) return;
      try {
        process.kill(-pgid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const alive = () => pgid !== undefined && groupAlive(pgid);

    const settle = (ending: ProgramEnding) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      run.signal?.removeEventListener('abort', onAbort);
      for (const s of streams) {
        s.off('data', keep);
        if (!closed) {
          // A leftover holds the pipe: keep draining it into nothing, without keeping certfleet alive.
          s.resume();
          (s as unknown as { unref?: () => void }).unref?.();
        }
      }
      resolve(result(ending, output));
    };

    const ending = (): ProgramEnding => {
      if (stopping) return { kind: stopping.reason, forced: stopping.forced };
      if (exit?.code !== null && exit?.code !== undefined) return { kind: 'exited', status: exit.code };
      return { kind: 'signalled', signal: exit?.signal ?? 'SIGKILL' };
    };

    const drainThenSettle = () => {
      if (closed) return settle(ending());
      draining = true;
      later(DRAIN_MS, () => settle(ending()));
    };

    // After a stop: wait until nothing in the group is alive, or SIGKILL went out and had its time.
    const awaitGroupGone = () => {
      if (!alive() || Date.now() > (stopping?.killDeadline ?? 0)) return drainThenSettle();
      later(POLL_MS, awaitGroupGone);
    };

    const stop = (reason: 'timed-out' | 'aborted') => {
      if (stopping || exit || settled) return;
      stopping = { reason, forced: false, killDeadline: Number.POSITIVE_INFINITY };
      signalGroup('SIGTERM');
      later(graceMs, () => {
        if (!stopping) return;
        if (alive()) {
          stopping.forced = true;
          signalGroup('SIGKILL');
        }
        stopping.killDeadline = Date.now() + KILL_WAIT_MS;
      });
    };

    later(run.timeoutMs, () => stop('timed-out'));
    const onAbort = () => stop('aborted');
    run.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err: NodeJS.ErrnoException) => {
      // Without a pid it never started (no 'exit' follows); with one, a later error is not an ending.
      if (child.pid !== undefined) return;
      settle({ kind: 'not-started', why: whyNotStarted(file, err), error: err });
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      exit = { code, signal };
      if (stopping) return awaitGroupGone();
      if (alive()) {
        run.logger?.info(`\`${shown}\` exited and left processes running in its process group ${pgid}; they are left alone`, { pgid });
      }
      drainThenSettle();
    });
    child.on('close', () => {
      closed = true;
      if (draining) settle(ending());
    });
  });
}

/**
 * The failure in words, for a caller to put after its own subject ("command ", "dns-01 exec hook "):
 * which program, how it ended, and the end of its output. Undefined when the program succeeded.
 */
export function describeFailure(r: ProgramResult): string | undefined {
  if (r.ok) return undefined;
  const said = r.output === '' ? '' : `: ${r.output}`;
  const e = r.ending;
  switch (e.kind) {
    case 'not-started':
      return `${r.file}: ${e.why}`;
    case 'exited':
      return `\`${r.shown}\` exited with status ${e.status}${said}`;
    case 'signalled':
      return `\`${r.shown}\` was killed by ${e.signal}${said}`;
    case 'timed-out':
      return `\`${r.shown}\` did not finish within ${formatMs(r.timeoutMs)} and was killed (${killedHow(e.forced, r.graceMs)})${said}`;
    case 'aborted':
      return `\`${r.shown}\` was cancelled and killed (${killedHow(e.forced, r.graceMs)})${said}`;
  }
}

function killedHow(forced: boolean, graceMs: number): string {
  return forced ? `SIGKILL: its process group ignored SIGTERM for ${formatMs(graceMs)}` : 'SIGTERM to its process group';
}

function whyNotStarted(file: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') {
    // The kernel also says ENOENT when a script's #! interpreter is missing.
    return file.includes('/') && existsSync(file) ? 'cannot be started: the interpreter on its #! line was not found' : 'not found';
  }
  if (err.code === 'EACCES') return 'not executable';
  return err.message;
}

/**
 * Whether anything in the process group is still running. kill(-pgid, 0) alone also counts
 * zombies: children the program left behind that died but wait for PID 1 to reap them, which a
 * container's init may do late or never. Where /proc exists, a zombie-only group counts as gone.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procShowsLiveMember(pgid) ?? true;
}

/** undefined when /proc cannot tell (not Linux). */
function procShowsLiveMember(pgid: number): boolean | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}
