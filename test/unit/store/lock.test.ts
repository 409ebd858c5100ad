/**
 * The state-directory lock within one process. flock(2) locks belong to the open file
 * description, so two acquireLock calls in one process exclude each other exactly as two runs do.
 * Across processes (stress, SIGKILL): lock-processes.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../src/errors.js';
import { acquireLock, LockBusyError } from '../../../src/store/lock.js';
import { tempDir } from '../../helpers/pki.js';

const quick = { waitMs: 0, pid: process.pid };

function holderToken(dir: string): unknown {
  return (JSON.parse(readFileSync(join(dir, '.lock'), 'utf8')) as { token?: unknown }).token;
}

describe('state directory lock', () => {
  it('takes over at once a lock file whose pid belongs to a live process that holds no lock (pid reuse after a reboot)', async () => {
    for (const pid of [1, process.pid]) {
      const dir = tempDir();
      writeFileSync(join(dir, '.lock'), JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
      const lock = await acquireLock(dir, quick);
      expect(holderToken(dir)).toBe(lock.token);
      await lock.release();
    }
  });

  it('leaves no lock file after a clean release, and a second release does nothing to the next holder', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, quick);
    await first.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    const second = await acquireLock(dir, quick);
    await first.release();
    expect(holderToken(dir)).toBe(second.token);
    await expect(acquireLock(dir, quick)).rejects.toThrow(LockBusyError);
    await second.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('never removes a lock file that replaced its own', async () => {
    const dir = tempDir();
    const first = await acquireLock(dir, quick);
    rmSync(join(dir, '.lock')); // a person "cleaning up"; the next run creates and locks a new file
    const second = await acquireLock(dir, quick);
    await first.release();
    expect(holderToken(dir)).toBe(second.token);
    await expect(acquireLock(dir, quick)).rejects.toThrow(LockBusyError);
    await second.release();
  });

  it('refuses a symlink planted at .lock and touches neither it nor its target', async () => {
    const dir = tempDir();
    const target = join(tempDir(), 'precious');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, join(dir, '.lock'));
    const attempt = acquireLock(dir, quick);
    await expect(attempt).rejects.toThrow(CertfleetError);
    await expect(attempt).rejects.toThrow(`${join(dir, '.lock')} is a symbolic link`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(readlinkSync(join(dir, '.lock'))).toBe(target);

    const dangling = tempDir();
    const nowhere = join(tempDir(), 'would-be-created');
    symlinkSync(nowhere, join(dangling, '.lock'));
    await expect(acquireLock(dangling, quick)).rejects.toThrow('is a symbolic link');
    expect(existsSync(nowhere)).toBe(false);
    expect(lstatSync(join(dangling, '.lock')).isSymbolicLink()).toBe(true);
  });

  it('refuses a .lock that is a directory or a FIFO', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, '.lock'));
    await expect(acquireLock(dir, quick)).rejects.toThrow(`${join(dir, '.lock')} is not a regular file`);
    const fifoDir = tempDir();
    execFileSync('mkfifo', [join(fifoDir, '.lock')]);
    await expect(acquireLock(fifoDir, quick)).rejects.toThrow(`${join(fifoDir, '.lock')} is not a regular file`);
    expect(lstatSync(join(fifoDir, '.lock')).isFIFO()).toBe(true);
  });

  it('gives up after waitMs with LockBusyError naming the holder', async () => {
    const dir = tempDir();
    const held = await acquireLock(dir, { waitMs: 0, pid: 4242, now: () => new Date('2026-03-01T10:00:00Z') });
    const attempt = acquireLock(dir, { waitMs: 300, pollMs: 50, pid: process.pid });
    await expect(attempt).rejects.toThrow(LockBusyError);
    await expect(attempt).rejects.toThrow(`state directory ${dir} is locked by certfleet pid 4242 on ${hostname()} since 2026-03-01T10:00:00.000Z`);
    await expect(attempt).rejects.toMatchObject({ exitCode: 3, hint: expect.stringContaining('another certfleet run') });
    await held.release();
  });

  it('treats a held lock whose file is empty or torn (a full disk) as busy, never as dead', async () => {
    const dir = tempDir();
    const held = await acquireLock(dir, quick);
    for (const content of ['', '{"pid":12']) {
      writeFileSync(join(dir, '.lock'), content); // same inode: what a failed write leaves
      await expect(acquireLock(dir, { waitMs: 100, pollMs: 20, pid: process.pid })).rejects.toThrow(`state directory ${dir} is locked by another certfleet run`);
    }
    await held.release();
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('waits for a lock that is released meanwhile', async () => {
    const dir = tempDir();
    const held = await acquireLock(dir, quick);
    setTimeout(() => void held.release(), 100);
    const next = await acquireLock(dir, { waitMs: 20_000, pollMs: 20, pid: process.pid });
    expect(holderToken(dir)).toBe(next.token);
    await next.release();
  });

  it('names util-linux flock when it is missing, and creates nothing', async () => {
    const dir = tempDir();
    await expect(acquireLock(dir, { ...quick, flockPath: join(dir, 'no-such-flock') })).rejects.toThrow(/util-linux's flock\(1\) was not found/);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});
