/** `revoke`, `replace` and `drill`: resolve settings and the selection, call the core, render, choose the exit code. */
import { readFile } from 'node:fs/promises';
import type { RevocationReason } from '../../acme/index.js';
import { describeError, ExitCode, UsageError } from '../../errors.js';
import { DEFAULT_FLEET_WAIT_MS, type HostProgress } from '../../fleet/await-deployed.js';
import type { FleetWaitSettings } from '../../fleet/confirm-replacements.js';
import type { Logger } from '../../logger.js';
import type { RenewSettings } from '../../renewal/managed.js';
import type { AffectedCriteria } from '../../revocation/affected.js';
import type { FleetView } from '../../revocation/fleet-view.js';
import { runDrill } from '../../revocation/drill.js';
import { planReplacement } from '../../revocation/plan.js';
import { runRevoke } from '../../revocation/revoke.js';
import { parseSerialList } from '../../revocation/serial-list.js';
import { openStateStore } from '../../store/open-store.js';
import { agentHeartbeats, type StateStore } from '../../store/ports.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControlsKeepLines } from '../render/escape.js';
import { renderDrill, renderFleetView, renderHostProgress, renderPlan, renderRevoke } from '../render/revocation.js';
import { packageVersion } from '../version.js';
import { durationFlag, loadManagedSettings } from './managed-settings.js';

export async function runRevocationCommand(command: 'revoke' | 'drill' | 'replace', names: string[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { settings, logger } = await loadManagedSettings(flags, globals, false);
  const format = (flags.format as 'table' | 'json' | undefined) ?? 'table';
  const criteria: AffectedCriteria = {
    names,
    all: flags.all === true,
    serials: [...((flags.serial as string[] | undefined) ?? []), ...(typeof flags.serialsFrom === 'string' ? await readSerialList(flags.serialsFrom) : [])],
    domains: (flags.domain as string[] | undefined) ?? [],
    ...(typeof flags.issuer === 'string' ? { issuer: flags.issuer } : {}),
    keyFingerprints: (flags.key as string[] | undefined) ?? [],
  };
  const concurrency = (flags.concurrency as number | undefined) ?? 4;
  const lockWaitMs = typeof flags.lockWait === 'string' ? durationFlag('--lock-wait', flags.lockWait) : 10_000;
  const dryRun = flags.dryRun === true;
  const waitMs = typeof flags.wait === 'string' ? durationFlag('--wait', flags.wait) : DEFAULT_FLEET_WAIT_MS;
  if (command === 'revoke' && !dryRun && flags.yes !== true) {
    throw new UsageError('revocation cannot be undone: add --yes to go ahead (or --dry-run to see what would be revoked)');
  }
  // The configured store (the state directory, or store.postgres): what is selected, replaced, revoked and recorded is its.
  const store = await openStateStore(settings, { env: process.env, pid: process.pid, now: () => new Date(), logger, lockWaitMs, binaryVersion: packageVersion() });
  let code: number | undefined;
  try {
    code = await run(command, store, { settings, logger, format, criteria, concurrency, lockWaitMs, dryRun, waitMs }, flags);
  } finally {
    // After the work is done and shown: a store that did not close cleanly (the file store's
    // schedule index not written) is a problem of the run (exit 3), never a lost revocation.
    await store.close().catch((err: unknown) => {
      logger.error(`the state store at ${store.location} was not closed cleanly: ${describeError(err)}`);
      if (code === ExitCode.ok) code = ExitCode.partial;
    });
  }
  return code;
}

interface Resolved {
  settings: RenewSettings;
  logger: Logger;
  format: 'table' | 'json';
  criteria: AffectedCriteria;
  concurrency: number;
  lockWaitMs: number;
  dryRun: boolean;
  /** How long to wait for the hosts of certificates whose spec names them (`--wait`). */
  waitMs: number;
}

async function run(command: 'revoke' | 'drill' | 'replace', store: StateStore, r: Resolved, flags: Record<string, unknown>): Promise<number> {
  const { settings, logger, format, criteria, concurrency, lockWaitMs, dryRun } = r;
  // Each host's report as it comes: a line on stderr, or a JSON line on stdout before the result (then one line too).
  let progressLines = 0;
  const fleet: FleetWaitSettings = {
    waitMs: r.waitMs,
    setTimer: (ms, fire) => {
      const t = setTimeout(fire, ms);
      return () => clearTimeout(t);
    },
    onHostProgress: (event: HostProgress) => {
      progressLines++;
      (format === 'json' ? process.stdout : process.stderr).write(renderHostProgress(event, format));
    },
  };
  // The per-host view, once the set is selected and before anything is ordered: stderr, so JSON stdout stays the result (and the progress lines).
  const onFleetView = dryRun ? undefined : (view: FleetView) => process.stderr.write(renderFleetView(view));
  const hooks = { now: () => new Date(), random: Math.random, logger, commandEnv: process.env, pid: process.pid, store, fleet, ...(onFleetView ? { onFleetView } : {}) };

  if ((command === 'drill' || command === 'replace') && dryRun) {
    await writeOutput(renderPlan(await planReplacement(settings, store.certificates, criteria, command, store.deployments, { budget: store.budget, now: hooks.now().getTime() }, agentHeartbeats(store)), command, format), undefined);
    return ExitCode.ok;
  }
  if (command === 'drill' || command === 'replace') {
    const result = await runDrill(settings, { purpose: command === 'drill' ? 'drill' : 'incident', criteria, concurrency, lockWaitMs }, {
      ...hooks,
      onCertificate: (c, done, total) =>
        logger.info(`${done}/${total} ${c.name}: ${c.secondsToReplace === null ? `NOT replaced: ${c.error ?? 'unknown error'}` : `replaced after ${c.secondsToReplace.toFixed(1)} s`}`),
    });
    await writeOutput(renderDrill(result, format, progressLines > 0), undefined);
    // As for renew: a failure the operator fixes in the config is exit 2, with its hint.
    const configFailures = result.certificates.filter((c) => c.errorExitCode === ExitCode.usage);
    for (const hint of new Set(configFailures.flatMap((c) => (c.errorHint ? [c.errorHint] : [])))) process.stderr.write(`hint: ${escapeControlsKeepLines(hint)}\n`);
    return configFailures.length > 0 ? ExitCode.usage : result.summary.failed > 0 ? ExitCode.findings : ExitCode.ok;
  }

  const result = await runRevoke(settings, { criteria, reason: flags.reason as RevocationReason, replace: flags.replace !== false, dryRun, concurrency, lockWaitMs }, hooks);
  await writeOutput(renderRevoke(result, format, progressLines > 0), undefined);
  return result.summary.notRevoked + result.summary.failed > 0 ? ExitCode.findings : ExitCode.ok;
}

async function readSerialList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--serials-from ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseSerialList(text, path);
}
