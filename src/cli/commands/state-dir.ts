/** What the commands that use the state directory (renew family, revoke, drill) resolve the same way. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';

/** certbot's /etc/letsencrypt idea, in the places the FHS and XDG give state. */
export function defaultStateDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/certfleet';
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'certfleet');
}

/** A duration flag in milliseconds: `10s`, `2m`, or bare seconds. */
export function durationFlag(flag: string, value: string): number {
  try {
    return /^\d+$/.test(value) ? Number(value) * 1000 : parseDuration(value);
  } catch {
    throw new UsageError(`${flag} takes a duration such as 10s, not "${value}"`);
  }
}
