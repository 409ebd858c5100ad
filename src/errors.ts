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

/** One message a person understands, from whatever was thrown. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
