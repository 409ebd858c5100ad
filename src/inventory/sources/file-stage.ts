/**
 * The file stage: walk the paths, read and parse every candidate file in a pool of worker threads
 * (one per core), hand each result to the caller as it arrives. Falls back to parsing in-process
 * when the compiled worker is not there (running from TypeScript sources, e.g. under vitest).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { InventoryError } from '../model.js';
import type { FileReadResult } from './file-content.js';
import { passwordChooser, type PasswordRule } from './passwords.js';
import { defaultReadLimits, readCertificateFile, type ReadLimits } from './read-file.js';
import { walkPaths, type WalkedFile } from './walk.js';

export interface FileStageOptions {
  /** Directories and files to walk. */
  paths: readonly string[];
  /** Files named by proxy configs: read even if outside `paths`, always explicit. */
  extraFiles: readonly string[];
  exclude: readonly string[];
  passwords: readonly PasswordRule[];
  limits?: ReadLimits;
  /** Worker threads; 0 parses in-process. Default: one per core. */
  workers?: number;
  onResult: (result: FileReadResult) => void;
  onError: (error: InventoryError) => void;
  onProgress?: (filesDone: number) => void;
}

const BATCH = 64;

export async function runFileStage(options: FileStageOptions): Promise<{ filesRead: number }> {
  const limits = options.limits ?? defaultReadLimits;
  const workerUrl = new URL('./file-worker.js', import.meta.url);
  const canUseWorkers = workerUrl.protocol === 'file:' && existsSync(fileURLToPath(workerUrl));
  const workerCount = canUseWorkers ? (options.workers ?? Math.max(1, availableParallelism())) : 0;
  const seen = new Set<string>();
  let filesDone = 0;

  const deliver = (results: Array<FileReadResult | null | undefined>): void => {
    for (const r of results) if (r) options.onResult(r);
    filesDone += results.length;
    options.onProgress?.(filesDone);
  };

  const files = candidates();
  if (workerCount === 0) {
    const choose = passwordChooser(options.passwords);
    let batch: Array<FileReadResult | undefined> = [];
    for await (const file of files) {
      batch.push(readCertificateFile(file, choose(file.path), limits));
      if (batch.length >= BATCH) {
        deliver(batch);
        batch = [];
        await new Promise((r) => setImmediate(r)); // let endpoint scans and progress run
      }
    }
    deliver(batch);
    return { filesRead: filesDone };
  }

  const pool = new WorkerPool(workerUrl, workerCount, { passwords: [...options.passwords], limits }, deliver);
  try {
    let batch: WalkedFile[] = [];
    for await (const file of files) {
      batch.push(file);
      if (batch.length >= BATCH) {
        await pool.submit(batch);
        batch = [];
      }
    }
    if (batch.length) await pool.submit(batch);
    await pool.drain();
  } finally {
    await pool.close();
  }
  return { filesRead: filesDone };

  async function* candidates(): AsyncGenerator<WalkedFile> {
    for (const path of options.extraFiles) {
      const abs = resolve(path);
      if (seen.has(abs)) continue;
      seen.add(abs);
      yield { path: abs, explicit: true };
    }
    for await (const file of walkPaths(options.paths, { exclude: options.exclude, onError: options.onError })) {
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      yield file;
    }
  }
}

type Deliver = (results: Array<FileReadResult | null>) => void;

/** A fixed set of workers, each allowed two batches in flight so none waits on the main thread. */
class WorkerPool {
  private readonly workers: Array<{ worker: Worker; inFlight: number }> = [];
  private readonly pending = new Map<number, () => void>();
  private nextId = 0;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  constructor(url: URL, count: number, workerData: unknown, deliver: Deliver) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(url, { workerData });
      const slot = { worker, inFlight: 0 };
      worker.on('message', (msg: { id: number; results: Array<FileReadResult | null> }) => {
        slot.inFlight--;
        deliver(msg.results);
        this.pending.get(msg.id)?.();
        this.pending.delete(msg.id);
        this.wake();
      });
      worker.on('error', (err) => {
        this.failure = err;
        this.wake();
      });
      this.workers.push(slot);
    }
  }

  async submit(files: WalkedFile[]): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const slot = this.workers.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (slot.inFlight < 2) {
        const id = this.nextId++;
        slot.inFlight++;
        this.pending.set(id, () => undefined);
        slot.worker.postMessage({ id, files });
        return;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
