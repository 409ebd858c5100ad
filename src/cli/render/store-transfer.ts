/** `store import`, `store export` and `store rotate-key`: one result each, as a table or one JSON document. */
import type { RotateKeyResult, RotatedKind } from '../../store/postgres/rotate-key.js';
import type { CopyResult, Difference, Tally } from '../../store/transfer/copy.js';
import type { ExportResult } from '../../store/transfer/export.js';
import type { ImportResult } from '../../store/transfer/import.js';
import { escapeControls } from './escape.js';

export const STORE_TRANSFER_SCHEMA_VERSION = 1;

type Format = 'table' | 'json';

const TALLIES: ReadonlyArray<[keyof CopyResult & ('certificates' | 'versions' | 'accounts' | 'retiredAccountKeys' | 'runRecords'), string]> = [
  ['certificates', 'certificates'],
  ['versions', 'versions'],
  ['accounts', 'accounts'],
  ['retiredAccountKeys', 'retired account keys'],
  ['runRecords', 'run records'],
];

function counts(result: CopyResult): Record<string, Tally> {
  return Object.fromEntries(TALLIES.map(([key]) => [key, result[key]]));
}

function json(document: object): string {
  return `${JSON.stringify({ schemaVersion: STORE_TRANSFER_SCHEMA_VERSION, ...document }, null, 2)}\n`;
}

function tallyLines(result: CopyResult): string[] {
  return TALLIES.map(([key, label]) => `  ${label.padEnd(22)}${result[key].copied} copied, ${result[key].present} already present`);
}

function differences(title: string, list: readonly Difference[]): string[] {
  if (list.length === 0) return [];
  return [`${title} (${list.length}):`, ...list.map((d) => `  ${d.what} of ${d.name}: ${d.detail}`)];
}

function notes(result: CopyResult): string[] {
  return [
    ...(result.filled === 0 ? [] : [`${result.filled} part(s) filled in where the target lacked them (a current version, a state, an account record, a staged key)`]),
    ...differences('left as the target has them (--overwrite replaces them)', result.left),
    ...differences('overwritten with the source', result.overwritten),
    ...differences('conflicts, never overwritten', result.conflicts),
    ...(result.skipped.length === 0 ? [] : [`skipped (${result.skipped.length}):`, ...result.skipped.map((s) => `  ${s}`)]),
  ];
}

export function renderImport(result: ImportResult, format: Format): string {
  const { from, to, changed, filled, left, overwritten, conflicts, skipped } = result;
  if (format === 'json') return json({ from, to, changed, counts: counts(result), filled, left, overwritten, conflicts, skipped });
  const lines = [
    `${from} -> ${to}: ${changed ? 'imported' : 'nothing changed: everything was already present'}`,
    ...tallyLines(result),
    ...notes(result),
  ];
  return lines.map(escapeControls).join('\n') + '\n';
}

export function renderExport(result: ExportResult, format: Format): string {
  const { from, to, conflicts, skipped } = result;
  if (format === 'json') return json({ from, to, counts: counts(result), conflicts, skipped });
  const lines = [`${from} -> ${to}: exported (a config with stateDir: ${to} and no store.postgres runs on it)`, ...tallyLines(result), ...notes(result)];
  return lines.map(escapeControls).join('\n') + '\n';
}

const KINDS: ReadonlyArray<[RotatedKind, string]> = [
  ['versions', 'certificate keys'],
  ['accountKeys', 'account keys'],
  ['pendingAccountKeys', 'staged account keys'],
  ['retiredAccountKeys', 'retired account keys'],
];

export function renderRotateKey(result: RotateKeyResult, format: Format): string {
  if (format === 'json') return json(result);
  const state = result.complete
    ? 'every key is encrypted with it; the old key files can leave store.previousEncryptionKeyFiles'
    : result.interrupted
      ? 'interrupted; run store rotate-key again to finish (rows already done are skipped)'
      : 'some rows are still under an older key (a runner still configured with the old key wrote them): run store rotate-key again once every runner has the new key';
  const lines = [
    `${result.server}: current key id ${result.keyId}: ${state}`,
    ...KINDS.map(([kind, label]) => {
      const c = result.counts[kind];
      return `  ${label.padEnd(22)}${c.reencrypted} re-encrypted, ${c.alreadyCurrent} already current, ${c.remaining} remaining`;
    }),
  ];
  return lines.map(escapeControls).join('\n') + '\n';
}
