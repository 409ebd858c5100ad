/**
 * The CI gate: does the report fail the build? `--fail-on SEVERITY` fails on any inventory finding
 * at or above it; `--min-score N` fails when any listed deadline scores below N, and
 * `--min-score ID=N` when that one deadline does. Pure: returns the reasons, the CLI prints them.
 */
import { UsageError } from '../errors.js';
import { severityRank, type Severity } from '../inventory/model.js';
import type { ReadinessReport } from './model.js';

export type FailOnSeverity = Severity | 'never';

export interface MinScore {
  /** One deadline's id; absent: every deadline in the report. */
  deadline?: string;
  score: number;
}

export interface GateOptions {
  failOn: FailOnSeverity;
  minScores: MinScore[];
}

export function parseMinScore(text: string): MinScore {
  const m = /^(?:([A-Za-z0-9._-]+)=)?(\d{1,3})$/.exec(text.trim());
  const score = m ? Number(m[2]) : NaN;
  if (!m || score > 100) throw new UsageError(`--min-score takes a score 0-100, or DEADLINE=SCORE, not "${text}"`, 'e.g. --min-score 80 or --min-score sc081-2029-47-days=60');
  return m[1] ? { deadline: m[1], score } : { score };
}

export function evaluateGate(report: ReadinessReport, options: GateOptions): string[] {
  const reasons: string[] = [];
  if (options.failOn !== 'never') {
    const threshold = severityRank[options.failOn];
    const hits = report.findings.filter((f) => severityRank[f.severity] >= threshold);
    if (hits.length > 0) reasons.push(`findings at or above ${options.failOn}: ${hits.map((f) => `${f.id} (${f.count})`).join(', ')}`);
  }
  for (const min of options.minScores) {
    const targets = min.deadline ? report.deadlines.filter((d) => d.id === min.deadline) : report.deadlines;
    if (min.deadline && targets.length === 0) {
      throw new UsageError(
        `--min-score: deadline "${min.deadline}" is not in this report`,
        `deadlines as of ${report.asOf.slice(0, 10)}: ${report.deadlines.map((d) => d.id).join(', ') || 'none'}`,
      );
    }
    for (const d of targets) if (d.score < min.score) reasons.push(`${d.id} scores ${d.score}, below ${min.score}`);
  }
  return reasons;
}
