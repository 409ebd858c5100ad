/** `certfleet inventory`: resolve options, run the core, render, choose the exit code. */
import { loadConfig } from '../../config/load.js';
import { resolveInventoryOptions, type InventoryFlags } from '../../config/inventory-options.js';
import type { InventoryResult } from '../../inventory/model.js';
import { exitCodeOf } from '../inventory-exit.js';
import { runInventory, type ProgressEvent } from '../../inventory/scan.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { createProgress, progressMode } from '../progress.js';
import { renderInventory, type InventoryFormat } from '../render/inventory.js';
import { useColor } from '../render/colors.js';

export async function runInventoryCommand(paths: string[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const loaded = await loadConfig(process.cwd(), globals.config);
  const { options, failOn, inputErrors } = resolveInventoryOptions(loaded.config, toInventoryFlags(paths, flags), {
    cwd: process.cwd(),
    env: process.env,
    now: new Date(),
    configFile: loaded.filePath,
  });

  const stages = { proxies: 'Proxy configs', files: 'Files', endpoints: 'Endpoints', checks: 'Checks' } as const;
  const progress = createProgress(progressMode(globals.quiet, process.stderr, process.env), Object.values(stages), process.stderr);
  const describe = (e: ProgressEvent): string => {
    const n = 'done' in e ? e.done : 0;
    switch (e.stage) {
      case 'proxies':
        return e.state === 'end' ? `Proxy configs: ${n} certificate bindings` : 'Reading proxy configs';
      case 'files':
        return e.state === 'end' ? `Files: ${n} read` : `Reading files (${n})`;
      case 'endpoints':
        return e.state === 'end' ? `Endpoints: ${n} scanned` : `Scanning endpoints (${n}/${e.total ?? '?'})`;
      case 'checks':
        return e.state === 'end' ? `Checks: ${n} certificates checked` : 'Checking';
    }
  };
  let result: InventoryResult;
  try {
    result = await runInventory(options, {
      onProgress: (e) => progress[e.state === 'progress' ? 'update' : e.state](stages[e.stage], describe(e)),
    });
  } finally {
    await progress.close();
  }
  result.errors.unshift(...inputErrors);
  result.summary.errors = result.errors.length;

  const format = (flags.format as InventoryFormat | undefined) ?? 'table';
  const output = flags.output as string | undefined;
  await writeOutput(renderInventory(result, format, { color: useColor(globals.color, output, process.stdout, process.env), cwd: process.cwd() }), output);
  return exitCodeOf(result, failOn);
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
  // commander sets detectProxies=true by default for --no-*; only an explicit --no- should override the config.
  if (f.detectProxies === false) flags.detectProxies = false;
  for (const key of ['root', 'endpoints', 'failOn', 'connectTimeout', 'handshakeTimeout', 'asOf'] as const) {
    if (typeof f[key] === 'string') flags[key] = f[key] as string;
  }
  if (typeof f.concurrency === 'number') flags.concurrency = f.concurrency;
  if (typeof f.workers === 'number') flags.workers = f.workers;
  return flags;
}
