/** The summary's "CA rate limits" section: per CA, the time to replace its certificates at its limits against the revocation windows. */
import type { ReadinessReport } from '../../report/model.js';
import { paintSeverity, type Colors } from './colors.js';
import { escapeControls as t } from './escape.js';

/** No lines when the report has no rateBudget (no configured CA with limits): such a summary is unchanged. */
export function rateBudgetLines(r: ReadinessReport, c: Colors): string[] {
  const cas = r.rateBudget?.cas;
  if (!cas?.length) return [];
  return ['', c.bold('CA rate limits'), ...cas.map((ca) => `  ${ca.finding ? paintSeverity(c, ca.finding.severity, `${ca.finding.severity}: ${t(ca.message)}`) : t(ca.message)}`)];
}
