/** The human view: what expires when, where it is, and what is wrong, most urgent first. */
import Table from 'cli-table3';
import { severityRank, type CertificateRecord, type InventoryResult } from '../../inventory/model.js';
import { colors, paintSeverity, type Colors } from './colors.js';

/** Past this many rows a terminal table stops being read; the rest is in --format json/csv. */
const MAX_ROWS = 500;

export function renderInventoryTable(result: InventoryResult, color: boolean): string {
  const c = colors(color);
  const now = Date.parse(result.generatedAt);
  const out: string[] = [];
  const rows = [...result.certificates].sort((a, b) => worst(b) - worst(a) || a.notAfter.localeCompare(b.notAfter));
  const shown = rows.length > MAX_ROWS ? rows.filter((r) => r.findings.length > 0).slice(0, MAX_ROWS) : rows;

  if (shown.length > 0) {
    const table = new Table({
      head: ['Expires', 'Names', 'Issuer', 'Key', 'Found in', 'Findings'].map((h) => c.bold(h)),
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [14, 30, 22, 9, 36, 30],
    });
    for (const r of shown) table.push(row(r, now, c));
    out.push(table.toString());
  }
  if (shown.length < rows.length) {
    out.push(c.dim(`(${rows.length - shown.length} more certificates without findings not shown; use --format json or csv for all)`));
  }

  const keyProblems = result.keys.filter((k) => k.findings.length > 0);
  if (keyProblems.length > 0) {
    out.push('', c.bold('Private keys'));
    for (const k of keyProblems) {
      for (const f of k.findings) out.push(`  ${paintSeverity(c, f.severity, f.id.padEnd(22))} ${k.path}: ${f.message}`);
    }
  }
  if (result.errors.length > 0) {
    out.push('', c.bold(c.red('Could not read')));
    for (const e of result.errors) out.push(`  ${e.source}: ${e.message}`);
  }
  const s = result.summary;
  out.push(
    '',
    `${s.certificates} certificates, ${s.keys} private keys; findings: ${paintSeverity(c, 'error', `${s.findings.error} errors`)}, ` +
      `${paintSeverity(c, 'warning', `${s.findings.warning} warnings`)}, ${s.findings.info} info; ` +
      `${s.errors ? c.red(`${s.errors} sources unreadable`) : '0 sources unreadable'} (${(s.durationMs / 1000).toFixed(1)} s)`,
  );
  return out.join('\n') + '\n';
}

function worst(r: CertificateRecord): number {
  return r.findings.reduce((m, f) => Math.max(m, severityRank[f.severity] + 1), 0);
}

function row(r: CertificateRecord, now: number, c: Colors): string[] {
  const daysLeft = Math.floor((Date.parse(r.notAfter) - now) / 86_400_000);
  const when = `${r.notAfter.slice(0, 10)}\n${daysLeft < 0 ? c.red(`${-daysLeft}d ago`) : `in ${daysLeft}d`}`;
  const names = r.sans.length ? r.sans.slice(0, 3).join('\n') + (r.sans.length > 3 ? `\n+${r.sans.length - 3} more` : '') : r.subject;
  const issuer = r.issuer.replace(/^.*CN=/, '') || r.issuer;
  const key = `${r.keyType} ${r.keyBits}`;
  const where = r.sources.slice(0, 2).map((s) => `${s.kind}: ${s.location}`).join('\n') + (r.sources.length > 2 ? `\n+${r.sources.length - 2} more` : '');
  const findings = r.findings.map((f) => paintSeverity(c, f.severity, f.id)).join('\n') || c.green('ok');
  return [when, names, issuer, key, where, findings];
}
