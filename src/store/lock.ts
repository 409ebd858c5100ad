/**
 * One lock per state directory, so two `renew` runs (a timer and a person) never order the same
 * certificate twice. A lock file created with O_EXCL holds the owner's pid; a lock left by a
 * process that no longer exists (kill -9, power loss) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';

export class LockBusyError extends CertfleetError {
  constructor(message: string) {
    super('lock-busy', message, { exitCode: ExitCode.partial, hint: 'another certfleet run is working on this state directory; it will finish on its own' });
    this.name = 'LockBusyError';
  }
}

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export interface LockOptions {
  /** How long to wait for a busy lock before giving up. */
  waitMs: number;
  pollMs?: number;
  pid: number;
  now?: () => Date;
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquireLock(dir: string, options: LockOptions): Promise<HeldLock> {
  const path = join(dir, '.lock');
  const deadline = Date.now() + options.waitMs;
  const me: LockOwner = { pid: options.pid, host: hostname(), since: (options.now?.() ?? new Date()).toISOString() };
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o644);
      await handle.writeFile(JSON.stringify(me));
      await handle.sync();
      await handle.close();
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(path);
    if (!owner || (owner.host === me.host && !isAlive(owner.pid))) {
      // Left by a process that died: safe to take over (a torn write counts as dead too).
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockBusyError(`state directory ${dir} is locked by certfleet pid ${owner.pid} on ${owner.host} since ${owner.since}`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 asks whether a process exists; it delivers nothing. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
