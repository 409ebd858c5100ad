/** The inventory's exit code: 3 beats 1, because when sources could not be read the findings may be incomplete. */
import type { FailOn } from '../config/inventory-options.js';
import { ExitCode } from '../errors.js';
import { severityRank, type InventoryResult } from '../inventory/model.js';

export function exitCodeOf(result: InventoryResult, failOn: FailOn): number {
  if (result.errors.length > 0) return ExitCode.partial;
  if (failOn === 'never') return ExitCode.ok;
  const threshold = severityRank[failOn];
  const records = [...result.certificates, ...result.keys];
  return records.some((r) => r.findings.some((f) => severityRank[f.severity] >= threshold)) ? ExitCode.findings : ExitCode.ok;
}
