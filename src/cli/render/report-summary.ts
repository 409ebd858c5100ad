/**
 * The human summary for a terminal: each deadline with its score and why, the first things to fix,
 * how schedules fare at 47/45/6 days, revocation readiness and the findings. Short by design;
 * every list ends with a pointer to the formats that hold all of it.
 */
import type { ReadinessReport } from '../../report/model.js';
import { colors, paintSeverity, type Colors } from './colors.js';
import { escapeControls as t } from './escape.js';
import { fleetHostsLines } from './report-fleet.js';
import { rateBudgetLines } from './report-rate-budget.js';
import { deadlineTitle, fleetLine, revocationLine } from './report-text.js';

export interface SummaryOptions {
  color: boolean;
}

const MAX_ACTIONS = 10;
const MAX_REASONS = 3;

export function renderReportSummary(r: ReadinessReport, options: SummaryOptions): string {
  const c = colors(options.color);
  const out: string[] = [];
  out.push(c.bold(`certfleet readiness report as of ${r.asOf.slice(0, 10)}`) + c.dim(` (timeline of ${r.timelineUpdated}${r.fleet.inventoryGeneratedAt ? `, inventory of ${r.fleet.inventoryGeneratedAt.slice(0, 16).replace('T', ' ')}` : ''})`));
  // Names, reasons and titles can carry text from certificates and files: t() escapes it (escape.ts).
  out.push(fleetLine(r));
  if (r.fleet.managedNotInInventory.length) out.push(c.yellow(`managed by certfleet but not found by the inventory: ${r.fleet.managedNotInInventory.slice(0, 5).map(t).join(', ')}${r.fleet.managedNotInInventory.length > 5 ? ` and ${r.fleet.managedNotInInventory.length - 5} more` : ''}`));
  if (r.fleet.inventoryErrors.length) out.push(c.red(`${r.fleet.inventoryErrors.length} sources could not be read: this report may be incomplete`));

  out.push('', c.bold('Deadlines'));
  if (r.deadlines.length === 0) out.push('  none listed');
  for (const d of r.deadlines) {
    const counts = d.counts;
    out.push(
      `  ${bar(d.score, c)} ${paintScore(d.score, c, String(d.score).padStart(3))}  ${t(deadlineTitle(d))}  ${c.dim(t(d.id))}`,
      `        ${counts.blocking} will break (${counts.violatingManual} renewed by hand), ${counts.violatingAutomated} automated ones get shorter certificates; ${counts.inScope} in scope`,
    );
    for (const reason of d.reasons.slice(0, MAX_REASONS)) out.push(c.dim(`        ${t(reason)}`));
  }

  out.push('', c.bold('What to fix first'));
  if (r.actions.length === 0) out.push('  nothing');
  for (const a of r.actions.slice(0, MAX_ACTIONS)) {
    out.push(`  ${String(a.rank).padStart(2)}. ${t(a.title)}  ${c.dim(`[${t(a.deadline)}, due ${a.dueBy}${a.scoreGain ? `, +${a.scoreGain}` : ''}]`)}`);
  }
  if (r.actions.length > MAX_ACTIONS) out.push(c.dim(`      (${r.actions.length - MAX_ACTIONS} more actions: --format markdown, html or json)`));

  if (r.cadence.length) {
    out.push('', c.bold('Renewal schedules at shorter lifetimes'));
    for (const p of r.cadence) {
      const n = p.counts;
      const broken = n.fails + n.storm;
      out.push(`  ${p.label}: ${n.ok} ok, ${n.wasteful} wasteful, ${n.tight ? c.yellow(`${n.tight} tight`) : '0 tight'}, ${broken ? c.red(`${broken} break`) : '0 break'}${p.fixedDays ? `; ${p.fixedDays} count fixed days` : ''}`);
      for (const problem of p.problems.filter((x) => x.verdict === 'fails' || x.verdict === 'storm').slice(0, 3)) out.push(c.dim(`      ${t(problem.name)}: ${t(problem.reason)}`));
    }
  }

  out.push('', `${c.bold('Revocation')}: ${t(revocationLine(r))}`);
  if (r.findings.length) {
    out.push(`${c.bold('Findings')}: ${r.findings.map((f) => `${paintSeverity(c, f.severity, f.id)} ${f.count}`).join(', ')}`);
  }
  out.push(...rateBudgetLines(r, c));
  out.push(...fleetHostsLines(r, c));
  out.push('', c.dim('All of it: --format json | markdown | html | csv | sarif | prometheus'));
  return out.join('\n') + '\n';
}

function paintScore(score: number, c: Colors, text: string): string {
  return score >= 80 ? c.green(text) : score >= 50 ? c.yellow(text) : c.red(text);
}

function bar(score: number, c: Colors): string {
  const filled = Math.round(score / 10);
  return paintScore(score, c, '█'.repeat(filled)) + c.dim('░'.repeat(10 - filled));
}
