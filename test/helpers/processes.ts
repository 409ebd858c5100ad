/**
 * Real processes for the command-runner tests: bash scripts written to a temp dir, the pids they
 * record, and whether those pids still run. Every process these tests start is tracked and ended
 * by its pid (never by name) when the test is over, whatever the code under test left behind.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ScriptDir {
  path: string;
  /** Writes an executable (unless mode says otherwise) bash script and returns its path. */
  script(name: string, body: string, mode?: number): string;
  /** The pid a script wrote to `<dir>/<name>`; remembered so cleanup() can end it. */
  pid(name: string): number;
  /** Ends (SIGKILL, by pid) every recorded process still running, then removes the directory. */
  cleanup(): void;
}

export function scriptDir(prefix = 'certfleet-run-'): ScriptDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const pids = new Set<number>();
  return {
    path,
    script(name, body, mode = 0o755) {
      const file = join(path, name);
      writeFileSync(file, `#!/bin/bash\n${body}\n`);
      chmodSync(file, mode);
      return file;
    },
    pid(name) {
      const pid = Number(readFileSync(join(path, name), 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${name} does not hold a pid`);
      pids.add(pid);
      return pid;
    },
    cleanup() {
      for (const pid of pids) {
        if (isRunning(pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
      }
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/**
 * Whether the pid still runs. A zombie (dead, waiting for PID 1 to reap it, which this machine's
 * init does late) does not run: kill(pid, 0) alone would say it does.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // gone between the two looks
  }
}

/** The time a promise takes to settle, and how it settled. */
export async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** Resolves once a script has written the file (say, its pid after setting its traps); polls, bounded. */
export async function waitForFile(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
