/**
 * Running the operator's commands (pre, deploy, post) through src/process/run-command.ts, the one
 * runner for operator programs: an argv array (never a shell string built from domain names),
 * CERTFLEET_* variables describing the certificate, a time limit that kills the command's whole
 * process group (SIGTERM, then SIGKILL) and counts as a failure, and a failure that says which
 * command, how it ended and the end of what it printed.
 */
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeFailure, runProgram } from '../process/run-command.js';

export class CommandFailedError extends CertfleetError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('command-failed', message, { exitCode: ExitCode.partial, ...options });
    this.name = 'CommandFailedError';
  }
}

export interface CommandRun {
  argv: readonly string[];
  /** The environment the command sees: the caller's (the CLI passes its own) plus CERTFLEET_*. */
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  logger: Logger;
  /** SIGTERM to SIGKILL when the command is stopped (default 5 s). */
  graceMs?: number;
  /** Cancels the command the way its time limit does; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function runCommand(run: CommandRun): Promise<void> {
  if (run.argv.length === 0 || run.argv[0] === '') throw new CommandFailedError('empty command');
  run.logger.info(`running ${run.argv.join(' ')}`);
  const result = await runProgram(run);
  if (result.ok) return;
  if (result.ending.kind === 'aborted' && run.signal?.reason instanceof Error) throw run.signal.reason;
  const message = `command ${describeFailure(result) ?? ''}`;
  if (result.ending.kind !== 'not-started') throw new CommandFailedError(message);
  throw new CommandFailedError(message, { hint: 'a command is an argv array whose first item is the program (a path, or a name found on PATH)', cause: result.ending.error });
}

/** The variables every command gets (names follow certbot's RENEWED_* idea, namespaced). */
export function certfleetEnv(fields: { name: string; domains: readonly string[]; serialNumber: string; notAfter: string; paths: Record<string, string | undefined> }): Record<string, string> {
  const env: Record<string, string> = {
    CERTFLEET_NAME: fields.name,
    CERTFLEET_DOMAINS: fields.domains.join(' '),
    CERTFLEET_SERIAL: fields.serialNumber,
    CERTFLEET_NOT_AFTER: fields.notAfter,
  };
  for (const [kind, path] of Object.entries(fields.paths)) if (path) env[`CERTFLEET_${kind.toUpperCase()}_PATH`] = path;
  return env;
}
