/** `certfleet report`: get an inventory (saved, or scanned now), add renew/drill state, build the report, render, gate. */
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { parseAsOf, resolveInventoryOptions, type InventoryFlags } from '../../config/inventory-options.js';
import { ExitCode, UsageError } from '../../errors.js';
import type { InventoryResult } from '../../inventory/model.js';
import { runInventory, type ProgressEvent } from '../../inventory/scan.js';
import { loadTimelineFile, shippedTimeline, type PolicyTimeline } from '../../policy/timeline.js';
import { buildReport } from '../../report/build.js';
import { evaluateGate, parseMinScore, type FailOnSeverity } from '../../report/gate.js';
import { readInventoryFile } from '../../report/read-inventory.js';
import { readStateDir } from '../../report/state.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { createProgress, progressMode } from '../progress.js';
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

  let inventory: InventoryResult;
  if (typeof flags.inventory === 'string') {
    if (hasSources(paths, flags)) throw new UsageError('give either --inventory FILE or sources to scan, not both');
    inventory = readInventoryFile(resolve(cwd, flags.inventory));
  } else {
    inventory = await scanNow(paths, flags, loaded, globals);
  }
  const state = typeof flags.stateDir === 'string' ? readStateDir(resolve(cwd, flags.stateDir)) : {};

  const report = buildReport({ inventory, ...state }, { asOf, timeline: timelineOf(loaded) });
  // Before writing anything: an unknown deadline in --min-score is a usage error (exit 2).
  const gate = evaluateGate(report, { failOn, minScores });

  // One report, as many documents as asked for: the inventory is read and the report built once.
  for (const { format, file } of outputs) {
    const color = useColor(globals.color, file, process.stdout, process.env);
    try {
      await writeOutput(renderReport(report, format, { color, cwd, toolVersion: packageVersion() }), file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A bad --output path is the user's to fix (exit 2), not a bug.
      if (file && code && ['ENOENT', 'EACCES', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENOSPC'].includes(code)) throw new UsageError(`cannot write ${file}: ${code}`, 'check that the --output directory exists and is writable');
      throw err;
    }
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

function timelineOf(loaded: LoadedConfig): PolicyTimeline {
  const file = loaded.config.policy?.timelineFile;
  if (!file) return shippedTimeline();
  return loadTimelineFile(isAbsolute(file) ? file : resolve(loaded.filePath ? dirname(loaded.filePath) : process.cwd(), file));
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
  const stages = { proxies: 'Proxy configs', files: 'Files', endpoints: 'Endpoints', checks: 'Checks' } as const;
  const progress = createProgress(progressMode(globals.quiet, process.stderr, process.env), Object.values(stages), process.stderr);
  const describe = (e: ProgressEvent): string => {
    const n = 'done' in e ? e.done : 0;
    const done = e.state === 'end';
    switch (e.stage) {
      case 'proxies':
        return done ? `Proxy configs: ${n} certificate bindings` : 'Reading proxy configs';
      case 'files':
        return done ? `Files: ${n} read` : `Reading files (${n})`;
      case 'endpoints':
        return done ? `Endpoints: ${n} scanned` : `Scanning endpoints (${n}/${e.total ?? '?'})`;
      case 'checks':
        return done ? `Checks: ${n} certificates checked` : 'Checking';
    }
  };
  let result: InventoryResult;
  try {
    result = await runInventory(resolved.options, { onProgress: (e) => progress[e.state === 'progress' ? 'update' : e.state](stages[e.stage], describe(e)) });
  } finally {
    await progress.close();
  }
  result.errors.unshift(...resolved.inputErrors);
  result.summary.errors = result.errors.length;
  return result;
}

function toInventoryFlags(paths: string[], f: Record<string, unknown>): InventoryFlags {
  const list = (k: string) => (f[k] as string[] | undefined) ?? [];
  const flags: InventoryFlags = {
    paths,
    nginx: list('nginx'),
    apache: list('apache'),
    haproxy: list('haproxy'),
    traefik: list('traefik'),
    endpoint: list('endpoint'),
    ca: list('ca'),
    passwordEnv: list('passwordEnv'),
    passwordFile: list('passwordFile'),
    exclude: list('exclude'),
  };
  if (f.detectProxies === false) flags.detectProxies = false;
  for (const key of ['root', 'endpoints', 'connectTimeout', 'handshakeTimeout', 'asOf'] as const) {
    if (typeof f[key] === 'string') flags[key] = f[key] as string;
  }
  if (typeof f.concurrency === 'number') flags.concurrency = f.concurrency;
  if (typeof f.workers === 'number') flags.workers = f.workers;
  return flags;
}
