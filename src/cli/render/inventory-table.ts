/**
 * The human view: what expires when, where it is, and what is wrong, most urgent first; then
 * each finding with its message and where it applies. Paths are shown relative to the cwd.
 */
import { relative } from 'node:path';
import Table from 'cli-table3';
import { severityRank, type CertificateRecord, type CertificateSource, type InventoryResult } from '../../inventory/model.js';
import { colors, paintSeverity, type Colors } from './colors.js';
import { escapeControls as t } from './escape.js';

/** Past this many rows a terminal table stops being read; the rest is in --format json/csv. */
const MAX_ROWS = 500;
const WHERE_WIDTH = 34;

export interface TableOptions {
  color: boolean;
  cwd: string;
}

export function renderInventoryTable(result: InventoryResult, options: TableOptions): string {
  const c = colors(options.color);
  const now = Date.parse(result.generatedAt);
  // Every text a certificate or a file name controls goes through t(): see escape.ts.
  const show = (path: string) => t(displayPath(path, options.cwd));
  const out: string[] = [];
  const rows = [...result.certificates].sort((a, b) => worst(b) - worst(a) || a.notAfter.localeCompare(b.notAfter));
  const shown = rows.length > MAX_ROWS ? rows.filter((r) => r.findings.length > 0).slice(0, MAX_ROWS) : rows;

  if (shown.length > 0) {
    const table = new Table({
      head: ['Expires', 'Names', 'Issuer', 'Key', 'Found in', 'Findings'].map((h) => c.bold(h)),
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [13, 28, 20, 9, WHERE_WIDTH + 2, 26],
    });
    for (const r of shown) table.push(row(r, now, c, show));
    out.push(table.toString());
  }
  if (shown.length < rows.length) {
    out.push(c.dim(`(${rows.length - shown.length} more certificates without findings not shown; use --format json or csv for all)`));
  }

  const withFindings = shown.filter((r) => r.findings.length > 0);
  if (withFindings.length > 0) {
    out.push('', c.bold('Findings'));
    for (const r of withFindings) {
      const name = t(r.sans[0] ?? r.commonName ?? r.subject);
      for (const f of r.findings) {
        const where = f.location ? ` at ${show(f.location)}` : '';
        out.push(`  ${paintSeverity(c, f.severity, f.id.padEnd(24))} ${name}${where}: ${t(f.message)}`);
      }
    }
  }
  const keyProblems = result.keys.filter((k) => k.findings.length > 0);
  if (keyProblems.length > 0) {
    out.push('', c.bold('Private keys'));
    for (const k of keyProblems) {
      for (const f of k.findings) out.push(`  ${paintSeverity(c, f.severity, f.id.padEnd(24))} ${show(k.path)}: ${t(f.message)}`);
    }
  }
  if (result.errors.length > 0) {
    out.push('', c.bold(c.red('Could not read')));
    for (const e of result.errors) out.push(`  ${show(e.source)}: ${t(e.message)}`);
  }
  const s = result.summary;
  out.push(
    '',
    `${s.certificates} certificates${s.keptCopies ? ` (${s.keptCopies} kept copies of certfleet deployments: earlier versions, files found before it)` : ''}, ${s.keys} private keys; findings: ${paintSeverity(c, 'error', `${s.findings.error} errors`)}, ` +
      `${paintSeverity(c, 'warning', `${s.findings.warning} warnings`)}, ${s.findings.info} info; ` +
      `${s.errors ? c.red(`${s.errors} sources unreadable`) : '0 sources unreadable'} (${(s.durationMs / 1000).toFixed(1)} s)`,
  );
  return out.join('\n') + '\n';
}

function worst(r: CertificateRecord): number {
  return r.findings.reduce((m, f) => Math.max(m, severityRank[f.severity] + 1), 0);
}

/** Proxies and endpoints say more about where a certificate matters than the files it sits in. */
const sourceOrder: Record<CertificateSource['kind'], number> = { proxy: 0, endpoint: 1, file: 2 };

function row(r: CertificateRecord, now: number, c: Colors, show: (p: string) => string): string[] {
  const daysLeft = Math.floor((Date.parse(r.notAfter) - now) / 86_400_000);
  const when = `${r.notAfter.slice(0, 10)}\n${daysLeft < 0 ? c.red(`${-daysLeft}d ago`) : `in ${daysLeft}d`}`;
  const names = r.sans.length ? r.sans.slice(0, 3).map(t).join('\n') + (r.sans.length > 3 ? `\n+${r.sans.length - 3} more` : '') : t(r.subject);
  const issuer = t(/CN=([^,]+)/.exec(r.issuer)?.[1] ?? r.issuer);
  const key = `${r.keyType} ${r.keyBits}`;
  const sources = [...r.sources].sort((a, b) => sourceOrder[a.kind] - sourceOrder[b.kind]);
  const where =
    sources.slice(0, 3).map((s) => describeSource(s, show)).join('\n') +
    (sources.length > 3 ? `\n+${sources.length - 3} more` : '');
  const findings = r.keptCopy
    ? c.dim(`certfleet ${r.managedBy?.role ?? 'kept'} copy\n(${t(r.managedBy?.name ?? '')})`)
    : r.findings.map((f) => paintSeverity(c, f.severity, f.id)).join('\n') || c.green('ok');
  return [when, names, issuer, key, where, findings];
}

/** `tag path`, the path shortened from the left so the tag and the file name always show. */
function describeSource(s: CertificateSource, show: (p: string) => string): string {
  const [tag, text] =
    s.kind === 'proxy'
      ? [s.proxy, show(s.location)]
      : s.kind === 'endpoint'
        ? ['tls', t(`${s.location}${s.sni && s.sni !== s.host ? ` (${s.sni})` : ''}`)]
        : [s.format === 'pem' || s.format === 'der' ? '' : s.format, show(s.location)];
  return tag ? `${tag} ${truncateLeft(text, WHERE_WIDTH - tag.length - 1)}` : truncateLeft(text, WHERE_WIDTH);
}

function displayPath(path: string, cwd: string): string {
  if (!path.startsWith('/')) return path;
  const rel = relative(cwd, path);
  return rel.startsWith('../..') ? path : rel || '.';
}

/** Keep the end of a long path, which names the file. */
function truncateLeft(text: string, width: number): string {
  return text.length <= width ? text : `…${text.slice(text.length - width + 1)}`;
}
