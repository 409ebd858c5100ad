/** `renew`, `issue`, `deploy`, `status`, `account`, `remove`: resolve settings, call the core, render, choose the exit code. */
import { tmpdir } from 'node:os';
import { parseAsOf } from '../../config/inventory-options.js';
import { describeError, ExitCode, UsageError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { collectRenewMetrics } from '../../renewal/metrics.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import { openStateStore } from '../../store/open-store.js';
import { batchReads, type StateStore } from '../../store/ports.js';
import { selectCertificates, type RenewSettings } from '../../renewal/managed.js';
import { runDryRun } from '../../renewal/dry-run.js';
import { runRenew, type RenewRunResult } from '../../renewal/run.js';
import { removeCertificate } from '../../renewal/remove.js';
import { collectStatus } from '../../renewal/status.js';
import { collectStoreStatus } from '../../renewal/store-status.js';
import { runAccountAction, type AccountVerb } from '../../renewal/account-actions.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { escapeControlsKeepLines } from '../render/escape.js';
import { renderRenewMetrics } from '../render/renew-metrics.js';
import { renderAccount, renderRemove, renderRenewResult, renderStatus } from '../render/renew.js';
import { packageVersion } from '../version.js';
import { commandStoreIo, withCommandStore } from './command-store.js';
import { durationFlag, loadManagedSettings } from './managed-settings.js';

type Family = 'renew' | 'issue' | 'deploy' | 'status' | 'account' | 'remove';

export async function runRenewFamily(command: Family, args: unknown[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { settings, logger } = await loadManagedSettings(flags, globals, flags.staging === true, {
    // The managed certificates are in the config file; `account` works from --server alone, and `remove` from the state.
    requireConfig: command !== 'account' && command !== 'remove',
    access: command === 'status' || flags.plan === true || flags.dryRun === true ? 'read' : 'read-write',
    // A run on the shared store resolves only what it claims (100,000 specs are never one list); the dry run orders the config's.
    // status on the shared store shows the store's specs, a page at a time.
    lazyCertificates: (command === 'renew' || command === 'issue' || command === 'deploy' || command === 'status') && flags.dryRun !== true ? 'with-shared-store' : false,
  });
  const format = (flags.format as 'table' | 'json' | undefined) ?? 'table';

  if (command === 'status') {
    const now = typeof flags.asOf === 'string' ? parseAsOf(flags.asOf) : new Date();
    const names = (args[0] as string[] | undefined) ?? [];
    const warn = (m: string) => logger.warn(m);
    // A PostgreSQL store is read through its port; the state directory is read as files (with its access checks).
    const store = settings.store ? await openStateStore(settings, { env: process.env, pid: process.pid, now: () => new Date(), logger, binaryVersion: packageVersion() }) : undefined;
    let status;
    try {
      const batch = store ? batchReads(store.certificates) : undefined;
      status =
        store?.specs && batch
          ? await collectStoreStatus(settings, { location: store.location, certificates: batch, specs: store.specs }, { now, names, warn })
          : await collectStatus(settings, now, warn, store?.certificates, names);
    } finally {
      await store?.close();
    }
    const unresolved = status.unresolved ?? [];
    // Nothing configured and nothing orphaned to show: the "no managed certificates" error.
    if (status.certificates.length === 0 && status.orphaned.length === 0 && unresolved.length === 0) {
      if (status.store !== undefined) throw new UsageError(`no managed certificates in the store at ${status.store}`, 'certfleet apply stores the certificates of a config (its `certificates:` and certificates.d/)');
      selectCertificates(settings, []);
    }
    await writeOutput(renderStatus(status, format), undefined);
    // A spec this runner cannot resolve: status is incomplete for it (exit 3, a partial result), as renew here fails it.
    return unresolved.length > 0 ? ExitCode.partial : ExitCode.ok;
  }

  if (command === 'account') {
    const info = await withCommandStore(settings, commandStoreIo(logger), (store) =>
      runAccountAction(args[0] as AccountVerb, settings, store, {
        ...(typeof flags.server === 'string' ? { server: flags.server } : {}),
        staging: flags.staging === true,
        confirmed: flags.yes === true,
        logger,
        now: () => new Date(),
      }),
    );
    await writeOutput(renderAccount(info, format), undefined);
    return ExitCode.ok;
  }

  if (typeof flags.metricsFile === 'string' && (flags.dryRun === true || flags.plan === true)) {
    throw new UsageError(`--metrics-file records a real run; it cannot be used with ${flags.dryRun === true ? '--dry-run' : '--plan'}`, 'drop one of the two');
  }
  if (flags.dryRun === true && flags.plan === true) throw new UsageError('--dry-run (a full run against the staging CA) and --plan (decide only, no CA) exclude each other');
  if (command === 'remove') {
    if (flags.revoke === true && flags.yes !== true) throw new UsageError('remove --revoke revokes the certificate at the CA, which cannot be undone: add --yes');
    const lockWaitMs = typeof flags.lockWait === 'string' ? durationFlag('--lock-wait', flags.lockWait) : 10_000;
    const removed = await withCommandStore(settings, commandStoreIo(logger, lockWaitMs), (store) =>
      removeCertificate(
        settings,
        { name: args[0] as string, revoke: flags.revoke === true, deleteFiles: flags.deleteFiles === true, lockWaitMs },
        { now: () => new Date(), logger, pid: process.pid, store },
      ),
    );
    await writeOutput(renderRemove(removed, format), undefined);
    return ExitCode.ok;
  }

  const names = command === 'issue' ? [args[0] as string] : ((args[0] as string[] | undefined) ?? []);
  const runOptions = {
    names,
    concurrency: (flags.concurrency as number | undefined) ?? 4,
    lockWaitMs: typeof flags.lockWait === 'string' ? durationFlag('--lock-wait', flags.lockWait) : 10_000,
  };
  const hooks = { now: () => new Date(), random: Math.random, logger, commandEnv: process.env, pid: process.pid };
  const result =
    flags.dryRun === true && command !== 'deploy'
      ? await runDryRun(settings, runOptions, { ...hooks, scratchDir: tmpdir() })
      : await withStore(settings, { env: process.env, pid: process.pid, now: hooks.now, logger, lockWaitMs: runOptions.lockWaitMs, binaryVersion: packageVersion() }, (store) =>
          runRenew(
            settings,
            { ...runOptions, force: command === 'issue' || flags.force === true, plan: flags.plan === true || flags.dryRun === true, deployOnly: command === 'deploy' },
            { ...hooks, store },
          ),
        );
  if (typeof flags.metricsFile === 'string') await writeMetricsFile(flags.metricsFile, settings, result, logger);
  // A failure the operator fixes in the config (terms of service not accepted, a profile the CA
  // lacks) is exit 2 with its hint, as when it stops a command outright; other failures exit 1.
  const configFailures = result.certificates.filter((c) => c.action === 'failed' && c.errorExitCode === ExitCode.usage);
  const exitCode =
    configFailures.length > 0 ? ExitCode.usage : result.summary.failed > 0 ? ExitCode.findings : result.problems.length > 0 ? ExitCode.partial : ExitCode.ok;
  // --quiet (cron): a run that went well prints nothing, so cron mails only failures. A JSON
  // document was asked for by a program, not a person: it is always written.
  if (format === 'json' || !globals.quiet || exitCode !== ExitCode.ok) await writeOutput(renderRenewResult(result, format), undefined);
  for (const hint of new Set(configFailures.flatMap((c) => (c.errorHint ? [c.errorHint] : [])))) process.stderr.write(`hint: ${escapeControlsKeepLines(hint)}\n`);
  return exitCode;
}

/**
 * The run on the store the settings name (the dry run keeps its throwaway state directory). The
 * store is closed here, after the run: the file store flushes its schedule index then, and a
 * failure to do so is a run problem (exit 3), never a lost run.
 */
async function withStore(settings: RenewSettings, io: Parameters<typeof openStateStore>[1], run: (store: StateStore) => Promise<RenewRunResult>): Promise<RenewRunResult> {
  const store = await openStateStore(settings, io);
  let result: RenewRunResult | undefined;
  try {
    result = await run(store);
  } finally {
    await store.close().catch((err: unknown) => {
      const what = `${store.kind === 'file' ? 'the renewal schedule was not written' : `the state store at ${store.location} was not closed cleanly`}: ${describeError(err)}`;
      io.logger.error(what);
      result?.problems.push(what);
    });
  }
  return result;
}

/**
 * After the run, so it shows this run's outcomes, read from the configured store (opened again: the
 * run's is closed with its schedule written); a file that cannot be written is a run problem
 * (exit 3), never a lost run.
 */
async function writeMetricsFile(path: string, settings: RenewSettings, result: RenewRunResult, logger: Logger): Promise<void> {
  try {
    const metrics = await withCommandStore(settings, commandStoreIo(logger), (store) => collectRenewMetrics(store.certificates, result, (m) => logger.warn(m)));
    await writeFileAtomic(path, renderRenewMetrics(metrics));
  } catch (err) {
    result.problems.push(`the metrics file was not written: ${describeError(err)}`);
    logger.error(result.problems.at(-1)!);
  }
}
