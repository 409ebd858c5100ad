/**
 * One lock per state directory, so two `renew` runs (a timer and a person) never order the same
 * certificate twice.
 *
 * The lock is the kernel's: flock(2) on `<stateDir>/.lock`. A file with a pid in it cannot be
 * made mutually exclusive (create and write are two steps, a torn file looks dead, a pid gets
 * reused after a reboot); a kernel lock is exclusive by construction and is dropped by the kernel
 * when its holder dies, even by SIGKILL, so a lock left by a dead run needs no takeover at all.
 *
 * Node has no flock(), but a flock lock belongs to the open file description, not the process
 * that asked: we open the file, hand the descriptor to util-linux `flock -x -n 3`, and the lock
 * the child takes stays held by our descriptor after the child exits. Node opens files
 * close-on-exec, so hooks and reload commands a run starts never inherit (and never keep) it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';

export class LockBusyError extends CertfleetError {
  constructor(message: string) {
    super('lock-busy', message, { exitCode: ExitCode.partial, hint: 'another certfleet run is working on this state directory; it will finish on its own' });
    this.name = 'LockBusyError';
  }
}

/** What the holder writes into the lock file: for the busy message only, never for a decision. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
  token: string;
}

export interface LockOptions {
  /** How long to wait for a busy lock before giving up. */
  waitMs: number;
  pollMs?: number;
  pid: number;
  now?: () => Date;
  /** util-linux flock(1); default /usr/bin/flock, else /bin/flock. */
  flockPath?: string;
}

export interface HeldLock {
  /** Random, written into the lock file: tells this hold apart from any other. */
  readonly token: string;
  /** Unlinks the lock file (only while it is still ours) and drops the lock. A second call does nothing. */
  release(): Promise<void>;
}

const FLOCK_CANDIDATES = ['/usr/bin/flock', '/bin/flock'];
const BUSY = 1; // flock -n's exit code when another descriptor holds the lock

export async function acquireLock(dir: string, options: LockOptions): Promise<HeldLock> {
  const path = join(dir, '.lock');
  const flock = await findFlock(options.flockPath);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const handle = await openLockFile(path);
    let outcome: 'held' | 'busy' | 'stale';
    try {
      outcome = (await tryFlock(flock, handle)) ? ((await isAt(handle, path)) ? 'held' : 'stale') : 'busy';
      if (outcome === 'held') {
        const owner: LockOwner = { pid: options.pid, host: hostname(), since: (options.now?.() ?? new Date()).toISOString(), token: randomBytes(16).toString('hex') };
        await describeSelf(handle, owner);
        return heldLock(handle, path, owner.token);
      }
      if (outcome === 'busy' && Date.now() >= deadline) throw new LockBusyError(await busyMessage(dir, handle));
    } catch (err) {
      await handle.close();
      throw err;
    }
    await handle.close();
    // A stale file was unlinked (or replaced) by its holder's release after we opened it: the
    // lock now lives on whatever file is at the path, so try again at once.
    if (outcome === 'busy') await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}

/** The binary is looked up once per process; the core never searches PATH (that is the environment's). */
let foundFlock: string | undefined;

async function findFlock(explicit: string | undefined): Promise<string> {
  const candidates = explicit ? [explicit] : foundFlock ? [foundFlock] : FLOCK_CANDIDATES;
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if (!explicit) foundFlock = candidate;
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw flockMissing(candidates.join(' or '));
}

function flockMissing(where: string, cause?: unknown): CertfleetError {
  return new CertfleetError('lock-unavailable', `cannot lock the state directory: util-linux's flock(1) was not found at ${where}`, {
    exitCode: ExitCode.usage,
    hint: 'install util-linux (it provides /usr/bin/flock); certfleet will not run renewals without a kernel lock',
    cause,
  });
}

async function openLockFile(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a symlink planted at .lock must not make a root run create or lock its target.
    handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (err) {
    // ELOOP can also mean a symlink loop higher up the path: name .lock only when it is the link.
    const link = (err as NodeJS.ErrnoException).code === 'ELOOP' && (await lstat(path).catch(() => undefined))?.isSymbolicLink();
    if (link) throw notAFile(path, 'is a symbolic link', err);
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw notAFile(path, 'is not a regular file', err);
    throw err;
  }
  const st = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  if (!st.isFile()) {
    await handle.close();
    throw notAFile(path, 'is not a regular file');
  }
  return handle;
}

function notAFile(path: string, what: string, cause?: unknown): CertfleetError {
  return new CertfleetError('lock-unsafe', `refusing to lock the state directory: ${path} ${what}`, {
    exitCode: ExitCode.usage,
    hint: `nothing was touched; remove ${path} if nobody put it there on purpose`,
    cause,
  });
}

/** Runs `flock -x -n 3` on our descriptor: true when the lock is now held by it, false when busy. */
function tryFlock(flock: string, handle: FileHandle): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn(flock, ['-x', '-n', '3'], { stdio: ['ignore', 'ignore', 'pipe', handle.fd], env: {} });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (err) => reject((err as NodeJS.ErrnoException).code === 'ENOENT' ? flockMissing(flock, err) : err));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(true);
      else if (code === BUSY) resolve(false);
      else reject(new Error(`${flock} -x -n 3 failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}

/** Is the file we hold still the one at the path? (A holder unlinks it on release.) */
async function isAt(handle: FileHandle, path: string): Promise<boolean> {
  const [ours, there] = await Promise.all([handle.stat(), lstat(path).catch(() => undefined)]);
  return there !== undefined && there.dev === ours.dev && there.ino === ours.ino;
}

async function describeSelf(handle: FileHandle, owner: LockOwner): Promise<void> {
  try {
    await handle.truncate(0);
    await handle.write(JSON.stringify(owner), 0);
  } catch {
    // A full disk (ENOSPC) must not stop a run: the kernel lock is what counts, and the file is
    // unlinked on release whatever it holds.
  }
}

async function busyMessage(dir: string, handle: FileHandle): Promise<string> {
  const owner = await readOwner(handle);
  return owner
    ? `state directory ${dir} is locked by certfleet pid ${owner.pid} on ${owner.host} since ${owner.since}`
    : `state directory ${dir} is locked by another certfleet run`;
}

async function readOwner(handle: FileHandle): Promise<Pick<LockOwner, 'pid' | 'host' | 'since'> | undefined> {
  try {
    const buffer = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const owner = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as Partial<LockOwner>;
    if (typeof owner.pid === 'number' && typeof owner.host === 'string' && typeof owner.since === 'string') {
      return { pid: owner.pid, host: owner.host, since: owner.since };
    }
  } catch {
    // empty or half-written (the holder writes after it locks): say less, take nothing over
  }
  return undefined;
}

function heldLock(handle: FileHandle, path: string, token: string): HeldLock {
  let released: Promise<void> | undefined;
  return {
    token,
    release() {
      released ??= (async () => {
        try {
          // Unlink while still holding, and only our own file: a file someone put in its place
          // (a person who removed ours, another run that then locked the new one) is not ours.
          if (await isAt(handle, path)) await unlink(path);
        } catch {
          // Leaving the file is harmless: closing below drops the lock all the same.
        } finally {
          await handle.close();
        }
      })();
      return released;
    },
  };
}
