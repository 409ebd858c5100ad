/** `certfleet log`: read the run history, keep what was asked for, render. */
import { parseAsOf } from '../../config/inventory-options.js';
import { describeError, ExitCode, UsageError } from '../../errors.js';
import { selectHistory } from '../../renewal/history.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { renderHistory } from '../render/history.js';
import { commandStoreIo, withCommandStore } from './command-store.js';
import { loadManagedSettings } from './managed-settings.js';

const AGO = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

export async function runLogCommand(name: string | undefined, flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const now = new Date();
  const sinceMs = typeof flags.since === 'string' ? parseSince(flags.since, now) : undefined;
  const { settings, logger } = await loadManagedSettings(flags, globals, false);
  const format = (flags.format as 'table' | 'json' | undefined) ?? 'table';
  // The configured store's history (the state directory's history.jsonl, or the database's rows).
  const { history, location } = await withCommandStore(settings, commandStoreIo(logger), async (store) => ({
    location: store.location,
    history: await store.runs.readHistory().catch((err: unknown) => {
      throw new UsageError(`cannot read the run history in ${store.location}: ${describeError(err)}`, 'run certfleet log as the user that runs renew (root for /var/lib/certfleet)');
    }),
  }));
  if (history.skipped > 0) logger.warn(`${history.skipped} line(s) of the history are not entries (a torn write or an edit by hand): skipped`);
  const entries = selectHistory(history.entries, { ...(name !== undefined ? { name } : {}), ...(sinceMs !== undefined ? { sinceMs } : {}) });
  await writeOutput(renderHistory({ stateDir: location, entries }, format), undefined);
  return ExitCode.ok;
}

/** `7d`, `24h`, `30m` back from now, or a date: `2026-03-01` (UTC midnight) or ISO 8601. */
export function parseSince(value: string, now: Date): number {
  const ago = AGO.exec(value.trim());
  if (ago) return now.getTime() - Math.round(Number(ago[1]) * UNIT_MS[ago[2] as keyof typeof UNIT_MS]);
  // Only what starts as a date is read as one: `new Date('5')` is a year, not five of anything.
  if (/^\d{4}-\d{2}-\d{2}/.test(value.trim())) {
    try {
      return parseAsOf(value.trim()).getTime();
    } catch {
      // the message below says what is accepted
    }
  }
  throw new UsageError(`--since takes a duration back from now (30m, 24h, 7d) or a date (YYYY-MM-DD or ISO 8601), not "${value}"`);
}
