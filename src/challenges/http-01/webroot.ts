/**
 * http-01 through a web server that is already running: write the key authorization to
 * <webroot>/.well-known/acme-challenge/<token> (temp file + rename, so the server never serves a
 * half-written answer; mode 0644 so its worker user can read it), and on cleanup remove it and the
 * directories we created, once empty. The webroot itself must exist: creating it would hide a typo.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ChallengeError } from '../errors.js';
import { assertTask } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface WebrootSolverOptions {
  webroot: string;
}

export class WebrootSolver implements ChallengeSolver {
  readonly type = 'http-01' as const;
  private readonly webroot: string;
  private readonly challengeDir: string;
  /** Directories this solver made (deepest last), removed when empty. */
  private readonly createdDirs: string[] = [];
  /** Tasks run one at a time so a cleanup's rmdir never races a present's write. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: WebrootSolverOptions) {
    this.webroot = options.webroot;
    this.challengeDir = join(options.webroot, '.well-known', 'acme-challenge');
  }

  present(task: ChallengeTask, context: SolverContext): Promise<void> {
    return this.serialized(async () => {
      context.signal.throwIfAborted();
      assertTask('http-01', task);
      await this.ensureWebroot();
      await this.makeDir(join(this.webroot, '.well-known'));
      await this.makeDir(this.challengeDir);
      const target = join(this.challengeDir, task.token);
      const temp = join(this.challengeDir, `.${task.token}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        await writeFile(temp, task.keyAuthorization, { mode: 0o644, flag: 'wx' });
        await chmod(temp, 0o644); // the umask may have taken read bits away
        await rename(temp, target);
      } catch (err) {
        await rm(temp, { force: true });
        throw new ChallengeError(`cannot write the http-01 answer ${target}: ${(err as Error).message}`, { cause: err });
      }
      context.logger.info('http-01: answer written', { domain: task.domain, path: target });
    });
  }

  cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    // No abort check: cleaning up is what a cancelled run must still do.
    return this.serialized(async () => {
      if (!/^[A-Za-z0-9_-]+$/.test(task.token)) return; // present() refused it: nothing was written
      const target = join(this.challengeDir, task.token);
      await rm(target, { force: true });
      for (const dir of [...this.createdDirs].reverse()) {
        try {
          await rmdir(dir);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOTEMPTY' || code === 'EEXIST') break; // still in use (another task); so is its parent
          if (code !== 'ENOENT') throw err;
        }
        this.createdDirs.splice(this.createdDirs.indexOf(dir), 1);
      }
      context.logger.debug('http-01: answer removed', { domain: task.domain, path: target });
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ensureWebroot(): Promise<void> {
    let isDir: boolean;
    try {
      isDir = (await stat(this.webroot)).isDirectory();
    } catch (err) {
      throw new ChallengeError(`webroot ${this.webroot} does not exist`, { hint: 'point webroot at the directory your web server serves for the domain', cause: err });
    }
    if (!isDir) throw new ChallengeError(`webroot ${this.webroot} is not a directory`);
  }

  private async makeDir(dir: string): Promise<void> {
    try {
      await mkdir(dir, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw new ChallengeError(`cannot create ${dir}: ${(err as Error).message}`, { cause: err });
    }
    await chmod(dir, 0o755);
    this.createdDirs.push(dir);
  }
}
