/**
 * Per-certificate leases in files: `<stateDir>/leases/<name>.json` = {owner, token, expiresAt}.
 *
 * A lease is a time, not a pid: a runner renews it while it works, and one that stops renewing (killed
 * with SIGKILL, its host rebooted, a pid reused) simply expires, on this host or any other sharing the
 * directory. A first lease is put in place with link(2), which fails if the path is taken. Taking over
 * an expired or released lease first creates `<name>.json.<token>.claim` exclusively (O_EXCL): only
 * one racer can claim the lease file with that token; it checks the file is still the one it read,
 * then renames its own over it, so the path is never empty for a third racer to fill. Two runners
 * never both believe they hold a lease they won at the same moment. (The lease used to be moved
 * aside and put back, and a third racer could take the empty path meanwhile: 2 winners of 12, rarely.)
 * A claim left by a runner that died mid-takeover is stale after CLAIM_STALE_MS. Each write for a certificate checks
 * the file still carries the writer's token (`checkFence`), so the rare loser of a race, or a runner
 * paused past its lease, has its write refused rather than overwriting the new owner's work.
 *
 * The file is kept after release (expiresAt 0) so tokens only grow; a token is at least the clock's
 * milliseconds, so it still grows if a person deletes the directory.
 *
 * A holder that died need not be waited out: each runner holds a kernel lock on its own file under
 * `<stateDir>/runners/` for as long as it runs (see `RunnerLiveness`); the kernel drops it when the
 * process dies, even by SIGKILL. A lease whose holder's runner file exists but is not locked is free
 * at once, on this host and on any other whose filesystem carries flock; otherwise the expiry decides.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import type { RunnerLiveness } from './runner-liveness.js';
import { LeaseLostError, type Fence, type Lease, type Leases } from './ports.js';

interface LeaseFile {
  owner: string;
  host: string;
  token: number;
  expiresAt: number;
}

/** A takeover claim older than this was left by a runner that died between claiming and replacing (milliseconds of work). */
const CLAIM_STALE_MS = 30_000;

export class FileLeases implements Leases {
  constructor(
    private readonly stateDir: string,
    private readonly now: () => number = Date.now,
    private readonly liveness?: RunnerLiveness,
  ) {}

  private path(name: string): string {
    return join(this.stateDir, 'leases', `${name}.json`);
  }

  async acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    await mkdir(join(this.stateDir, 'leases'), { recursive: true, mode: 0o700 });
    const path = this.path(name);
    for (let attempt = 0; attempt < 3; attempt++) {
      const held = readLease(path);
      const now = this.now();
      if (held && held.expiresAt > now && held.owner !== owner && !(await this.liveness?.isDead(held.owner))) return undefined;
      await this.liveness?.register(owner);
      const lease: LeaseFile = { owner, host: hostname(), token: Math.max((held?.token ?? 0) + 1, now), expiresAt: now + ttlMs };
      const temp = `${path}.${randomBytes(6).toString('hex')}.new`;
      await writeFileAtomic(temp, JSON.stringify(lease) + '\n', { mode: 0o600 });
      try {
        if (!held) {
          try {
            await link(temp, path);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // another runner's lease landed in between
            throw err;
          }
          return { name, owner, token: lease.token, expiresAt: lease.expiresAt };
        }
        const claim = await this.claim(path, held.token);
        if (!claim) continue; // another runner is taking this one over: look again
        try {
          // Still the file we read? A racer that took it over (and let its claim go) changed it.
          const current = readLease(path);
          if (!current || current.token !== held.token || current.expiresAt !== held.expiresAt || current.owner !== held.owner) continue;
          await rename(temp, path);
          return { name, owner, token: lease.token, expiresAt: lease.expiresAt };
        } finally {
          await unlink(claim).catch(() => undefined);
        }
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    }
    return undefined;
  }

  /** The exclusive right to replace the lease file with this token: the claim's path, or undefined when another runner holds it. */
  private async claim(path: string, token: number): Promise<string | undefined> {
    const claim = `${path}.${token}.claim`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(claim, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return claim;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      // File times are the real clock's (this.now may be a test's).
      const age = await stat(claim).then((s) => Date.now() - s.mtimeMs, () => Infinity);
      if (age < CLAIM_STALE_MS) return undefined;
      await unlink(claim).catch(() => undefined); // left by a runner that died mid-takeover
    }
    return undefined;
  }

  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    this.checkFence(lease);
    const renewed = { ...lease, expiresAt: this.now() + ttlMs };
    await writeFileAtomic(this.path(lease.name), JSON.stringify({ owner: lease.owner, host: hostname(), token: lease.token, expiresAt: renewed.expiresAt }) + '\n', { mode: 0o600 });
    return renewed;
  }

  async release(lease: Lease): Promise<void> {
    const held = readLease(this.path(lease.name));
    if (held?.token !== lease.token) return; // taken over meanwhile: the new owner's lease stays
    await writeFileAtomic(this.path(lease.name), JSON.stringify({ ...held, expiresAt: 0 }) + '\n', { mode: 0o600 });
  }

  /** Throws LeaseLostError unless the certificate's lease file still carries this token. */
  checkFence(fence: Fence): void {
    const held = readLease(this.path(fence.name));
    if (held?.token !== fence.token) {
      throw new LeaseLostError(fence.name, held ? `now held by ${held.owner} on ${held.host}` : 'its lease file is gone');
    }
  }
}

function readLease(path: string): LeaseFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LeaseFile>;
    if (typeof parsed.token === 'number' && typeof parsed.expiresAt === 'number' && typeof parsed.owner === 'string') {
      return { owner: parsed.owner, host: String(parsed.host ?? '?'), token: parsed.token, expiresAt: parsed.expiresAt };
    }
  } catch {
    // a torn or edited file: treated as expired, so it is taken over rather than blocking forever
  }
  return { owner: '?', host: '?', token: 0, expiresAt: 0 };
}
