/**
 * One readiness report, seven renderers. Each yields the document in pieces, so the large ones
 * (JSON, CSV, SARIF, Prometheus over 100,000 certificates) are written out without ever being
 * one huge string.
 */
import type { ReadinessReport } from '../../report/model.js';
import { escapeJsonChunks } from './escape.js';
import type { ReportFormat } from './report-formats.js';
import { renderReportCsv } from './report-csv.js';
import { renderReportHtml } from './report-html.js';
import { renderReportJson } from './report-json.js';
import { renderReportMarkdown } from './report-markdown.js';
import { renderReportPrometheus } from './report-prometheus.js';
import { renderReportSarif } from './report-sarif.js';
import { renderReportSummary } from './report-summary.js';

export { reportFormats, type ReportFormat } from './report-formats.js';

export interface ReportRenderOptions {
  color: boolean;
  /** Paths under it are shown (and in SARIF, located) relative to it. */
  cwd: string;
  toolVersion: string;
}

export function renderReport(report: ReadinessReport, format: ReportFormat, options: ReportRenderOptions): Iterable<string> {
  switch (format) {
    case 'summary':
      return [renderReportSummary(report, options)];
    // JSON.stringify leaves DEL and C1 controls raw; escapeJsonChunks writes them as \u escapes.
    case 'json':
      return escapeJsonChunks(renderReportJson(report));
    case 'markdown':
      return renderReportMarkdown(report, options);
    case 'html':
      return renderReportHtml(report, options);
    case 'csv':
      return renderReportCsv(report);
    case 'sarif':
      return escapeJsonChunks(renderReportSarif(report, options));
    case 'prometheus':
      return renderReportPrometheus(report);
  }
}
