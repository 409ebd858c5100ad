/** Human and JSON views of renew runs, status and account actions. */
import type { AccountSummary } from '../../renewal/account-actions.js';
import type { RenewRunResult } from '../../renewal/run.js';
import type { StatusResult } from '../../renewal/status.js';

export function renderRenewResult(result: RenewRunResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return [JSON.stringify(result, null, 2) + '\n'];
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
  const s = result.summary;
  lines.push(`${s.renewed} renewed, ${s.notDue} not due, ${s.failed} failed${result.dryRun ? `, ${s.wouldRenew} would be renewed (dry run)` : ''} (${(s.durationMs / 1000).toFixed(1)} s)`);
  return [lines.join('\n') + '\n'];
}

export function renderStatus(status: StatusResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return [JSON.stringify(status, null, 2) + '\n'];
  const lines = status.certificates.map((c) => {
    const cert = c.serialNumber ? `serial ${c.serialNumber}, expires ${c.notAfter}` : 'no certificate yet';
    const warnings = [
      c.exceedsPolicy ? `issued for ${c.lifetimeDays} days, longer than the policy: renewal follows the policy` : '',
      c.consecutiveFailures ? `${c.consecutiveFailures} failed attempt(s), last: ${c.lastError}` : '',
      c.deploymentPending ? 'a deployment was interrupted; the next renew finishes it' : '',
    ].filter(Boolean);
    return [`${c.name} (${c.domains.join(', ')}): ${cert}`, `  next renewal ${c.nextRenewalAt}: ${c.explanation}`, ...warnings.map((w) => `  ! ${w}`)].join('\n');
  });
  return [lines.join('\n') + '\n'];
}

export function renderAccount(account: AccountSummary, format: 'table' | 'json'): string[] {
  if (format === 'json') return [JSON.stringify(account, null, 2) + '\n'];
  return [`${account.directoryUrl}\n  account ${account.url}\n  status ${account.status}\n  contact ${account.contact.join(', ') || '(none)'}\n`];
}
