/**
 * The file stage: walk the paths, read and parse every candidate file, hand each result to the
 * caller as it arrives. Certificates parse in ~10 µs (der.ts), so passing them to another process
 * costs more than it saves, and by default files are parsed in-process. Keystores are another
 * matter (a keytool PKCS#12 takes ~20 ms, a JCEKS key ~0.5 s): when batches average more than
 * SLOW_FILE_MS a file, a pool of child processes (one per core) takes over the rest.
 * `workers` > 0 forces the pool; 0 forbids it. Running from TypeScript sources (vitest) there is
 * no compiled worker, and everything is parsed in-process.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork, type ChildProcess } from 'node:child_process';
import type { InventoryError } from '../model.js';
import type { FileReadResult } from './file-content.js';
import { passwordChooser, type PasswordRule } from './passwords.js';
import { defaultReadLimits, readCertificateFile, type ReadLimits } from './read-file.js';
import { linkTargetOf, walkPaths, type WalkedFile } from './walk.js';

export interface FileStageOptions {
  /** Directories and files to walk. */
  paths: readonly string[];
  /** Files named by proxy configs: read even if outside `paths`, always explicit. */
  extraFiles: readonly string[];
  exclude: readonly string[];
  passwords: readonly PasswordRule[];
  limits?: ReadLimits;
  /** Parsing processes: 0 never, N always (from the second batch). Default: one per core, when files turn out slow. */
  workers?: number;
  onResult: (result: FileReadResult) => void;
  onError: (error: InventoryError) => void;
  onProgress?: (filesDone: number) => void;
}

const BATCH = 64;
const SLOW_FILE_MS = 1;

export async function runFileStage(options: FileStageOptions): Promise<{ filesRead: number }> {
  const limits = options.limits ?? defaultReadLimits;
  const workerUrl = new URL('./file-worker-process.js', import.meta.url);
  const workerScript = workerUrl.protocol === 'file:' ? fileURLToPath(workerUrl) : '';
  const workerCount = workerScript && existsSync(workerScript) ? (options.workers ?? Math.max(1, availableParallelism())) : 0;
  let usePool = options.workers !== undefined && options.workers > 0;
  const choose = passwordChooser(options.passwords);
  const seen = new Set<string>();
  let filesDone = 0;

  const deliver = (results: Array<FileReadResult | null | undefined>): void => {
    for (const r of results) if (r) options.onResult(r);
    filesDone += results.length;
    options.onProgress?.(filesDone);
  };
  const parseHere = (batch: WalkedFile[]) => {
    const started = performance.now();
    deliver(batch.map((file) => readCertificateFile(file, choose(file.path), limits)));
    if ((performance.now() - started) / batch.length > SLOW_FILE_MS) usePool = true;
  };

  let pool: ProcessPool | undefined;
  try {
    let batch: WalkedFile[] = [];
    for await (const file of candidates()) {
      batch.push(file);
      if (batch.length < BATCH) continue;
      if (workerCount > 0 && usePool) {
        pool ??= new ProcessPool(workerScript, workerCount, { passwords: [...options.passwords], limits }, deliver);
        await pool.submit(batch);
      } else {
        parseHere(batch);
        await new Promise((r) => setImmediate(r)); // let endpoint scans and progress run
      }
      batch = [];
    }
    if (batch.length) {
      if (pool) await pool.submit(batch);
      else parseHere(batch);
    }
    await pool?.drain();
  } finally {
    pool?.close();
  }
  return { filesRead: filesDone };

  async function* candidates(): AsyncGenerator<WalkedFile> {
    for (const path of options.extraFiles) {
      const abs = resolve(path);
      if (seen.has(abs)) continue;
      seen.add(abs);
      const linkTarget = await linkTargetOf(abs);
      yield linkTarget === undefined ? { path: abs, explicit: true } : { path: abs, explicit: true, linkTarget };
    }
    for await (const file of walkPaths(options.paths, { exclude: options.exclude, onError: options.onError })) {
      if (seen.has(file.path)) continue;
      seen.add(file.path);
      yield file;
    }
  }
}

type Deliver = (results: Array<FileReadResult | null>) => void;

/** A fixed set of child processes, each allowed two batches in flight so none waits on the parent. */
class ProcessPool {
  private readonly children: Array<{ child: ChildProcess; inFlight: number }> = [];
  private inFlight = 0;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  constructor(script: string, count: number, setup: { passwords: PasswordRule[]; limits: ReadLimits }, deliver: Deliver) {
    for (let i = 0; i < count; i++) {
      // execArgv: [] so the parent's flags (--inspect, --cpu-prof, --input-type) do not leak in.
      const child = fork(script, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const slot = { child, inFlight: 0 };
      child.on('message', (msg: { id: number; results: Array<FileReadResult | null> }) => {
        slot.inFlight--;
        this.inFlight--;
        deliver(msg.results);
        this.wake();
      });
      child.on('error', (err) => this.fail(err));
      child.on('exit', (code, signal) => {
        if (slot.inFlight > 0) this.fail(new Error(`a file-parsing process died (${signal ?? `exit ${code}`}) with files still to read`));
      });
      child.send({ kind: 'setup', ...setup });
      this.children.push(slot);
    }
  }

  async submit(files: WalkedFile[]): Promise<void> {
    for (;;) {
      if (this.failure) throw this.failure;
      const slot = this.children.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
      if (slot.inFlight < 2) {
        slot.inFlight++;
        this.inFlight++;
        slot.child.send({ kind: 'batch', id: 0, files });
        return;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight > 0) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    if (this.failure) throw this.failure;
  }

  close(): void {
    for (const { child } of this.children) if (child.connected) child.disconnect();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
