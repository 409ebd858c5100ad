/**
 * The dns-01 exec hook goes through the same runner as deploy commands (src/process/run-command.ts):
 * its time limit and a cancel stop the hook's whole process group with SIGTERM first, so a hook
 * can take its half-made record away, and SIGKILL after the grace period for a hook that ignores
 * SIGTERM; a hook that exits 0 but left something holding its output does not hold up the order.
 * (The BIND-backed contract tests are in test/integration/challenges-dns-exec.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChallengeError } from '../../../src/challenges/errors.js';
import { ExecDnsSolver } from '../../../src/challenges/dns-01/exec.js';
import { recordingLogger } from '../../../src/logger.js';
import { makeTask } from '../../conformance/tasks.js';
import { isRunning, scriptDir, timed, waitForFile, type ScriptDir } from '../../helpers/processes.js';

let dir: ScriptDir;
beforeEach(() => {
  dir = scriptDir('certfleet-exec-hook-');
});
afterEach(() => dir.cleanup());

const solver = (script: string, timeoutMs: number, graceMs: number) => new ExecDnsSolver({ command: [script], timeoutMs, graceMs, env: { PATH: process.env.PATH } });
const context = (signal: AbortSignal = new AbortController().signal) => ({ logger: recordingLogger(), signal });

describe('dns-01 exec hook: stopping a hook', () => {
  it('SIGKILLs a hook that ignores SIGTERM after the grace period, with what it started', async () => {
    const stubborn = dir.script('stubborn', `trap '' TERM\necho $$ > ${dir.path}/pid\nsleep 30 &\necho $! > ${dir.path}/child\nwait`);
    const { ms, error } = await timed(solver(stubborn, 2_000, 300).present(makeTask('dns-01', 'stubborn.example.test'), context()));
    expect(error).toBeInstanceOf(ChallengeError);
    expect((error as Error).message).toBe(
      `dns-01 exec hook \`${stubborn} present _acme-challenge.stubborn.example.test.\` did not finish within 2 s and was killed (SIGKILL: its process group ignored SIGTERM for 300 ms)`,
    );
    expect(ms).toBeLessThan(10_000);
    expect(isRunning(dir.pid('pid'))).toBe(false);
    expect(isRunning(dir.pid('child'))).toBe(false);
  });

  it('sends SIGTERM first, so a hook can take away what it half did before it goes', async () => {
    const tidy = dir.script('tidy', `trap 'echo "removed $2" > ${dir.path}/tidied; exit 1' TERM\nsleep 30 &\nwait`);
    const { error } = await timed(solver(tidy, 2_000, 5_000).present(makeTask('dns-01', 'tidy.example.test'), context()));
    expect((error as Error).message).toMatch(/did not finish within 2 s and was killed \(SIGTERM to its process group\)$/);
    expect(readFileSync(join(dir.path, 'tidied'), 'utf8')).toBe('removed _acme-challenge.tidy.example.test.\n');
  });

  it('stops the hook the same way when the run is cancelled: SIGTERM first, rejecting with the reason', async () => {
    const tidy = dir.script('cancelled', `trap 'echo "cancelled $1" > ${dir.path}/tidied; exit 0' TERM\necho $$ > ${dir.path}/pid\nsleep 30 &\nwait`);
    const controller = new AbortController();
    const settled = timed(solver(tidy, 20_000, 300).present(makeTask('dns-01', 'cancel.example.test'), context(controller.signal)));
    await waitForFile(join(dir.path, 'pid')); // written after the trap is set
    controller.abort(new Error('run cancelled'));
    const { ms, error } = await settled;
    expect((error as Error).message).toBe('run cancelled');
    expect(ms).toBeLessThan(10_000);
    expect(readFileSync(join(dir.path, 'tidied'), 'utf8')).toBe('cancelled present\n');
    expect(isRunning(dir.pid('pid'))).toBe(false);
  });

  it('succeeds when the hook exits 0 though something it started still holds its output', async () => {
    const starter = dir.script('starter', `sleep 30 &\necho $! > ${dir.path}/leftover\necho record added`);
    const { ms, error } = await timed(solver(starter, 20_000, 300).present(makeTask('dns-01', 'leftover.example.test'), context()));
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(10_000);
    expect(isRunning(dir.pid('leftover'))).toBe(true); // left alone; afterEach ends it
  });

  it('fails with the exit status and its output', async () => {
    const failing = dir.script('failing', 'echo "no credentials for zone example.test" >&2\nexit 4');
    await expect(solver(failing, 5_000, 300).present(makeTask('dns-01', 'fail.example.test'), context())).rejects.toThrow(
      `dns-01 exec hook \`${failing} present _acme-challenge.fail.example.test.\` exited with status 4: no credentials for zone example.test`,
    );
  });
});
