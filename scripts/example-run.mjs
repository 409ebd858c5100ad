// What both examples (example-quickstart.mjs, example-fleet.mjs) do around their steps: an output
// directory that is the example's own, and stopping what they started on a signal or at exit.
// Plain Node ESM (no build needed).
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Names a directory an earlier run made, so the next run may empty it. */
const MARKER = '.certfleet-example';

/** A step that failed for a reason its message says in full: shown without a stack. */
export class StepFailed extends Error {}

/**
 * A fresh start each time, in a directory that is the example's own (its default, new, empty, or
 * made by an earlier run): never anyone else's files. `made` goes into the marker file; `within`
 * is a subdirectory to create in it.
 */
export function prepareOutDir(out, { defaultOut, shown, made, within = '' }) {
  if (existsSync(out)) {
    const ours = out === defaultOut || existsSync(join(out, MARKER)) || readdirSync(out).length === 0;
    if (!statSync(out).isDirectory() || !ours) {
      throw new StepFailed(`${shown(out)} exists and was not made by the example: give --out a new or empty directory`);
    }
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(join(out, within), { recursive: true });
  writeFileSync(join(out, MARKER), `made by ${made}; emptied at its next run\n`);
}

/**
 * On SIGINT, SIGTERM or SIGHUP: `stopAll()`, then exit 128 + the signal's number. At exit (a crash
 * too) `killNow()`, synchronously, so nothing the example started is left behind. Returns whether
 * a signal came (the example then reports no failure of its own).
 */
export function stopOnSignals(stopAll, killNow) {
  process.on('exit', killNow);
  let signalled = false;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
    process.on(signal, () => {
      signalled = true;
      process.stderr.write(`\nexample: ${signal}: stopping what the example started\n`);
      void stopAll().finally(() => process.exit(code));
    });
  }
  return () => signalled;
}
