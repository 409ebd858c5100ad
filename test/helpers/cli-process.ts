/**
 * The built CLI (bin/certfleet -> dist) as a process the test holds: its pid, so a fault test can
 * SIGKILL it mid-order or SIGSTOP it while it holds a lease, and its exit with what it printed.
 * runCli (cli.ts) waits for the exit; this one hands the process over first. Every process started
 * here is ended by its pid (never by name) by `endAll()` if a test left it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoRoot, type CliResult } from './cli.js';

export interface CliExit extends CliResult {
  /** The signal that ended it (SIGKILL from the test), else null. */
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  readonly pid: number;
  /** Settles when the process has exited and its output is read to the end. */
  readonly exit: Promise<CliExit>;
  /** Output so far (for failure messages while it runs). */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

const started = new Set<ChildProcess>();

export function startCli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): CliProcess {
  if (!existsSync(`${repoRoot}dist/cli/main.js`)) throw new Error('dist/ is missing: run `npm run build` first (`npm test` builds before testing)');
  const child = spawn(process.execPath, [`${repoRoot}bin/certfleet`, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('bin/certfleet could not be started');
  started.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    // 'close', not 'exit': the pipes are read to the end (a JSON document printed just before exit).
    child.on('close', (code, signal) => {
      started.delete(child);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
  return {
    pid: child.pid,
    exit,
    output: () => `${stdout}${stderr}`,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Ends (SIGKILL; a stopped one is continued first so it can die) every CLI process still running. */
export function endAll(): void {
  for (const child of started) {
    child.kill('SIGKILL');
    child.kill('SIGCONT');
  }
}

/** Polls `check` until it returns true; throws naming `what` after `timeoutMs`. An event to wait for, not a sleep. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
