/**
 * The one home of the duration rule. In a config file a duration is a string with its unit: "5s",
 * "500ms", "2m", "1h" (decimals allowed: "1.5s"). A bare number is an error, not milliseconds:
 * `verifyTimeout: 5` used to mean 5 ms, which no one writing it meant. On the command line a bare
 * number is seconds (`--lock-wait 30`), as the flags document.
 */
import { z } from 'zod';
import { UsageError } from '../errors.js';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const EXAMPLE = 'a duration such as 5s, 500ms or 2m';

/** Why `value` is not a config duration, or undefined when it is one. */
export function durationProblem(value: unknown): string | undefined {
  const bare = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : undefined;
  if (bare !== undefined) {
    if (!Number.isFinite(bare) || bare <= 0) return EXAMPLE;
    // Suggest the likely reading, spelt both ways: 5 was meant as seconds, 5000 as milliseconds;
    // between the two either is plausible (pollInterval: 250, propagationTimeout: 300).
    const suggestion = bare < 100 ? `${bare}s or ${Math.round(bare * 1000)}ms` : bare >= 1000 ? `${bare}ms or ${bare / 1000}s` : `${bare}ms or ${bare}s`;
    return `${String(value).trim()} has no unit: write ${suggestion}`;
  }
  return typeof value === 'string' && DURATION.test(value) ? undefined : EXAMPLE;
}

/** A duration in a config file, kept as written (resolve it with parseDuration). */
export const duration = z
  .union([z.string(), z.number()], { error: EXAMPLE })
  .superRefine((value, ctx) => {
    const problem = durationProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value as string);

/** A duration in a config file, parsed to milliseconds. */
export const durationMs = duration.transform((value) => parseDuration(value));

/** "5s" -> 5000. Only for values the schema has accepted; anything else throws. */
export function parseDuration(value: string): number {
  const m = DURATION.exec(value);
  if (!m) throw new Error(`bad duration ${value}`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}

/** A duration flag in milliseconds: `10s`, `500ms`, `2m`, or a bare number of seconds. */
export function parseDurationFlag(flag: string, value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (DURATION.test(text)) return parseDuration(text);
  throw new UsageError(`${flag} takes a duration such as 10s or 500ms (a bare number is seconds), not "${value}"`);
}
