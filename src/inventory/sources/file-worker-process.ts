/**
 * A file-parsing child process. Processes, not worker threads: OpenSSL 3's locks serialise
 * X509Certificate parsing across threads of one process (measured here: 2 threads 1.1x, 2 processes
 * 1.9x). Setup (passwords) arrives over IPC, never argv or env, so it is not visible in `ps`.
 * The process ends by itself when the parent disconnects.
 */
import { passwordChooser, type PasswordRule } from './passwords.js';
import { readCertificateFile, type ReadLimits } from './read-file.js';
import type { WalkedFile } from './walk.js';

type Message = { kind: 'setup'; passwords: PasswordRule[]; limits: ReadLimits } | { kind: 'batch'; id: number; files: WalkedFile[] };

let choose: (path: string) => string[] = () => [''];
let limits: ReadLimits | undefined;

process.on('message', (msg: Message) => {
  if (msg.kind === 'setup') {
    choose = passwordChooser(msg.passwords);
    limits = msg.limits;
    return;
  }
  const results = msg.files.map((file) => readCertificateFile(file, choose(file.path), limits!) ?? null);
  process.send!({ id: msg.id, results });
});
