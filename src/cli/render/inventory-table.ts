/**
 * The human view: what expires when, where it is, and what is wrong, most urgent first; then
 * each finding with its message and where it applies. Paths are shown relative to the cwd.
 */
import { relative } from 'node:path';
import { severityRank, type CertificateRecord, type CertificateSource, type InventoryResult } from '../../inventory/model.js';
import { colors, paintSeverity, type Colors } from './colors.js';
import { escapeControls as t } from './escape.js';
import { boxTable, type Cell, type CellLine } from './text-table.js';

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
  const rows = mostUrgentFirst(result.certificates);
  const shown = rows.length > MAX_ROWS ? rows.filter((r) => r.findings.length > 0).slice(0, MAX_ROWS) : rows;

  if (shown.length > 0) {
    const head = ['Expires', 'Names', 'Issuer', 'Key', 'Found in', 'Findings'].map((h): Cell => [{ text: h, paint: c.bold }]);
    out.push(boxTable(head, shown.map((r) => row(r, now, c, show)), [13, 28, 20, 9, WHERE_WIDTH + 2, 26]));
  }
  if (shown.length < rows.length) {
    const hidden = rows.length - shown.length;
    // Past MAX_ROWS certificates with findings, some of those are left out too: say so.
    const hiddenWithFindings = rows.filter((r) => r.findings.length > 0).length - shown.length;
    const what = hiddenWithFindings > 0 ? `more certificates not shown (${hiddenWithFindings} of them with findings)` : 'more certificates without findings not shown';
    out.push(c.dim(`(${hidden} ${what}; use --format json or csv for all)`));
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
    `${s.certificates} certificates${s.keptCopies ? ` (${s.keptCopies} kept copies of certfleet deployments: earlier versions, files found before it)` : ''}${s.trustAnchors ? `, ${s.trustAnchors} trust anchors from system trust stores (not checked)` : ''}, ${s.keys} private keys; findings: ${paintSeverity(c, 'error', `${s.findings.error} errors`)}, ` +
      `${paintSeverity(c, 'warning', `${s.findings.warning} warnings`)}, ${s.findings.info} info; ` +
      `${s.errors ? c.red(`${s.errors} sources unreadable`) : '0 sources unreadable'} (${(s.durationMs / 1000).toFixed(1)} s)`,
  );
  return out.join('\n') + '\n';
}

/** Worst finding first, then soonest expiry; each key computed once (a sort compares n log n times). */
function mostUrgentFirst(certificates: CertificateRecord[]): CertificateRecord[] {
  const keyed = certificates.map((r) => ({ r, worst: worst(r) }));
  // ISO 8601 UTC strings of one shape sort as their instants do.
  keyed.sort((a, b) => b.worst - a.worst || (a.r.notAfter < b.r.notAfter ? -1 : a.r.notAfter > b.r.notAfter ? 1 : 0));
  return keyed.map((k) => k.r);
}

function worst(r: CertificateRecord): number {
  return r.findings.reduce((m, f) => Math.max(m, severityRank[f.severity] + 1), 0);
}

/** Proxies and endpoints say more about where a certificate matters than the files it sits in. */
const sourceOrder: Record<CertificateSource['kind'], number> = { proxy: 0, endpoint: 1, file: 2 };

function row(r: CertificateRecord, now: number, c: Colors, show: (p: string) => string): Cell[] {
  const daysLeft = Math.floor((Date.parse(r.notAfter) - now) / 86_400_000);
  const when: Cell = [{ text: r.notAfter.slice(0, 10) }, daysLeft < 0 ? { text: `${-daysLeft}d ago`, paint: c.red } : { text: `in ${daysLeft}d` }];
  const names: Cell = r.sans.length
    ? [...r.sans.slice(0, 3).map((n) => ({ text: t(n) })), ...more(r.sans.length - 3)]
    : [{ text: t(r.subject) }];
  const issuer: Cell = [{ text: t(/CN=([^,]+)/.exec(r.issuer)?.[1] ?? r.issuer) }];
  const key: Cell = [{ text: `${r.keyType} ${r.keyBits}` }];
  const sources = [...r.sources].sort((a, b) => sourceOrder[a.kind] - sourceOrder[b.kind]);
  const where: Cell = [...sources.slice(0, 3).map((s) => ({ text: describeSource(s, show) })), ...more(sources.length - 3)];
  const findings: Cell = r.keptCopy
    ? [{ text: `certfleet ${r.managedBy?.role ?? 'kept'} copy`, paint: c.dim }, { text: `(${t(r.managedBy?.name ?? '')})`, paint: c.dim }]
    : r.trustAnchor && r.findings.length === 0
      ? [{ text: 'trust anchor', paint: c.dim }, { text: '(not checked)', paint: c.dim }]
      : r.findings.length
        ? r.findings.map((f) => ({ text: f.id, paint: (s: string) => paintSeverity(c, f.severity, s) }))
        : [{ text: 'ok', paint: c.green }];
  return [when, names, issuer, key, where, findings];
}

function more(n: number): CellLine[] {
  return n > 0 ? [{ text: `+${n} more` }] : [];
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
