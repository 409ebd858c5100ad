/**
 * The report as one JSON document, exactly `JSON.stringify(report, null, 2)` plus a newline,
 * produced in pieces: large arrays (certificates, violating entries, names) element by element,
 * so 100,000 certificates never become one 100 MB string.
 */
import type { ReadinessReport } from '../../report/model.js';

/** Arrays longer than this are streamed element by element; shorter values are stringified whole. */
const STREAM_ABOVE = 64;

export function renderReportJson(report: ReadinessReport): Iterable<string> {
  return streamJson(report);
}

export function* streamJson(value: unknown): Iterable<string> {
  yield* node(value, '');
  yield '\n';
}

function* node(value: unknown, indent: string): Iterable<string> {
  if (!isLarge(value, 3)) {
    yield stringify(value, indent);
    return;
  }
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    yield '[\n';
    for (let i = 0; i < value.length; i++) {
      // JSON.stringify writes undefined, functions and symbols in arrays as null.
      const v = value[i] === undefined || typeof value[i] === 'function' || typeof value[i] === 'symbol' ? null : value[i];
      yield inner;
      yield* node(v, inner);
      yield i < value.length - 1 ? ',\n' : '\n';
    }
    yield `${indent}]`;
    return;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [key, v] = entries[i]!;
    yield `${inner}${JSON.stringify(key)}: `;
    yield* node(v, inner);
    yield i < entries.length - 1 ? ',\n' : '\n';
  }
  yield `${indent}}`;
}

function stringify(value: unknown, indent: string): string {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return indent && text.includes('\n') ? text.replaceAll('\n', `\n${indent}`) : text;
}

/** Worth streaming: a long array, or an object/array holding one within `depth` levels. */
function isLarge(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    if (value.length > STREAM_ABOVE) return true;
    return depth > 0 && value.some((v) => isLarge(v, depth - 1));
  }
  if (depth === 0) return false;
  for (const key in value) if (isLarge((value as Record<string, unknown>)[key], depth - 1)) return true;
  return false;
}
