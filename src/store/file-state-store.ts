/**
 * The embedded state store: one host's state directory (the default; ports.ts says what a store is).
 * Leases are files with expiry times; the short sections that touch shared files (the schedule
 * index, the run summary, the history, the rate budget) take the directory's kernel lock briefly.
 */
import { mkdir } from 'node:fs/promises';
import { AccountStore } from './account-store.js';
import { CertificateStore } from './certificate-store.js';
import { FileChallengeTokens } from './file-challenges.js';
import { FileLeases } from './file-leases.js';
import { FileRateBudget } from './file-rate-budget.js';
import { FileRunRecords } from './file-run-records.js';
import { acquireLock } from './lock.js';
import { RunnerLiveness } from './runner-liveness.js';
import type { StateStore } from './ports.js';

export interface FileStateStoreOptions {
  /** How long a short section waits for another run's (also short) one. */
  lockWaitMs?: number;
  pid?: number;
  now?: () => number;
}

export class FileStateStore implements StateStore {
  readonly kind = 'file';
  readonly certificates: CertificateStore;
  readonly accounts: AccountStore;
  readonly runs: FileRunRecords;
  readonly leases: FileLeases;
  readonly challenges: FileChallengeTokens;
  readonly budget: FileRateBudget;
  private readonly liveness: RunnerLiveness;

  constructor(
    readonly location: string,
    private readonly options: FileStateStoreOptions = {},
  ) {
    this.liveness = new RunnerLiveness(location, options.pid ?? process.pid);
    this.leases = new FileLeases(location, options.now, this.liveness);
    this.certificates = new CertificateStore(location, { checkFence: (fence) => this.leases.checkFence(fence) });
    this.accounts = new AccountStore(location);
    this.runs = new FileRunRecords(location, (section) => this.exclusively(section));
    this.challenges = new FileChallengeTokens(location, options.now);
    this.budget = new FileRateBudget(location, (section) => this.exclusively(section));
  }

  /** Runs `section` under the state directory's kernel lock (held for that section only). */
  async exclusively<T>(section: () => Promise<T>): Promise<T> {
    await mkdir(this.location, { recursive: true, mode: 0o700 });
    const lock = await acquireLock(this.location, { waitMs: this.options.lockWaitMs ?? 30_000, pid: this.options.pid ?? process.pid, pollMs: 20 });
    try {
      return await section();
    } finally {
      await lock.release();
    }
  }

  async close(): Promise<void> {
    await this.liveness.release();
    if (this.certificates.hasPendingSchedules()) await this.exclusively(() => this.certificates.flushSchedules());
  }
}
