/**
 * Inline SVG charts for the HTML report: no script, no font or image to fetch. Each chart has a
 * fixed viewBox and scales to its container's width, so it never overflows the page or the print.
 */
import type { ReadinessReport } from '../../report/model.js';
import { escapeControls } from './escape.js';
import { expiryBuckets } from './report-text.js';

/** XML/HTML text and attribute values; control characters as visible escapes too (escape.ts), so `cat` of the file is safe. */
export function escapeXml(text: string | number): string {
  return escapeControls(String(text)).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

export const chartColors = { automated: '#2f7d4f', manual: '#c2571a', good: '#2f7d4f', fair: '#b7860b', poor: '#b3261e', track: '#e6e6e6', ink: '#222', muted: '#666' };

export function scoreColor(score: number): string {
  return score >= 80 ? chartColors.good : score >= 50 ? chartColors.fair : chartColors.poor;
}

/** One horizontal bar per deadline, its score out of 100. */
export function readinessChart(r: ReadinessReport): string {
  const width = 480;
  const row = 40;
  const top = 8;
  const barX = 0;
  const barWidth = 430;
  const height = top + row * Math.max(1, r.deadlines.length) + 8;
  const parts: string[] = [];
  r.deadlines.forEach((d, i) => {
    const y = top + i * row;
    const label = `${d.profile ? `${d.authority} ${d.profile}` : d.authority}: ${d.maxValidityDays} days ${d.inForce ? 'since' : 'from'} ${d.effective}`;
    parts.push(
      `<text x="${barX}" y="${y + 11}" font-size="12" fill="${chartColors.ink}">${escapeXml(label)}</text>`,
      `<rect x="${barX}" y="${y + 16}" width="${barWidth}" height="14" rx="3" fill="${chartColors.track}"/>`,
      `<rect x="${barX}" y="${y + 16}" width="${Math.round((barWidth * d.score) / 100)}" height="14" rx="3" fill="${scoreColor(d.score)}"/>`,
      `<text x="${barX + barWidth + 8}" y="${y + 28}" font-size="13" font-weight="bold" fill="${chartColors.ink}">${d.score}</text>`,
    );
  });
  if (r.deadlines.length === 0) parts.push(`<text x="0" y="28" font-size="12" fill="${chartColors.muted}">no deadline listed</text>`);
  return svg(width, height, 'Readiness score per deadline', parts);
}

/** Certificates in scope expiring per month over the next year, stacked by who renews them. */
export function expiryChart(r: ReadinessReport): string {
  const buckets = expiryBuckets(r);
  const width = 560;
  const height = 250;
  const left = 30;
  const bottom = 200;
  const plotHeight = 170;
  const slot = (width - left) / buckets.length;
  const barWidth = Math.max(4, slot * 0.72);
  const max = Math.max(1, ...buckets.map((b) => b.automated + b.manual));
  const scale = (n: number) => (n / max) * plotHeight;
  const parts: string[] = [
    `<line x1="${left}" y1="${bottom}" x2="${width}" y2="${bottom}" stroke="${chartColors.muted}" stroke-width="1"/>`,
    `<text x="${left - 6}" y="${bottom - plotHeight + 4}" font-size="11" text-anchor="end" fill="${chartColors.muted}">${max}</text>`,
    `<text x="${left - 6}" y="${bottom + 4}" font-size="11" text-anchor="end" fill="${chartColors.muted}">0</text>`,
  ];
  buckets.forEach((b, i) => {
    const x = left + i * slot + (slot - barWidth) / 2;
    const hAuto = scale(b.automated);
    const hManual = scale(b.manual);
    if (b.automated) parts.push(`<rect x="${x.toFixed(1)}" y="${(bottom - hAuto).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${hAuto.toFixed(1)}" fill="${chartColors.automated}"><title>${escapeXml(`${b.label}: ${b.automated} automated`)}</title></rect>`);
    if (b.manual) parts.push(`<rect x="${x.toFixed(1)}" y="${(bottom - hAuto - hManual).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${hManual.toFixed(1)}" fill="${chartColors.manual}"><title>${escapeXml(`${b.label}: ${b.manual} by hand`)}</title></rect>`);
    const total = b.automated + b.manual;
    if (total) parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${(bottom - hAuto - hManual - 4).toFixed(1)}" font-size="10" text-anchor="middle" fill="${chartColors.ink}">${total}</text>`);
    parts.push(`<text x="${(x + barWidth / 2).toFixed(1)}" y="${bottom + 16}" font-size="9" text-anchor="middle" fill="${chartColors.muted}">${escapeXml(monthLabel(b.label))}</text>`);
  });
  parts.push(
    `<rect x="${left}" y="${height - 18}" width="12" height="12" fill="${chartColors.automated}"/>`,
    `<text x="${left + 18}" y="${height - 8}" font-size="12" fill="${chartColors.ink}">automated</text>`,
    `<rect x="${left + 110}" y="${height - 18}" width="12" height="12" fill="${chartColors.manual}"/>`,
    `<text x="${left + 128}" y="${height - 8}" font-size="12" fill="${chartColors.ink}">renewed by hand</text>`,
  );
  return svg(width, height, 'Certificates expiring per month', parts);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-12" -> "Dec", each January with its year ("Jan 2027"); "expired" and "later" as they are. */
function monthLabel(label: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(label);
  if (!m) return label;
  const month = months[Number(m[2]) - 1]!;
  return m[2] === '01' ? `${month} ${m[1]}` : month;
}

function svg(width: number, height: number, title: string, parts: string[]): string {
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeXml(title)}</title>${parts.join('')}</svg>`
  );
}
