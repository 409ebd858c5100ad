/** `certfleet inventory`: resolve options, run the core, render, choose the exit code. */
import { loadConfig } from '../../config/load.js';
import { resolveInventoryOptions } from '../../config/inventory-options.js';
import { exitCodeOf } from '../inventory-exit.js';
import { scanWithProgress, toInventoryFlags } from '../inventory-run.js';
import type { GlobalOptions } from '../main.js';
import { writeOutput } from '../output.js';
import { useColor } from '../render/colors.js';
import { renderInventory, type InventoryFormat } from '../render/inventory.js';
import { packageVersion } from '../version.js';

export async function runInventoryCommand(paths: string[], flags: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const loaded = await loadConfig(process.cwd(), globals.config);
  const resolved = resolveInventoryOptions(loaded.config, toInventoryFlags(paths, flags), {
    cwd: process.cwd(),
    env: process.env,
    now: new Date(),
    configFile: loaded.filePath,
  });
  const result = await scanWithProgress(resolved, globals);
  const format = (flags.format as InventoryFormat | undefined) ?? 'table';
  const output = flags.output as string | undefined;
  const color = useColor(globals.color, output, process.stdout, process.env);
  await writeOutput(renderInventory(result, format, { color, cwd: process.cwd(), toolVersion: packageVersion() }), output);
  return exitCodeOf(result, resolved.failOn);
}
