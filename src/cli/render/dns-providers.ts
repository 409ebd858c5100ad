/**
 * `certfleet dns providers`: the provider catalog as a table, one JSON document, or the Markdown
 * table the README carries between its dns-providers markers (scripts/provider-table.mjs).
 */
import type { CatalogEntry } from '../../challenges/dns-providers/catalog.js';
import { escapeControls, escapeJsonControls } from './escape.js';

export const DNS_PROVIDERS_SCHEMA_VERSION = 1;

export function renderDnsProviders(entries: readonly CatalogEntry[], format: 'table' | 'json' | 'markdown'): string[] {
  if (format === 'json') return [escapeJsonControls(JSON.stringify({ schemaVersion: DNS_PROVIDERS_SCHEMA_VERSION, providers: entries }, null, 2)) + '\n'];
  if (format === 'markdown') return [providerTableMarkdown(entries)];
  const blocks = entries.map((e) => {
    const lines = [`${e.name}${e.aliases.length > 0 ? ` (also ${e.aliases.join(', ')})` : ''}: ${e.title}`];
    for (const o of e.options) lines.push(`  ${o.key}${lego(o.legoEnv)}  ${o.description}`);
    for (const s of e.secrets) lines.push(`  ${s.forms.join(' | ')}${lego(s.legoEnv)}${s.optional ? ' (optional)' : ''}  ${s.description}`);
    lines.push(`  API: ${e.apiReference}`);
    return lines.map(escapeControls).join('\n');
  });
  return [`${blocks.join('\n\n')}\n\n${entries.length} providers, plus rfc2136 and exec; use one as challenge: { type: dns-01, provider: NAME, ... }\n`];
}

const lego = (names: readonly string[]) => (names.length > 0 ? ` [${names.join(', ')}]` : '');

const cell = (text: string) => text.replace(/\|/g, '\\|');
const code = (items: readonly string[]) => items.map((i) => `\`${i}\``).join(', ');

/** The README's provider table: one row per provider, from the registry (regenerate, never edit by hand). */
export function providerTableMarkdown(entries: readonly CatalogEntry[]): string {
  const rows = entries.map((e) =>
    [
      code([e.name, ...e.aliases]),
      e.title,
      e.options.map((o) => `\`${o.key}\`${o.legoEnv.length > 0 ? ` (${code(o.legoEnv)})` : ''}`).join('<br>') || '-',
      e.secrets.map((s) => `\`${s.key}\`${s.optional ? ' (optional)' : ''}${s.legoEnv.length > 0 ? ` (${code(s.legoEnv)})` : ''}`).join('<br>') || '-',
      `[API](${e.apiReference})`,
    ].map(cell),
  );
  const header = ['`provider:`', 'DNS', 'Options (lego variables)', 'Secrets: `x`, `xEnv` or `xFile` (lego variables)', 'Reference'];
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';
}
