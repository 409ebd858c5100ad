/**
 * Human and JSON views of renew runs, status and account actions. Errors and account fields come
 * from the CA: each human line goes out through escapeControls (escape.ts), JSON through
 * escapeJsonControls.
 */
import type { AccountSummary } from '../../renewal/account-actions.js';
import type { RemoveResult } from '../../renewal/remove.js';
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
      c.action === 'renewed' && result.mode === 'dry-run'
        ? `dry run OK: the staging CA issued serial ${c.serialNumber} (validation passed; nothing deployed, throwaway state)`
        : c.action === 'renewed'
        ? `renewed, serial ${c.serialNumber}, valid until ${c.notAfter}`
        : c.action === 'deployed'
          ? `deployed again, serial ${c.serialNumber} (no new order)`
          : c.action === 'failed'
            ? `FAILED${c.failedStage === 'deploy' ? ' to deploy' : ''}: ${c.error}`
            : c.action === 'would-renew'
              ? `would renew now (${c.explanation})`
              : c.action === 'would-deploy'
                ? `would deploy serial ${c.serialNumber} again (${c.explanation})`
                : 'not due';
    // The explanation often starts with the same time ("at 2026-…, with a third of…"): said once.
    const next = c.nextRenewalAt ? `; next renewal ${c.nextRenewalAt} (${c.explanation.replace(/^at \S+, /, '')})` : '';
    const showNext = c.action !== 'would-renew' && c.action !== 'would-deploy' && result.mode !== 'dry-run';
    return `${c.name}: ${what}${showNext ? next : ''}`;
  });
  const a = result.applied;
  if (a) lines.unshift(`applied the config to the store first: ${a.added.length} added, ${a.changed.length} changed, ${a.archived.length} archived, ${a.unchanged} unchanged`);
  for (const problem of result.problems) lines.push(`problem: ${problem}`);
  const s = result.summary;
  if (s.notListed) lines.push(`${s.notListed} more not due (not listed: their next look has not come; certfleet status lists every certificate)`);
  lines.push(`${s.renewed} renewed, ${s.notDue} not due, ${s.failed} failed${s.deployed ? `, ${s.deployed} deployed again` : ''}${result.mode === 'plan' ? `, ${s.wouldRenew} would be renewed (plan)` : result.mode === 'dry-run' ? ' (dry run against the staging CA: nothing deployed, the real state untouched)' : ''} (${(s.durationMs / 1000).toFixed(1)} s)`);
  return text(lines);
}

export function renderStatus(status: StatusResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(status);
  const lines = status.certificates.flatMap((c) => {
    const left = c.daysLeft === null ? '' : c.daysLeft < 0 ? ` (expired ${-c.daysLeft} day(s) ago)` : ` (${c.daysLeft} day(s) left)`;
    const cert = c.serialNumber ? `serial ${c.serialNumber}, expires ${c.notAfter}${left}` : 'no certificate yet';
    const deployed = c.deployedPaths.length ? c.deployedPaths.map((d) => `${d.path} (${d.kind})`).join(', ') : 'nowhere (no deploy section; the files stay in the state directory)';
    const failures = c.consecutiveFailures ? `${c.consecutiveFailures} failed attempt(s) in a row` : 'not failing now';
    const details = [
      c.issuer ? `issuer: ${c.issuer}` : '',
      `deploys to: ${deployed}`,
      c.verifyTargets.length ? `verified at: ${c.verifyTargets.join(', ')}` : '',
      `next renewal ${c.nextRenewalAt}: ${c.explanation}`,
      c.ariWindow ? `CA renewal window (ARI): ${c.ariWindow.start} to ${c.ariWindow.end}${c.ariWindow.explanationUrl ? `, see ${c.ariWindow.explanationUrl}` : ''}` : '',
      c.lastError ? `last error${c.lastFailureAt ? ` at ${c.lastFailureAt}` : ''} (${failures}): ${c.lastError}` : '',
    ].filter(Boolean);
    const warnings = [
      c.exceedsPolicy ? `issued for ${c.lifetimeDays} days, longer than the policy: renewal follows the policy` : '',
      c.deploymentPending ? 'a deployment was interrupted; the next renew finishes it' : '',
    ].filter(Boolean);
    const kept = c.keptFiles.map((k) => `  kept as found: ${k.path} (${k.type === 'symlink' ? 'a link' : 'a file'}, in ${k.keptIn})`);
    return [`${c.name} (${c.domains.join(', ')}): ${cert}`, ...details.map((d) => `  ${d}`), ...warnings.map((w) => `  ! ${w}`), ...kept];
  });
  const unresolved = status.unresolved ?? [];
  if (unresolved.length > 0) {
    lines.push(`cannot be resolved on this runner, so not renewed by it (${unresolved.length}):`);
    for (const u of unresolved) {
      const left = u.daysLeft === null ? '' : u.daysLeft < 0 ? `, expired ${-u.daysLeft} day(s) ago` : `, ${u.daysLeft} day(s) left`;
      const cert = u.serialNumber ? `serial ${u.serialNumber}, expires ${u.notAfter}${left}` : 'no certificate yet';
      lines.push(`  ${u.name} (${cert}): ${u.error}`);
    }
  }
  if (status.orphaned.length > 0) {
    lines.push(status.store === undefined ? `orphaned: in the state directory but not in the config, so no longer renewed:` : `orphaned: state in the store that no spec names, so no longer renewed:`);
    for (const o of status.orphaned) {
      const cert = o.serialNumber ? `serial ${o.serialNumber}, expires ${o.notAfter}` : 'no certificate';
      lines.push(`  ${o.name} (${cert}): \`${o.removeCommand}\` removes it (its deployed files stay as plain files)`);
    }
  }
  return text(lines);
}

export function renderAccount(account: AccountSummary, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(account);
  return text([account.directoryUrl, `  account ${account.url}`, `  status ${account.status}`, `  contact ${account.contact.join(', ') || '(none)'}`]);
}

export function renderRemove(removed: RemoveResult, format: 'table' | 'json'): string[] {
  if (format === 'json') return json(removed);
  const lines = [`${removed.name}: no longer managed by certfleet`];
  if (removed.revoked) lines.push(`  serial ${removed.revoked.serialNumber} ${removed.revoked.already ? 'was already revoked' : 'revoked'}`);
  for (const p of removed.paths) {
    lines.push(`  ${p.path}: ${p.action === 'plain' ? 'a plain file now (still served)' : p.action === 'deleted' ? 'deleted' : 'left as it was (not certfleet\'s link)'}`);
  }
  lines.push(`  state and what was found before certfleet archived in ${removed.archivedTo}`);
  if (removed.stillConfigured) lines.push('  ! still in the config: the next renew issues it again; take it out of the config');
  return text(lines);
}
