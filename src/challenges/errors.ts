/**
 * What a solver throws when a challenge cannot be made answerable (or taken away): a message that
 * names the server, port, record or command involved, and a hint at the usual fix.
 */
import { CertfleetError, ExitCode } from '../errors.js';

export class ChallengeError extends CertfleetError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('challenge', message, { exitCode: ExitCode.findings, ...options });
    this.name = 'ChallengeError';
  }
}

/** The signal's reason when it is an Error (AbortSignal.timeout gives a TimeoutError), else a plain one. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new ChallengeError('the challenge was cancelled');
}

/** A sleep that ends early, rejecting, when the signal aborts; it leaves no timer behind. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** "120 s", "500 ms": durations in messages the way a person reads them. */
export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
