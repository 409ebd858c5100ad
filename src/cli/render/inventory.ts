/** One inventory result, four renderers. */
import type { InventoryResult } from '../../inventory/model.js';
import { renderInventoryCsv } from './inventory-csv.js';
import { renderInventoryTable } from './inventory-table.js';

export type InventoryFormat = 'table' | 'json' | 'ndjson' | 'csv';

export function renderInventory(result: InventoryResult, format: InventoryFormat, options: { color: boolean }): string {
  switch (format) {
    case 'json':
      return JSON.stringify(result, null, 2) + '\n';
    case 'ndjson':
      return renderInventoryNdjson(result);
    case 'csv':
      return renderInventoryCsv(result);
    case 'table':
      return renderInventoryTable(result, options.color);
  }
}

/** One JSON object a line, each with a `type`; the first line carries the schemaVersion. */
function renderInventoryNdjson(result: InventoryResult): string {
  const lines = [JSON.stringify({ type: 'inventory', schemaVersion: result.schemaVersion, generatedAt: result.generatedAt })];
  for (const c of result.certificates) lines.push(JSON.stringify({ type: 'certificate', ...c }));
  for (const k of result.keys) lines.push(JSON.stringify({ type: 'key', ...k }));
  for (const e of result.errors) lines.push(JSON.stringify({ type: 'error', ...e }));
  lines.push(JSON.stringify({ type: 'summary', ...result.summary }));
  return lines.join('\n') + '\n';
}
