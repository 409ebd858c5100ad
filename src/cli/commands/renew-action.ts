/** `renew`, `issue`, `status`, `account`: resolve settings, call the core, render, choose the exit code. */
import { parseAsOf } from '../../config/inventory-options.js';
import { ExitCode } from '../../errors.js';
import { selectCertificates } from '../../renewal/managed.js';
import { runRenew } from '../../renewal/run.js';
import { collectStatus } from '../../renewal/status.js';
import { runAccountAction, type AccountVerb } from '../../renewal/account-actions.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { renderAccount, renderRenewResult, renderStatus } from '../render/renew.js';
import { durationFlag, loadManagedSettings } from './managed-settings.js';

type Family = 'renew' | 'issue' | 'status' | 'account';

export async function runRenewFamily(command: Family, args: unknown[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const { settings, logger } = await loadManagedSettings(flags, globals, flags.staging === true);
  const format = (flags.format as 'table' | 'json' | undefined) ?? 'table';

  if (command === 'status') {
    const now = typeof flags.asOf === 'string' ? parseAsOf(flags.asOf) : new Date();
    const status = await collectStatus({ ...settings, certificates: selectCertificates(settings, []) }, now, (m) => logger.warn(m));
    await writeOutput(renderStatus(status, format), undefined);
    return ExitCode.ok;
  }

  if (command === 'account') {
    const info = await runAccountAction(args[0] as AccountVerb, settings, {
      ...(typeof flags.server === 'string' ? { server: flags.server } : {}),
      staging: flags.staging === true,
      confirmed: flags.yes === true,
      logger,
      now: () => new Date(),
    });
    await writeOutput(renderAccount(info, format), undefined);
    return ExitCode.ok;
  }

  const names = command === 'issue' ? [args[0] as string] : ((args[0] as string[] | undefined) ?? []);
  const result = await runRenew(
    settings,
    {
      names,
      force: command === 'issue' || flags.force === true,
      dryRun: flags.dryRun === true,
      concurrency: (flags.concurrency as number | undefined) ?? 4,
      lockWaitMs: typeof flags.lockWait === 'string' ? durationFlag('--lock-wait', flags.lockWait) : 10_000,
    },
    {
      now: () => new Date(),
      random: Math.random,
      logger,
      commandEnv: process.env,
      pid: process.pid,
    },
  );
  await writeOutput(renderRenewResult(result, format), undefined);
  return result.summary.failed > 0 ? ExitCode.findings : result.problems.length > 0 ? ExitCode.partial : ExitCode.ok;
}
