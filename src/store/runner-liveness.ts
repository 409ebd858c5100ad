/**
 * Whether the runner that holds a lease is still alive, without trusting pids: each runner holds
 * the kernel lock (lock.ts) of `<stateDir>/runners/<owner>/.lock` while it runs. The kernel drops the
 * lock when the process dies however it dies, so a lock file that exists and can be locked belongs
 * to a dead runner. No file (another host's runner on a filesystem without it, an old version) says
 * nothing: the lease's expiry decides.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock, LockBusyError, type HeldLock } from './lock.js';

export class RunnerLiveness {
  private readonly held = new Map<string, Promise<HeldLock>>();

  constructor(
    private readonly stateDir: string,
    private readonly pid: number,
  ) {}

  private dir(owner: string): string {
    return join(this.stateDir, 'runners', owner.replace(/[^A-Za-z0-9._:-]/g, '_'));
  }

  /** Hold this runner's lock (once per owner) until `release`. */
  async register(owner: string): Promise<void> {
    if (!this.held.has(owner)) {
      this.held.set(owner, (async () => {
        await mkdir(this.dir(owner), { recursive: true, mode: 0o700 });
        return acquireLock(this.dir(owner), { waitMs: 0, pid: this.pid });
      })());
    }
    await this.held.get(owner);
  }

  async isDead(owner: string): Promise<boolean> {
    if (this.held.has(owner)) return false;
    const dir = this.dir(owner);
    if (!existsSync(join(dir, '.lock'))) return false;
    try {
      const lock = await acquireLock(dir, { waitMs: 0, pid: this.pid });
      await lock.release();
      await rm(dir, { recursive: true, force: true });
      return true;
    } catch (err) {
      if (err instanceof LockBusyError) return false;
      throw err;
    }
  }

  async release(): Promise<void> {
    for (const [owner, lock] of this.held) {
      await (await lock).release().catch(() => undefined);
      await rm(this.dir(owner), { recursive: true, force: true }).catch(() => undefined);
    }
    this.held.clear();
  }
}
