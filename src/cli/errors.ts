/** The one place errors become messages and exit codes. Only an internal error asks for a bug report. */
import { CertfleetError, ExitCode } from '../errors.js';
import { escapeControlsKeepLines as safe } from './render/escape.js';

export function exitCodeFor(err: unknown): number {
  return err instanceof CertfleetError ? err.exitCode : ExitCode.internal;
}

export function reportError(err: unknown, stderr: NodeJS.WritableStream): void {
  if (err instanceof CertfleetError) {
    // Messages quote CAs, servers and file names: their control characters are escaped (escape.ts).
    stderr.write(`certfleet: ${safe(err.message)}\n`);
    if (err.hint) stderr.write(`hint: ${safe(err.hint)}\n`);
    return;
  }
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  stderr.write(`certfleet: internal error (this is a bug; please report it with the text below)\n${safe(detail)}\n`);
}
