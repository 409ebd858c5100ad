/**
 * Human and JSON views of drills and bulk revocations. Errors come from the CA and issuer names
 * from certificates: each human line goes out through escapeControls (escape.ts), JSON through
 * escapeJsonControls.
 */
import type { HostConfirmation, HostProgress } from '../../fleet/await-deployed.js';
import type { BlastRadius, GroupCount } from '../../revocation/blast-radius.js';
import type { DrillResult } from '../../revocation/drill.js';
import type { FleetView } from '../../revocation/fleet-view.js';
import { describeLimit } from '../../renewal/rate-budget.js';
import type { ReplacementPlan } from '../../revocation/plan.js';
import type { RevokeRunResult } from '../../revocation/revoke.js';
import { escapeControls, escapeJsonControls } from './escape.js';
import { fleetViewLines } from './fleet-view.js';

const json = (value: unknown, oneLine = false) => [escapeJsonControls(oneLine ? JSON.stringify(value) : JSON.stringify(value, null, 2)) + '\n'];
/** Lines of one-line text: a line feed inside a field cannot start a line of its own. */
const text = (lines: string[]) => [lines.map(escapeControls).join('\n') + '\n'];

/**
 * One host's report as it happens. On a terminal: "www: a deployed 20261203T...-01 (4.2 s)"; as
 * JSON, one line (the result that follows is one line too when any were written: JSON lines).
 */
export function renderHostProgress(event: HostProgress, format: 'table' | 'json'): string {
  if (format === 'json') {
    const { certificate, host, status, version, seconds, detail } = event;
    return escapeJsonControls(JSON.stringify({ certificate, host, status, version, seconds, ...(detail !== undefined ? { detail } : {}) })) + '\n';
  }
  return escapeControls(event.status === 'deployed' ? `${event.certificate}: ${event.host} deployed ${event.version} (${seconds(event.seconds)})` : `${event.certificate}: ${event.host} FAILED: ${event.detail ?? 'no reason given'}`) + '\n';
}

/** The per-host view before a real run starts: on stderr, whatever the format (the JSON result carries it as `fleet`). */
export function renderFleetView(view: FleetView): string {
  const lines = fleetViewLines(view);
  return lines.length ? text(lines)[0]! : '';
}

/** "; hosts: a 4.2 s, b not reporting" */
function hostsPart(hosts: HostConfirmation[] | undefined): string {
  if (!hosts?.length) return '';
  return `; hosts: ${hosts.map((h) => (h.status === 'deployed' ? `${h.host} ${seconds(h.seconds ?? 0)}` : h.status === 'failed' ? `${h.host} FAILED` : `${h.host} not reporting`)).join(', ')}`;
}

export function renderDrill(result: DrillResult, format: 'table' | 'json', oneLine = false): string[] {
  if (format === 'json') return json(result, oneLine);
  const lines = result.certificates.map((c) =>
    c.secondsToReplace === null
      ? `${c.name}: NOT replaced: ${c.error ?? 'unknown error'}${hostsPart(c.hosts)}`
      : `${c.name}: replaced after ${seconds(c.secondsToReplace)}${c.hosts ? ', deployed on every host' : ''}${c.verifiedServed ? ', new serial confirmed served' : c.hosts ? '' : ' (no verify endpoint: not confirmed served)'}${hostsPart(c.hosts)}`,
  );
  const s = result.summary;
  lines.push('');
  lines.push(`${result.purpose === 'drill' ? 'drill' : 'replacement'} ${result.id}: ${s.replaced} of ${s.affected} replaced${s.failed ? `, ${s.failed} NOT replaced` : ''}; affected set found in ${seconds(result.identifySeconds)}`);
  if (s.secondsToReplace) lines.push(`time to replace: median ${seconds(s.secondsToReplace.median)}, p95 ${seconds(s.secondsToReplace.p95)}, slowest ${seconds(s.secondsToReplace.max)}`);
  lines.push(s.withinDeadlines.map((d) => `${percent(d.share)} within ${hours(d.hours)}`).join(', '));
  if (result.rateBudget) lines.push(rateBudgetLine(result.rateBudget, result.purpose === 'drill' ? 'drill' : 'replace'));
  lines.push(...blastRadiusLines(result.blastRadius));
  lines.push(`recorded in ${result.recordPath}${result.purpose === 'drill' ? ' (read by certfleet report)' : ''}`);
  return text(lines);
}

export function renderPlan(plan: ReplacementPlan, command: 'drill' | 'replace', format: 'table' | 'json'): string[] {
  if (format === 'json') return json(plan);
  const lines = plan.certificates.map((a) =>
    a.current
      ? `${a.name}: would replace serial ${a.current.serialNumber} (expires ${a.current.notAfter})`
      : a.unreadable
        ? `${a.name}: would replace a certificate the state directory cannot read (${a.unreadable})`
        : `${a.name}: would issue (nothing issued yet)`,
  );
  lines.push('');
  lines.push(`dry run: ${plan.certificates.length} certificate(s) would be ${command === 'drill' ? 'drilled' : 'replaced'}; nothing was changed`);
  if (plan.rateBudget) lines.push(rateBudgetLine(plan.rateBudget, command));
  if (plan.fleet) lines.push(...fleetViewLines(plan.fleet));
  lines.push(...blastRadiusLines(plan.blastRadius));
  return text(lines);
}

export function renderRevoke(result: RevokeRunResult, format: 'table' | 'json', oneLine = false): string[] {
  if (format === 'json') return json(result, oneLine);
  const lines = result.certificates.map((c) => {
    const serial = c.serialNumber ? ` serial ${c.serialNumber}` : '';
    if (c.earlierVersion) return earlierLine(c, serial, result.reason);
    const replaced = c.replacedBy ? `, replaced by ${c.replacedBy.serialNumber}` : '';
    switch (c.action) {
      case 'revoked':
        return `${c.name}:${serial} revoked (${result.reason})${replaced}${c.alsoRevoked ? `; also revoked: earlier serial(s) ${c.alsoRevoked.join(', ')} on the same key` : ''}${hostsPart(c.hosts)}`;
      case 'already-revoked':
        return `${c.name}:${serial} was already revoked${replaced}`;
      case 'would-revoke':
        return `${c.name}:${serial} would be ${result.replaceFirst ? 'replaced, then ' : ''}revoked (${result.reason})`;
      case 'nothing-to-revoke':
        return `${c.name}: no certificate issued yet, nothing to revoke${replaced}`;
      case 'not-revoked':
        return `${c.name}:${serial} NOT revoked: ${c.error}`;
      case 'failed':
        return `${c.name}:${serial} revocation FAILED${replaced}: ${c.error}`;
    }
  });
  const s = result.summary;
  lines.push('');
  lines.push(
    result.dryRun
      ? `dry run: ${s.affected} certificate(s) selected; nothing was changed`
      : `${s.revoked} revoked, ${s.alreadyRevoked} already revoked, ${s.notRevoked} not revoked (${result.certificates.some((c) => c.awaiting || (c.earlierVersion && c.action === 'not-revoked')) ? 'replacement failed or not yet deployed on every host' : 'replacement failed'}), ${s.failed} failed (${seconds(s.durationMs / 1000)})`,
  );
  // A real run said it on stderr before it began (renderFleetView); a dry run's plan says it here.
  if (result.dryRun && result.fleet) lines.push(...fleetViewLines(result.fleet));
  lines.push(...blastRadiusLines(result.blastRadius));
  if (result.recordPath) lines.push(`recorded in ${result.recordPath}`);
  return text(lines);
}

/** A version a serial selected that its certificate's current one replaced already: "web: serial 0a01 revoked (superseded): earlier version of web, replaced by 0a02". */
function earlierLine(c: RevokeRunResult['certificates'][number], serial: string, reason: string): string {
  const what = `earlier version of ${c.name}${c.replacedBy ? `, replaced by ${c.replacedBy.serialNumber}` : ''}`;
  switch (c.action) {
    case 'revoked':
      return `${c.name}:${serial} revoked (${reason}): ${what}${c.alsoRevoked ? `; also revoked: serial(s) ${c.alsoRevoked.join(', ')} on the same key` : ''}`;
    case 'already-revoked':
      return `${c.name}:${serial} was already revoked: ${what}`;
    case 'would-revoke':
      return `${c.name}:${serial} would be revoked (${reason}): ${what}`;
    case 'not-revoked':
      return `${c.name}:${serial} NOT revoked (${what}): ${c.error}`;
    default:
      return `${c.name}:${serial} revocation FAILED (${what}): ${c.error}`;
  }
}

/** "at your CA's limits (300 new orders per account per 3 h, 120 used now), replacing 40,000 certificate(s) takes 399 hours" */
export function rateBudgetLine(b: NonNullable<ReplacementPlan['rateBudget']>, command: 'drill' | 'replace'): string {
  const what = `${command === 'drill' ? 'drilling' : 'replacing'} ${b.certificates.toLocaleString('en-US')} certificate(s)`;
  if (b.hours === 0) return `at your CA's limits, ${what} fits in the rate budget now`;
  const takes = `takes ${Math.ceil(b.hours).toLocaleString('en-US')} hours`;
  if (b.limit && b.limitedBy) return `at your CA's limits (${describeLimit(b.limitedBy, b.limit.limit, b.limit.windowMs)}, ${(b.used ?? 0).toLocaleString('en-US')} used now), ${what} ${takes}`;
  const by = b.limitedBy === 'new-orders' ? 'new orders per account' : `certificates per registered domain: ${b.limitedBy?.slice('registered-domain:'.length) ?? ''}`;
  return `at your CA's limits, ${what} ${takes} (limited by ${by})`;
}

function blastRadiusLines(b: BlastRadius): string[] {
  const top = (groups: GroupCount[]) => groups.slice(0, 3).map((g) => `${g.key} (${g.count})`).join('; ') + (groups.length > 3 ? `; +${groups.length - 3} more` : '');
  const lines = [`blast radius: ${b.certificates} certificate(s), ${b.names} name(s)${b.wildcards ? `, ${b.wildcards} wildcard(s)` : ''}${b.notIssued ? `, ${b.notIssued} never issued` : ''}${b.unreadable ? `, ${b.unreadable} unreadable in the state directory` : ''}`];
  if (b.byIssuer.length) lines.push(`  by issuer: ${top(b.byIssuer)}`);
  if (b.byCa.length > 1) lines.push(`  by CA: ${top(b.byCa)}`);
  if (b.sharedKeys.length) lines.push(`  shared keys: ${top(b.sharedKeys)}`);
  if (b.byHost.length) lines.push(`  by host: ${top(b.byHost)}`);
  return lines;
}

function seconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : s < 3600 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

function hours(h: number): string {
  return h % 24 === 0 && h >= 48 ? `${h / 24} days` : `${h} hours`;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
