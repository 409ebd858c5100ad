/**
 * Whether the runner that holds a lease is still alive, without trusting pids: each runner holds
 * the kernel lock (lock.ts) of `<stateDir>/runners/<owner>/.lock` while it runs. The kernel drops the
 * lock when the process dies however it dies, so a lock file that exists and can be locked belongs
 * to a dead runner. No file (another host's runner on a filesystem without it, an old version) says
 * nothing: the lease's expiry decides.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock, LockBusyError, type HeldLock } from './lock.js';

export class RunnerLiveness {
  private readonly held = new Map<string, Promise<HeldLock>>();

  constructor(
    private readonly stateDir: string,
    private readonly pid: number,
  ) {}

  /**
   * The owner string comes back out of lease files: hashed, it can never name a path outside
   * `runners/` (an owner of `..` would otherwise be the state directory itself).
   */
  private dir(owner: string): string {
    return join(this.stateDir, 'runners', createHash('sha256').update(owner).digest('hex').slice(0, 32));
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
      await lock.release(); // unlinks the dead runner's .lock, ours now
      await rmdir(dir).catch(() => undefined); // only if empty: nothing else in it is deleted
      return true;
    } catch (err) {
      if (err instanceof LockBusyError) return false;
      throw err;
    }
  }

  async release(): Promise<void> {
    for (const [owner, lock] of this.held) {
      await (await lock).release().catch(() => undefined);
      await rmdir(this.dir(owner)).catch(() => undefined);
    }
    this.held.clear();
  }
}
