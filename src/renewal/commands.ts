/**
 * Running the operator's commands (pre, deploy, post): execFile with an argv array (never a shell
 * string built from domain names), CERTFLEET_* variables describing the certificate, a timeout,
 * and a failure that says which command, how it ended and the end of what it printed.
 */
import { execFile } from 'node:child_process';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';

export class CommandFailedError extends CertfleetError {
  constructor(message: string) {
    super('command-failed', message, { exitCode: ExitCode.partial });
    this.name = 'CommandFailedError';
  }
}

export interface CommandRun {
  argv: readonly string[];
  /** The environment the command sees: the caller's (the CLI passes its own) plus CERTFLEET_*. */
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs: number;
  logger: Logger;
}

export async function runCommand(run: CommandRun): Promise<void> {
  const [file, ...args] = run.argv;
  if (!file) throw new CommandFailedError('empty command');
  const shown = run.argv.join(' ');
  run.logger.info(`running ${shown}`);
  await new Promise<void>((resolve, reject) => {
    execFile(file, args, { env: run.env as NodeJS.ProcessEnv, timeout: run.timeoutMs, killSignal: 'SIGTERM', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (!error) {
        resolve();
        return;
      }
      const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string };
      const output = tail(`${stderr}${stdout}`);
      const how =
        e.killed || e.signal === 'SIGTERM'
          ? `timed out after ${Math.round(run.timeoutMs / 1000)}s`
          : e.code === 'ENOENT'
            ? 'not found'
            : e.code === 'EACCES'
              ? 'not executable'
              : `exited with status ${e.code ?? e.signal}`;
      reject(new CommandFailedError(`command \`${shown}\` ${how}${output ? `: ${output}` : ''}`));
    });
  });
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

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 500 ? `…${trimmed.slice(-500)}` : trimmed;
}
