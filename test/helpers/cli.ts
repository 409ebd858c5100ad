/** Runs the built CLI (bin/certfleet -> dist) as a user would, capturing output and exit code. */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${repoRoot}bin/certfleet`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Run as user `nobody` (through setpriv when we are root), e.g. to meet a file we may not read. */
  unprivileged?: boolean;
}

export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  if (!existsSync(`${repoRoot}dist/cli/main.js`)) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` builds before testing)');
  }
  return new Promise((resolve) => {
    const asRoot = options.unprivileged && process.getuid?.() === 0;
    if (asRoot) assertNobodyCanRun();
    const [command, argv] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, ...args]]
      : [process.execPath, [bin, ...args]];
    execFile(
      command,
      argv,
      {
        cwd: options.cwd ?? repoRoot,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let nobodyChecked = false;
/**
 * Tests that run the CLI as `nobody` need a checkout that user can enter: cloned under a 0700
 * directory (mktemp -d), every such test would fail with "Cannot find module". Say why instead.
 */
function assertNobodyCanRun(): void {
  if (nobodyChecked) return;
  try {
    execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', bin], { stdio: 'ignore' });
  } catch {
    throw new Error(`user nobody cannot read ${bin}: a parent directory of the checkout is closed to other users (a clone under mktemp -d is 0700); run the suite from a directory others may enter`);
  }
  nobodyChecked = true;
}
