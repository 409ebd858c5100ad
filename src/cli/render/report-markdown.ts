/**
 * The report as Markdown (GitHub-flavoured tables): for a pull request comment, a wiki page or a
 * ticket. Long lists are cut to their first rows with a count of the rest; JSON and CSV hold all.
 */
import type { DeadlineReport, ReadinessReport } from '../../report/model.js';
import { escapeControls } from './escape.js';
import { automationLabel, dcvText, deadlineTitle, displayPath, fleetLine, placeLookup } from './report-text.js';

export interface MarkdownOptions {
  cwd: string;
}

const MAX_ROWS = 50;
const MAX_ACTIONS = 25;

/**
 * Backslash-escape what Markdown (and inline HTML) would interpret; keep a table cell on one line;
 * other control characters (ESC from a certificate subject) as visible escapes (escape.ts).
 */
export function md(text: string | number): string {
  return escapeControls(String(text).replace(/[\\`*_[\]<>|#!{}]/g, '\\$&').replace(/&/g, '&amp;').replace(/\r?\n/g, ' '));
}

export function* renderReportMarkdown(r: ReadinessReport, options: MarkdownOptions): Iterable<string> {
  const where = (p: string) => md(p.startsWith('/') || p.includes('/') ? displayPath(p, options.cwd) : p);
  yield '# certfleet readiness report\n\n';
  yield `As of **${r.asOf.slice(0, 10)}** · policy timeline of ${r.timelineUpdated}${r.fleet.inventoryGeneratedAt ? ` · inventory of ${md(r.fleet.inventoryGeneratedAt.slice(0, 16).replace('T', ' '))} UTC` : ''}\n\n`;
  yield `${md(fleetLine(r))}.\n\n`;
  if (r.fleet.inventoryErrors.length) yield `> **${r.fleet.inventoryErrors.length} sources could not be read**: this report may be incomplete.\n\n`;
  if (r.fleet.managedNotInInventory.length) yield `> Managed certificates the inventory did not find: ${r.fleet.managedNotInInventory.map(md).join(', ')}.\n\n`;

  yield '## Deadlines\n\n';
  yield '| Deadline | Effective | Max lifetime | Score | Will break | By hand | Automated, shorter | In scope |\n|---|---|--:|--:|--:|--:|--:|--:|\n';
  for (const d of r.deadlines) {
    yield `| ${md(d.profile ? `${d.authority} (${d.profile})` : d.authority)} \`${d.id}\` | ${d.effective}${d.inForce ? ' (in force)' : ''} | ${d.maxValidityDays} days | **${d.score}** | ${d.counts.blocking} | ${d.counts.violatingManual} | ${d.counts.violatingAutomated} | ${d.counts.inScope} |\n`;
  }
  if (r.deadlines.length === 0) yield '| none | | | | | | | |\n';

  yield '\n## What to fix first\n\n';
  if (r.actions.length === 0) yield 'Nothing.\n';
  for (const a of r.actions.slice(0, MAX_ACTIONS)) {
    yield `${a.rank}. **${md(a.title)}**: ${md(a.detail)} _(${a.deadline}, due ${a.dueBy}${a.scoreGain ? `, +${a.scoreGain} point${a.scoreGain === 1 ? '' : 's'}` : ''})_\n`;
  }
  if (r.actions.length > MAX_ACTIONS) yield `\n…and ${r.actions.length - MAX_ACTIONS} more (see the JSON report).\n`;

  const placeOf = placeLookup(r);
  for (const d of r.deadlines) yield* deadlineSection(d, (fingerprint) => where(placeOf(fingerprint)));

  yield '\n## Renewal schedules at shorter lifetimes\n\n';
  yield '| Lifetime | ok | wasteful | tight | break | count fixed days |\n|---|--:|--:|--:|--:|--:|\n';
  for (const p of r.cadence) yield `| ${md(p.label)} | ${p.counts.ok} | ${p.counts.wasteful} | ${p.counts.tight} | ${p.counts.fails + p.counts.storm} | ${p.fixedDays} |\n`;
  const problems = r.cadence.flatMap((p) => p.problems.filter((x) => x.verdict !== 'ok').map((x) => ({ ...x, label: p.label })));
  if (problems.length) {
    yield '\n';
    for (const x of problems.slice(0, MAX_ROWS)) yield `- **${md(x.name)}** at ${md(x.label)}: ${x.verdict}: ${md(x.reason)}\n`;
    if (problems.length > MAX_ROWS) yield `- …and ${problems.length - MAX_ROWS} more\n`;
  }

  const rev = r.revocation;
  yield '\n## Revocation readiness\n\n';
  for (const reason of rev.reasons) yield `- ${md(reason)}\n`;
  if (rev.drill) {
    yield `- Last drill ${md(rev.drill.id ?? '')} ${rev.drill.startedAt} to ${rev.drill.finishedAt}: ${rev.drill.certificates} certificates, ${Math.round(rev.drill.shareAutomated * 100)}% automated, `;
    yield `${rev.deadlines.map((d) => `${Math.round((rev.drill!.replacedWithin[d.id] ?? 0) * 100)}% replaced within ${d.hours} h`).join(', ')}, ${rev.drill.notReplaced} not replaced.\n`;
  }
  yield `- Projected share of the fleet replaced: ${rev.deadlines.map((d) => `${Math.round((rev.fleetWithin[d.id] ?? 0) * 100)}% within ${d.hours} h`).join(', ')}.\n`;
  for (const dep of rev.ocspDependencies.slice(0, MAX_ROWS)) yield `- **${md(dep.name)}**: ${md(dep.reason)}\n`;
  if (r.rateBudget?.cas.length) {
    yield '\n## CA rate limits\n\n';
    for (const ca of r.rateBudget.cas) yield `- ${ca.finding ? `**${ca.finding.severity}**: ` : ''}${md(ca.message)}\n`;
  }

  yield '\n## Findings\n\n';
  if (r.findings.length === 0) yield 'None.\n';
  else {
    yield '| Finding | Severity | Count |\n|---|---|--:|\n';
    for (const f of r.findings) yield `| \`${f.id}\` ${md(f.title)} | ${f.severity} | ${f.count} |\n`;
  }

  yield '\n## Sources\n\n';
  for (const d of r.deadlines) yield `- \`${d.id}\`: ${md(d.source)}\n`;
  yield `\nScore: lifetime 35, automation 25, cadence 15, domain-validation reuse 10, revocation 15 points (README, "certfleet report").\n`;
}

function* deadlineSection(d: DeadlineReport, where: (fingerprint: string) => string): Iterable<string> {
  yield `\n## ${md(deadlineTitle(d))}\n\n`;
  yield `\`${d.id}\` · score **${d.score}**/100 (lifetime ${d.scoreParts.lifetime}, automation ${d.scoreParts.automation}, cadence ${d.scoreParts.cadence}, validation reuse ${d.scoreParts.dcvReuse}, revocation ${d.scoreParts.revocation})\n\n`;
  for (const reason of d.reasons) yield `- ${md(reason)}\n`;
  yield `- Schedules at ${d.maxValidityDays} days: ${d.cadence.counts.ok} ok, ${d.cadence.counts.wasteful} wasteful, ${d.cadence.counts.tight} tight, ${d.cadence.counts.fails + d.cadence.counts.storm} break; ${d.cadence.fixedDays} count fixed days\n`;
  yield `- ${md(dcvText(d))}\n`;
  if (d.violating.length) {
    yield '\n| Certificate | Renewed | Breaks | Next issuance | Where | Why |\n|---|---|---|---|---|---|\n';
    for (const v of d.violating.slice(0, MAX_ROWS)) {
      yield `| ${md(v.name)} | ${automationLabel[v.automation]} | ${v.blocking ? '**yes**' : 'no'} | ${v.nextIssuance} | ${where(v.fingerprintSha256)} | ${md(v.reason)} |\n`;
    }
    if (d.violating.length > MAX_ROWS) yield `\n…and ${d.violating.length - MAX_ROWS} more (see the CSV or JSON report).\n`;
  }
  const dns = d.dcvReuse.entries.filter((e) => e.fix !== 'http-01-or-dns-01');
  if (d.dcvReuse.exposed && dns.length) {
    yield `\nNames that need dns-01 or a working challenge: ${dns.slice(0, MAX_ROWS).map((e) => md(e.name)).join(', ')}${dns.length > MAX_ROWS ? ` …and ${dns.length - MAX_ROWS} more` : ''}\n`;
  }
}
