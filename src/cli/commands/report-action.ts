/** `certfleet report`: get an inventory (saved, or scanned now), add renew/drill state, build the report, render, gate. */
import { dirname, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { parseAsOf, resolveInventoryOptions, resolveTimeline } from '../../config/inventory-options.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { InventoryResult } from '../../inventory/model.js';
import { certificateRateLimits } from '../../config/certificate-rate-limits.js';
import { buildReport } from '../../report/build.js';
import { readRateBudget } from '../../report/rate-budget-read.js';
import { evaluateGate, parseMinScore, type FailOnSeverity } from '../../report/gate.js';
import { readInventoryFile } from '../../report/read-inventory.js';
import { readStoredState } from '../../report/state.js';
import { resolveStore } from '../../config/renew-options.js';
import { openStateStore } from '../../store/open-store.js';
import type { StateStore } from '../../store/ports.js';
import { checkStateDirAccess } from '../../store/state-dir-access.js';
import { stderrLogger } from '../logger.js';
import { commandStoreIo } from './command-store.js';
import { scanWithProgress, toInventoryFlags } from '../inventory-run.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { useColor } from '../render/colors.js';
import { renderReport } from '../render/report.js';
import { reportExtensions, reportFormats, type ReportFormat } from '../render/report-formats.js';
import { packageVersion } from '../version.js';

const failOnValues: FailOnSeverity[] = ['error', 'warning', 'info', 'never'];

export async function runReportCommand(paths: string[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const cwd = process.cwd();
  const loaded = await loadConfig(cwd, globals.config);
  const asOf = typeof flags.asOf === 'string' ? parseAsOf(flags.asOf) : new Date();
  // A report informs; it gates only when asked to (--fail-on, --min-score).
  const failOn = (flags.failOn as FailOnSeverity | undefined) ?? 'never';
  if (!failOnValues.includes(failOn)) throw new UsageError(`--fail-on must be one of ${failOnValues.join(', ')}, not "${failOn}"`);
  const minScores = ((flags.minScore as string[] | undefined) ?? []).map(parseMinScore);
  const outputs = resolveOutputs(String(flags.format ?? 'summary'), flags.output as string | undefined);

  // The store renew uses: store.postgres when the config has it, else --state-dir, else the config's
  // stateDir when it has been set (without either, the report works from the inventory alone).
  const storeSettings = loaded.filePath ? resolveStore(loaded.config.store, dirname(loaded.filePath)) : undefined;
  const stateDir = typeof flags.stateDir === 'string' ? resolve(cwd, flags.stateDir) : loaded.config.stateDir ? resolve(loaded.filePath ? dirname(loaded.filePath) : cwd, loaded.config.stateDir) : undefined;
  // Before the scan: a state directory this user cannot read, or a database that cannot be used, is an error now, not after minutes of work.
  if (stateDir && !storeSettings) checkStateDirAccess(stateDir, 'read', ['drills']);
  const logger = stderrLogger({ quiet: globals.quiet ?? false, verbose: false });
  const store = storeSettings || stateDir ? await openStateStore({ stateDir: stateDir ?? cwd, ...(storeSettings ? { store: storeSettings } : {}) }, commandStoreIo(logger)) : undefined;
  try {
    return await report(paths, flags, globals, { loaded, asOf, failOn, minScores, outputs, store });
  } finally {
    await store?.close();
  }
}

interface ReportRun {
  loaded: LoadedConfig;
  asOf: Date;
  failOn: FailOnSeverity;
  minScores: ReturnType<typeof parseMinScore>[];
  outputs: Array<{ format: ReportFormat; file: string | undefined }>;
  store: StateStore | undefined;
}

async function report(paths: string[], flags: Record<string, unknown>, globals: GlobalOptions, { loaded, asOf, failOn, minScores, outputs, store }: ReportRun): Promise<number> {
  const cwd = process.cwd();
  // Before the scan: a certificates.d file the config cannot use is an error now, not after minutes of work.
  const limited = await certificateRateLimits(loaded.config, loaded.filePath);
  let inventory: InventoryResult;
  if (typeof flags.inventory === 'string') {
    if (hasSources(paths, flags)) throw new UsageError('give either --inventory FILE or sources to scan, not both');
    inventory = readInventoryFile(resolve(cwd, flags.inventory));
  } else {
    inventory = await scanNow(paths, flags, loaded, globals);
  }
  // Agents' silence as of now, whatever --as-of says (as the budget below).
  const state = store ? await readStoredState(store, Date.now()) : {};
  // The budget as it is now, whatever --as-of says: it is what an incident today would start from.
  const rateBudget = await readRateBudget(limited, store?.budget, Date.now());

  const report = buildReport({ inventory, ...state, rateBudget }, { asOf, timeline: resolveTimeline(loaded.config, loaded.filePath, cwd) });
  // Before writing anything: an unknown deadline in --min-score is a usage error (exit 2).
  const gate = evaluateGate(report, { failOn, minScores });

  // One report, as many documents as asked for: the inventory is read and the report built once.
  for (const { format, file } of outputs) {
    const color = useColor(globals.color, file, process.stdout, process.env);
    await writeOutput(renderReport(report, format, { color, cwd, toolVersion: packageVersion() }), file);
  }

  if (report.fleet.inventoryErrors.length > 0) {
    if (!globals.quiet) process.stderr.write(`certfleet: ${report.fleet.inventoryErrors.length} sources could not be read; the report may be incomplete\n`);
    return ExitCode.partial;
  }
  if (gate.length > 0) {
    if (!globals.quiet) for (const reason of gate) process.stderr.write(`certfleet: ${reason}\n`);
    return ExitCode.findings;
  }
  return ExitCode.ok;
}

/** `--format a,b --output report.{ext}`: each format to its own file; one format may go to stdout. */
function resolveOutputs(formatFlag: string, output: string | undefined): Array<{ format: ReportFormat; file: string | undefined }> {
  const formats = [...new Set(formatFlag.split(',').map((f) => f.trim()).filter(Boolean))];
  const unknown = formats.filter((f) => !(reportFormats as readonly string[]).includes(f));
  if (formats.length === 0 || unknown.length > 0) throw new UsageError(`--format: unknown format "${unknown[0] ?? formatFlag}"`, `choose from ${reportFormats.join(', ')}`);
  if (formats.length > 1 && !output?.includes('{ext}')) {
    throw new UsageError('several formats need --output with {ext} in it, one file per format', 'e.g. --format json,html --output readiness.{ext}');
  }
  return (formats as ReportFormat[]).map((format) => ({ format, file: output?.replaceAll('{ext}', reportExtensions[format]) }));
}


const sourceLists = ['nginx', 'apache', 'haproxy', 'traefik', 'endpoint', 'ca', 'passwordEnv', 'passwordFile', 'exclude'] as const;

function hasSources(paths: string[], f: Record<string, unknown>): boolean {
  return paths.length > 0 || sourceLists.some((k) => ((f[k] as string[] | undefined) ?? []).length > 0) || typeof f.endpoints === 'string';
}

/** The same scan as `certfleet inventory`, with its progress on stderr. */
async function scanNow(paths: string[], flags: Record<string, unknown>, loaded: LoadedConfig, globals: GlobalOptions): Promise<InventoryResult> {
  let resolved;
  try {
    resolved = resolveInventoryOptions(loaded.config, toInventoryFlags(paths, flags), { cwd: process.cwd(), env: process.env, now: new Date(), configFile: loaded.filePath });
  } catch (err) {
    if (err instanceof UsageError && err.message.startsWith('nothing to inventory')) {
      throw new UsageError(
        'nothing to report on: give --inventory FILE (a saved `certfleet inventory --format json`), or paths, proxy configs or endpoints to scan now',
        'e.g. `certfleet report --inventory inventory.json`, or `certfleet report /etc/ssl --nginx /etc/nginx/nginx.conf`',
      );
    }
    throw err;
  }
  return scanWithProgress(resolved, globals);
}
