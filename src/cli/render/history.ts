/**
 * `certfleet log`: the run history as a table (one line per entry, columns aligned) or one JSON
 * document. Names and errors can come from a CA or a config: escaped as every human line is (escape.ts).
 */
import type { HistoryEntry } from '../../renewal/history.js';
import { escapeControls, escapeJsonControls } from './escape.js';

export const HISTORY_SCHEMA_VERSION = 1;

export interface HistoryView {
  stateDir: string;
  entries: HistoryEntry[];
}

export function renderHistory(view: HistoryView, format: 'table' | 'json'): string[] {
  if (format === 'json') return [escapeJsonControls(JSON.stringify({ schemaVersion: HISTORY_SCHEMA_VERSION, stateDir: view.stateDir, entries: view.entries }, null, 2)) + '\n'];
  if (view.entries.length === 0) return [`no history in ${escapeControls(view.stateDir)} for that selection (renew writes one line per certificate per run)\n`];
  const rows = view.entries.map((e) => [
    e.time.replace(/\.\d+Z$/, 'Z'),
    e.name,
    e.action,
    e.reason,
    e.serial ?? '-',
    e.nextRenewalAt ? e.nextRenewalAt.replace(/\.\d+Z$/, 'Z') : '-',
    `${e.durationMs} ms`,
    e.error ?? '',
  ].map(escapeControls));
  const header = ['TIME', 'NAME', 'ACTION', 'REASON', 'SERIAL', 'NEXT RENEWAL', 'TOOK', 'ERROR'];
  // The error is the last column and is not padded: it can be long.
  const widths = header.slice(0, -1).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join('  ').trimEnd();
  return [[header, ...rows].map(line).join('\n') + '\n'];
}
