/**
 * One inventory result, five renderers. Each yields the document in pieces so 100,000
 * certificates are written out without ever being one 100 MB string.
 */
import type { InventoryResult } from '../../inventory/model.js';
import { escapeJsonChunks } from './escape.js';
import { renderInventoryCsv } from './inventory-csv.js';
import { renderInventoryCycloneDx } from './inventory-cyclonedx.js';
import { renderInventoryTable, type TableOptions } from './inventory-table.js';

export type InventoryFormat = 'table' | 'json' | 'ndjson' | 'csv' | 'cyclonedx';

export interface InventoryRenderOptions extends TableOptions {
  /** certfleet's version, for formats that name the tool that wrote them (CycloneDX). */
  toolVersion?: string;
}

export function renderInventory(result: InventoryResult, format: InventoryFormat, options: InventoryRenderOptions): Iterable<string> {
  switch (format) {
    // JSON.stringify leaves DEL and C1 controls raw; escapeJsonChunks writes them as \u escapes.
    case 'json':
      return escapeJsonChunks(renderInventoryJson(result));
    case 'ndjson':
      return escapeJsonChunks(renderInventoryNdjson(result));
    case 'csv':
      return renderInventoryCsv(result);
    case 'cyclonedx':
      return escapeJsonChunks(renderInventoryCycloneDx(result, { toolVersion: options.toolVersion ?? 'unknown' }));
    case 'table':
      return [renderInventoryTable(result, options)];
  }
}

/** Exactly `JSON.stringify(result, null, 2)`, produced one record at a time. */
function* renderInventoryJson(result: InventoryResult): Iterable<string> {
  const { certificates, keys, errors, ...rest } = result;
  const head = JSON.stringify({ schemaVersion: rest.schemaVersion, generatedAt: rest.generatedAt }, null, 2);
  yield head.slice(0, -2) + ',\n';
  for (const [name, list] of [['certificates', certificates], ['keys', keys], ['errors', errors]] as const) {
    if (list.length === 0) {
      yield `  "${name}": [],\n`;
      continue;
    }
    yield `  "${name}": [\n`;
    for (let i = 0; i < list.length; i++) {
      yield '    ' + JSON.stringify(list[i], null, 2).replaceAll('\n', '\n    ') + (i < list.length - 1 ? ',\n' : '\n');
    }
    yield '  ],\n';
  }
  yield `  "summary": ${JSON.stringify(rest.summary, null, 2).replaceAll('\n', '\n  ')}\n}\n`;
}

/** One JSON object a line, each with a `type`; the first line carries the schemaVersion. */
function* renderInventoryNdjson(result: InventoryResult): Iterable<string> {
  yield JSON.stringify({ type: 'inventory', schemaVersion: result.schemaVersion, generatedAt: result.generatedAt }) + '\n';
  for (const c of result.certificates) yield JSON.stringify({ type: 'certificate', ...c }) + '\n';
  for (const k of result.keys) yield JSON.stringify({ type: 'key', ...k }) + '\n';
  for (const e of result.errors) yield JSON.stringify({ type: 'error', ...e }) + '\n';
  yield JSON.stringify({ type: 'summary', ...result.summary }) + '\n';
}
