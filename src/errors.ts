/**
 * Typed errors. Every error a user can cause carries a stable code, the exit code the CLI maps it
 * to, and a hint that says what to do. Anything else reaching the top level is a bug.
 */
export const ExitCode = {
  ok: 0,
  findings: 1,
  usage: 2,
  partial: 3,
  internal: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CertfleetError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CertfleetError';
    this.code = code;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.hint = options.hint;
  }
}

/** Bad flags, a bad config file, a missing input: the user can fix it. */
export class UsageError extends CertfleetError {
  constructor(message: string, hint?: string) {
    super('usage', message, { exitCode: ExitCode.usage, hint });
    this.name = 'UsageError';
  }
}

export class ConfigError extends CertfleetError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super('config', message, { exitCode: ExitCode.usage, hint, cause });
    this.name = 'ConfigError';
  }
}

/**
 * What a per-certificate outcome keeps of its failure besides the message: the error's code, its
 * exit class and hint, so a command can still exit 2 with the hint for a mistake the operator
 * fixes in the config (terms of service not accepted, an unknown profile) although the run went on.
 */
export interface FailureFacts {
  errorCode?: string;
  errorExitCode?: ExitCode;
  errorHint?: string;
}

export function failureFacts(err: unknown): FailureFacts {
  if (!(err instanceof CertfleetError)) return {};
  return { errorCode: err.code, errorExitCode: err.exitCode, ...(err.hint ? { errorHint: err.hint } : {}) };
}

/** One message a person understands, from whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
