/** Colours for human output (the only importer of picocolors): never into files or pipes, never with NO_COLOR. */
import pc from 'picocolors';
import type { Severity } from '../../inventory/model.js';

export type Colors = ReturnType<typeof pc.createColors>;

export function useColor(flag: boolean | undefined, outputFile: string | undefined, stdout: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (flag === false || outputFile || env.NO_COLOR !== undefined) return false;
  return Boolean(stdout.isTTY) || env.FORCE_COLOR !== undefined;
}

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

export function paintSeverity(c: Colors, severity: Severity, text: string): string {
  return severity === 'error' ? c.red(text) : severity === 'warning' ? c.yellow(text) : c.dim(text);
}
