/**
 * The report as one self-contained HTML file: inline CSS and SVG, no script, no external font,
 * image or stylesheet (a Content-Security-Policy in the page forbids fetching any), readable on a
 * phone, a wide screen and on paper (@media print). Long lists are cut like in Markdown.
 */
import type { DeadlineReport, ReadinessReport } from '../../report/model.js';
import { escapeXml as h, expiryChart, readinessChart, scoreColor } from './report-charts.js';
import { automationLabel, dcvText, deadlineTitle, displayPath, fleetLine, placeLookup } from './report-text.js';

export interface HtmlOptions {
  cwd: string;
}

const MAX_ROWS = 100;
const MAX_ACTIONS = 30;

const css = `
:root { color-scheme: light; --ink: #222; --muted: #666; --line: #ddd; --bg-soft: #f6f6f4; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 20px 48px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; overflow-wrap: anywhere; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 16px; margin: 20px 0 6px; }
p.meta, .muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr)); gap: 16px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: var(--bg-soft); min-width: 0; }
.chart { display: block; width: 100%; height: auto; max-width: 760px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; word-break: break-word; }
th { background: var(--bg-soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg-soft); padding: 0 3px; border-radius: 3px; }
.score { display: inline-block; min-width: 2.6em; padding: 1px 6px; border-radius: 10px; color: #fff; font-weight: 700; text-align: center; }
.yes { color: #b3261e; font-weight: 600; }
ol.actions li { margin: 0 0 8px; } ol.actions .why { color: var(--muted); display: block; }
ul.reasons { margin: 6px 0; padding-left: 20px; }
@media (min-width: 641px) { td.cert { min-width: 11em; } td.when { white-space: nowrap; } }
.note { border-left: 4px solid #b7860b; padding: 6px 10px; background: #fff8e6; }
@media (max-width: 640px) {
  body { padding: 16px 10px 32px; font-size: 14px; }
  table { font-size: 12px; } th, td { padding: 4px 4px; } td.num, th.num { white-space: normal; }
  .wide { display: none; }
}
@media print {
  @page { margin: 14mm; }
  body { max-width: none; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; } tr, .card, li { break-inside: avoid; }
  .chart, .score { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .grid { display: block; } .card { margin-bottom: 10px; background: none; }
}
`;

export function* renderReportHtml(r: ReadinessReport, options: HtmlOptions): Iterable<string> {
  const day = r.asOf.slice(0, 10);
  yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n';
  yield `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">\n`;
  yield '<meta name="viewport" content="width=device-width, initial-scale=1">\n';
  yield `<title>certfleet readiness report ${h(day)}</title>\n<style>${css}</style>\n</head>\n<body>\n`;
  yield `<h1>certfleet readiness report</h1>\n<p class="meta">As of <strong>${h(day)}</strong> · policy timeline of ${h(r.timelineUpdated)}${r.fleet.inventoryGeneratedAt ? ` · inventory of ${h(r.fleet.inventoryGeneratedAt.slice(0, 16).replace('T', ' '))} UTC` : ''}</p>\n`;
  yield `<p>${h(fleetLine(r))}.</p>\n`;
  if (r.fleet.inventoryErrors.length) yield `<p class="note"><strong>${r.fleet.inventoryErrors.length} sources could not be read</strong>: this report may be incomplete.</p>\n`;
  if (r.fleet.managedNotInInventory.length) yield `<p class="note">Managed certificates the inventory did not find: ${h(r.fleet.managedNotInInventory.join(', '))}.</p>\n`;

  yield '<div class="grid">\n';
  yield `<div class="card"><h3>Readiness per deadline</h3>${readinessChart(r)}</div>\n`;
  yield `<div class="card"><h3>Expiries over the next year</h3>${expiryChart(r)}</div>\n`;
  yield '</div>\n';

  yield '<h2>Deadlines</h2>\n<table>\n<thead><tr><th>Deadline</th><th>Effective</th><th class="num">Max lifetime</th><th class="num">Score</th><th class="num">Will break</th><th class="num wide">By hand</th><th class="num wide">Automated, shorter</th><th class="num wide">In scope</th></tr></thead>\n<tbody>\n';
  for (const d of r.deadlines) {
    yield `<tr><td>${h(d.profile ? `${d.authority} (${d.profile})` : d.authority)} <code>${h(d.id)}</code></td><td>${h(d.effective)}${d.inForce ? ' (in force)' : ''}</td><td class="num">${d.maxValidityDays} days</td><td class="num">${badge(d.score)}</td><td class="num">${d.counts.blocking}</td><td class="num wide">${d.counts.violatingManual}</td><td class="num wide">${d.counts.violatingAutomated}</td><td class="num wide">${d.counts.inScope}</td></tr>\n`;
  }
  yield '</tbody>\n</table>\n';

  yield '<h2>What to fix first</h2>\n';
  if (r.actions.length === 0) yield '<p>Nothing.</p>\n';
  else {
    yield '<ol class="actions">\n';
    for (const a of r.actions.slice(0, MAX_ACTIONS)) {
      yield `<li><strong>${h(a.title)}</strong> <span class="muted">(${h(a.deadline)}, due ${h(a.dueBy)}${a.scoreGain ? `, +${a.scoreGain} point${a.scoreGain === 1 ? '' : 's'}` : ''})</span><span class="why">${h(a.detail)}</span></li>\n`;
    }
    yield '</ol>\n';
    if (r.actions.length > MAX_ACTIONS) yield `<p class="muted">…and ${r.actions.length - MAX_ACTIONS} more (see the JSON report).</p>\n`;
  }

  const placeOf = placeLookup(r);
  for (const d of r.deadlines) yield* deadlineSection(d, options.cwd, placeOf);

  yield '<h2>Renewal schedules at shorter lifetimes</h2>\n<table>\n<thead><tr><th>Lifetime</th><th class="num">ok</th><th class="num">wasteful</th><th class="num">tight</th><th class="num">break</th><th class="num">count fixed days</th></tr></thead>\n<tbody>\n';
  for (const p of r.cadence) yield `<tr><td>${h(p.label)}</td><td class="num">${p.counts.ok}</td><td class="num">${p.counts.wasteful}</td><td class="num">${p.counts.tight}</td><td class="num">${p.counts.fails + p.counts.storm}</td><td class="num">${p.fixedDays}</td></tr>\n`;
  yield '</tbody>\n</table>\n';
  const problems = r.cadence.flatMap((p) => p.problems.map((x) => ({ ...x, label: p.label })));
  if (problems.length) {
    yield '<ul class="reasons">\n';
    for (const x of problems.slice(0, MAX_ROWS)) yield `<li><strong>${h(x.name)}</strong> at ${h(x.label)}: ${h(x.verdict)}: ${h(x.reason)}</li>\n`;
    yield '</ul>\n';
  }

  const rev = r.revocation;
  yield '<h2>Revocation readiness</h2>\n<ul class="reasons">\n';
  for (const reason of rev.reasons) yield `<li>${h(reason)}</li>\n`;
  yield `<li>Projected share of the fleet replaced: ${h(rev.deadlines.map((d) => `${Math.round((rev.fleetWithin[d.id] ?? 0) * 100)}% within ${d.hours} h`).join(', '))}.</li>\n`;
  if (rev.drill) {
    yield `<li>Last drill ${h(rev.drill.id ?? '')} (${h(rev.drill.startedAt)} to ${h(rev.drill.finishedAt)}): ${rev.drill.certificates} certificates, ${Math.round(rev.drill.shareAutomated * 100)}% automated, ${h(rev.deadlines.map((d) => `${Math.round((rev.drill!.replacedWithin[d.id] ?? 0) * 100)}% replaced within ${d.hours} h`).join(', '))}, ${rev.drill.notReplaced} not replaced.</li>\n`;
  }
  for (const dep of rev.ocspDependencies.slice(0, MAX_ROWS)) yield `<li><strong>${h(dep.name)}</strong>: ${h(dep.reason)}</li>\n`;
  yield '</ul>\n';
  if (r.rateBudget?.cas.length) {
    yield '<h2>CA rate limits</h2>\n<ul class="reasons">\n';
    for (const ca of r.rateBudget.cas) yield `<li>${ca.finding ? `<span class="yes">${h(ca.finding.severity)}</span>: ` : ''}${h(ca.message)}</li>\n`;
    yield '</ul>\n';
  }

  yield '<h2>Findings</h2>\n';
  if (r.findings.length === 0) yield '<p>None.</p>\n';
  else {
    yield '<table>\n<thead><tr><th>Finding</th><th>Severity</th><th class="num">Count</th></tr></thead>\n<tbody>\n';
    for (const f of r.findings) yield `<tr><td><code>${h(f.id)}</code> ${h(f.title)}</td><td>${h(f.severity)}</td><td class="num">${f.count}</td></tr>\n`;
    yield '</tbody>\n</table>\n';
  }

  yield '<h2>Sources</h2>\n<ul class="reasons">\n';
  for (const d of r.deadlines) yield `<li><code>${h(d.id)}</code>: ${h(d.source)}</li>\n`;
  yield '</ul>\n<p class="muted">Score: lifetime 35, automation 25, cadence 15, domain-validation reuse 10, revocation 15 points (README, “certfleet report”).</p>\n';
  yield '</body>\n</html>\n';
}

function badge(score: number): string {
  return `<span class="score" style="background:${scoreColor(score)}">${score}</span>`;
}

function* deadlineSection(d: DeadlineReport, cwd: string, placeOf: (fingerprint: string) => string): Iterable<string> {
  yield `<h2>${h(deadlineTitle(d))}</h2>\n`;
  yield `<p><code>${h(d.id)}</code> · score ${badge(d.score)} <span class="muted">lifetime ${d.scoreParts.lifetime}, automation ${d.scoreParts.automation}, cadence ${d.scoreParts.cadence}, validation reuse ${d.scoreParts.dcvReuse}, revocation ${d.scoreParts.revocation}</span></p>\n`;
  yield '<ul class="reasons">\n';
  for (const reason of d.reasons) yield `<li>${h(reason)}</li>\n`;
  yield `<li>Schedules at ${d.maxValidityDays} days: ${d.cadence.counts.ok} ok, ${d.cadence.counts.wasteful} wasteful, ${d.cadence.counts.tight} tight, ${d.cadence.counts.fails + d.cadence.counts.storm} break; ${d.cadence.fixedDays} count fixed days</li>\n`;
  yield `<li>${h(dcvText(d))}</li>\n</ul>\n`;
  if (d.violating.length) {
    yield '<table>\n<thead><tr><th>Certificate</th><th>Renewed</th><th>Breaks</th><th>Next issuance</th><th class="wide">Where</th><th>Why</th></tr></thead>\n<tbody>\n';
    for (const v of d.violating.slice(0, MAX_ROWS)) {
      const where = placeOf(v.fingerprintSha256);
      const place = where.startsWith('/') ? displayPath(where, cwd) : where;
      yield `<tr><td class="cert" title="${h(v.fingerprintSha256)}">${h(v.name)}</td><td>${automationLabel[v.automation]}</td><td>${v.blocking ? '<span class="yes">yes</span>' : 'no'}</td><td class="when">${h(v.nextIssuance)}</td><td class="wide">${h(place)}</td><td>${h(v.reason)}</td></tr>\n`;
    }
    yield '</tbody>\n</table>\n';
    if (d.violating.length > MAX_ROWS) yield `<p class="muted">…and ${d.violating.length - MAX_ROWS} more (see the CSV or JSON report).</p>\n`;
  }
}
