/**
 * Human and JSON views of renew runs, status and account actions. Errors and account fields come
 * from the CA: each human line goes out through escapeControls (escape.ts), JSON through
 * escapeJsonControls.
 */
import type { AccountSummary } from '../../renewal/account-actions.js';
import type { RenewRunResult } from '../../renewal/run.js';
import type { StatusResult } from '../../renewal/status.js';
import { escapeControls, escapeJsonControls } from './escape.js';

const json = (value: unknown) => [escapeJsonControls(JSON.stringify(value, null, 2)) + '\n'];
/** Lines of one-line text: a line feed inside a field cannot start a line of its own. */
const text = (lines: string[]) => [lines.map(escapeControls).join('\n') + '\n'];

export function renderRenewResult(result: RenewRunResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(result);
  const lines = result.certificates.map((c) => {
    const what =
      c.action === 'renewed'
        ? `renewed, serial ${c.serialNumber}, valid until ${c.notAfter}`
        : c.action === 'failed'
          ? `FAILED: ${c.error}`
          : c.action === 'would-renew'
            ? `would renew now (${c.explanation})`
            : 'not due';
    const next = c.nextRenewalAt ? `; next renewal ${c.nextRenewalAt} (${c.explanation})` : '';
    return `${c.name}: ${what}${c.action === 'would-renew' ? '' : next}`;
  });
  for (const problem of result.problems) lines.push(`problem: ${problem}`);
  const s = result.summary;
  lines.push(`${s.renewed} renewed, ${s.notDue} not due, ${s.failed} failed${result.dryRun ? `, ${s.wouldRenew} would be renewed (dry run)` : ''} (${(s.durationMs / 1000).toFixed(1)} s)`);
  return text(lines);
}

export function renderStatus(status: StatusResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(status);
  const lines = status.certificates.flatMap((c) => {
    const cert = c.serialNumber ? `serial ${c.serialNumber}, expires ${c.notAfter}` : 'no certificate yet';
    const warnings = [
      c.exceedsPolicy ? `issued for ${c.lifetimeDays} days, longer than the policy: renewal follows the policy` : '',
      c.consecutiveFailures ? `${c.consecutiveFailures} failed attempt(s), last: ${c.lastError}` : '',
      c.deploymentPending ? 'a deployment was interrupted; the next renew finishes it' : '',
    ].filter(Boolean);
    const kept = c.keptFiles.map((k) => `  kept as found: ${k.path} (${k.type === 'symlink' ? 'a link' : 'a file'}, in ${k.keptIn})`);
    return [`${c.name} (${c.domains.join(', ')}): ${cert}`, `  next renewal ${c.nextRenewalAt}: ${c.explanation}`, ...warnings.map((w) => `  ! ${w}`), ...kept];
  });
  return text(lines);
}

export function renderAccount(account: AccountSummary, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(account);
  return text([account.directoryUrl, `  account ${account.url}`, `  status ${account.status}`, `  contact ${account.contact.join(', ') || '(none)'}`]);
}
