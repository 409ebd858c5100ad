// A separate process that takes the state-directory lock, for the lock tests (a lock is only
// worth testing across processes). argv: <compiled lock.js> <mode> <stateDir> [...]
//   stress <log> <iterations> <holdMs> <pollMs>: take, log "enter pid", sleep, log "leave pid", release
//   hold [grandchild]: take, print "held <grandchild pid or 0>", then idle until killed
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

const [modulePath, mode, dir, ...rest] = process.argv.slice(2);
const { acquireLock } = await import(modulePath);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (mode === 'stress') {
  const [log, iterations, holdMs, pollMs] = rest;
  for (let i = 0; i < Number(iterations); i++) {
    const lock = await acquireLock(dir, { waitMs: 120_000, pollMs: Number(pollMs), pid: process.pid });
    appendFileSync(log, `enter ${process.pid}\n`);
    await sleep(Number(holdMs));
    appendFileSync(log, `leave ${process.pid}\n`);
    await lock.release();
  }
} else if (mode === 'hold') {
  await acquireLock(dir, { waitMs: 0, pid: process.pid });
  // Like a reload hook that starts a daemon: it outlives us and must not keep the lock.
  const grandchild = rest[0] === 'grandchild' ? spawn('sleep', ['60'], { stdio: 'ignore' }) : undefined;
  grandchild?.unref();
  process.stdout.write(`held ${grandchild?.pid ?? 0}\n`);
  setInterval(() => {}, 60_000);
} else {
  throw new Error(`unknown mode ${mode}`);
}
