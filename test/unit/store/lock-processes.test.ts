/**
 * The state-directory lock across processes: mutual exclusion under a stampede, and a holder
 * killed with SIGKILL (no release, no cleanup) leaving nothing that blocks the next run.
 * The children import src/store/lock.ts compiled on the fly (test/helpers/child-module.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, LockBusyError } from '../../../src/store/lock.js';
import { compileForChild } from '../../helpers/child-module.js';
import { tempDir } from '../../helpers/pki.js';

const childScript = fileURLToPath(new URL('../../helpers/lock-child.mjs', import.meta.url));
let lockModule: string;
const started: ChildProcess[] = [];
const strays: number[] = [];

beforeAll(() => {
  lockModule = compileForChild('src/store/lock.ts');
});

afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function child(args: string[]): ChildProcess {
  const proc = spawn(process.execPath, [childScript, lockModule, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  return proc;
}

function exited(proc: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => proc.on('close', (code) => resolve({ code, stderr })));
}

function firstLine(proc: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    proc.on('close', (code) => reject(new Error(`child exited (${code}) before holding the lock`)));
  });
}

/** Every "enter" is followed by the same process's "leave" before anyone else enters. */
function overlaps(lines: string[]): string[] {
  const found: string[] = [];
  let inside: string | undefined;
  lines.forEach((line, i) => {
    const [what, pid] = line.split(' ');
    if (what === 'enter') {
      if (inside !== undefined) found.push(`line ${i + 1}: pid ${pid} entered while ${inside} was inside`);
      inside = pid;
    } else {
      if (inside !== pid) found.push(`line ${i + 1}: pid ${pid} left while ${inside ?? 'nobody'} was inside`);
      inside = undefined;
    }
  });
  return found;
}

describe('state directory lock across processes', () => {
  it('lets exactly one of 16 processes in at a time', async () => {
    const dir = tempDir();
    const log = join(dir, 'sections.log');
    writeFileSync(log, '');
    const processes = 16;
    const iterations = 4;
    const procs = Array.from({ length: processes }, () => child(['stress', dir, log, String(iterations), '3', '40']));
    const results = await Promise.all(procs.map(exited));
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(processes * iterations * 2);
    expect(overlaps(lines)).toEqual([]);
  }, 60_000);

  it('frees the lock of a holder killed with SIGKILL at once, even when a process it started lives on', async () => {
    const dir = tempDir();
    const holder = child(['hold', dir, 'grandchild']);
    const line = await firstLine(holder);
    const grandchild = Number(line.split(' ')[1]);
    expect(grandchild).toBeGreaterThan(0);
    strays.push(grandchild);
    await expect(acquireLock(dir, { waitMs: 0, pid: process.pid })).rejects.toThrow(LockBusyError);
    const gone = exited(holder);
    holder.kill('SIGKILL');
    await gone;
    process.kill(grandchild, 0); // still alive: had it inherited the descriptor, it would hold the lock
    const next = await acquireLock(dir, { waitMs: 0, pid: process.pid });
    await next.release();
  });
});
