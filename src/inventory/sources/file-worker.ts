/**
 * Worker thread: reads and parses batches of files so both cores work and I/O overlaps parsing.
 * Messages are plain data (structured clone); no key bytes ever leave this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { passwordChooser, type PasswordRule } from './passwords.js';
import { readCertificateFile, type ReadLimits } from './read-file.js';
import type { WalkedFile } from './walk.js';

interface WorkerSetup {
  passwords: PasswordRule[];
  limits: ReadLimits;
}

const setup = workerData as WorkerSetup;
const choose = passwordChooser(setup.passwords);

parentPort!.on('message', (batch: { id: number; files: WalkedFile[] }) => {
  const results = batch.files.map((file) => readCertificateFile(file, choose(file.path), setup.limits) ?? null);
  parentPort!.postMessage({ id: batch.id, results });
});
