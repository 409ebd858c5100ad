/**
 * The Prometheus text exposition format (0.0.4), the pieces every certfleet exposition is built
 * from (`report --format prometheus`, `renew --metrics-file`): gauges with HELP and TYPE, label
 * values escaped as the format requires, no timestamps (node_exporter's textfile collector refuses them).
 */
import { escapeControlsKeepLines } from './escape.js';

export type Labels = Record<string, string>;

/** Label values escape backslash, double quote and line feed; other controls first become visible escapes (escape.ts). */
export function labelValue(text: string): string {
  return escapeControlsKeepLines(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed. */
function helpText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function sample(name: string, labels: Labels, value: number): string {
  const keys = Object.keys(labels);
  const body = keys.length ? `{${keys.map((k) => `${k}="${labelValue(labels[k]!)}"`).join(',')}}` : '';
  return `${name}${body} ${formatValue(value)}\n`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

/** The HELP and TYPE lines that open a family (all of a family's samples follow it together). */
export function family(name: string, help: string): string {
  return `# HELP ${name} ${helpText(help)}\n# TYPE ${name} gauge\n`;
}
