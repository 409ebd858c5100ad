/**
 * The operator's pre/deploy/post commands, run for real (bash scripts in a temp dir): a time limit
 * that is enforced on the whole process group (SIGTERM, then SIGKILL after the grace period) and
 * counts as a failure whatever the command's exit status; what a command that exits on its own
 * leaves running is left alone and does not hold us up; failures say which command, how it ended
 * and the end of its output. Bounds on durations are generous (a 30 s sleeper must be gone in
 * < 10 s), never exact.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/errors.js';
import { recordingLogger } from '../../../src/logger.js';
import { CommandFailedError, runCommand } from '../../../src/renewal/commands.js';
import { isRunning, scriptDir, timed, waitForFile, type ScriptDir } from '../../helpers/processes.js';

let dir: ScriptDir;
beforeEach(() => {
  dir = scriptDir('certfleet-commands-');
});
afterEach(() => dir.cleanup());

const env = () => ({ PATH: process.env.PATH, CERTFLEET_NAME: 'www' });
const run = (argv: string[], extra: { timeoutMs?: number; graceMs?: number; signal?: AbortSignal } = {}) => {
  const logger = recordingLogger();
  return { logger, promise: runCommand({ argv, env: env(), timeoutMs: extra.timeoutMs ?? 10_000, logger, graceMs: extra.graceMs ?? 300, ...(extra.signal ? { signal: extra.signal } : {}) }) };
};

describe('runCommand: the time limit', () => {
  it('kills a command that ignores SIGTERM (SIGKILL after the grace period) and counts it as a failure', async () => {
    // Ignored signals are inherited across exec, so the sleep ignores SIGTERM too.
    const stubborn = dir.script('stubborn', `trap '' TERM\necho $$ > ${dir.path}/pid\nsleep 30 &\necho $! > ${dir.path}/child\necho still deploying\nwait\nexit 0`);
    const { ms, error } = await timed(run([stubborn, '--reload'], { timeoutMs: 2_000, graceMs: 300 }).promise);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as CommandFailedError).exitCode).toBe(ExitCode.partial);
    expect((error as Error).message).toBe(
      `command \`${stubborn} --reload\` did not finish within 2 s and was killed (SIGKILL: its process group ignored SIGTERM for 300 ms): still deploying`,
    );
    expect(ms).toBeLessThan(10_000);
    expect(isRunning(dir.pid('pid'))).toBe(false);
    expect(isRunning(dir.pid('child'))).toBe(false);
  });

  it('kills what a timed-out shell script started (its whole process group), not only the script', async () => {
    const hanging = dir.script('hanging', `echo $$ > ${dir.path}/pid\nsleep 30 &\necho $! > ${dir.path}/child\nsleep 30`);
    const { ms, error } = await timed(run([hanging], { timeoutMs: 2_000, graceMs: 5_000 }).promise);
    expect((error as Error).message).toBe(`command \`${hanging}\` did not finish within 2 s and was killed (SIGTERM to its process group)`);
    // Both died of SIGTERM, so the 5 s grace period was not waited out (that would end at >= 7 s).
    expect(ms).toBeLessThan(6_000);
    expect(isRunning(dir.pid('pid'))).toBe(false);
    expect(isRunning(dir.pid('child'))).toBe(false);
  });

  it('lets a command that traps SIGTERM clean up, and still counts the timeout as a failure though it exits 0', async () => {
    const tidy = dir.script('tidy', `trap 'echo tidied up > ${dir.path}/tidied; exit 0' TERM\nsleep 30 &\nwait`);
    const { error } = await timed(run([tidy], { timeoutMs: 2_000, graceMs: 5_000 }).promise);
    expect((error as Error).message).toBe(`command \`${tidy}\` did not finish within 2 s and was killed (SIGTERM to its process group)`);
    expect(readFileSync(join(dir.path, 'tidied'), 'utf8')).toBe('tidied up\n');
  });

  it('stops the command the same way when the run is cancelled, and rejects with the reason', async () => {
    const slow = dir.script('slow', `echo $$ > ${dir.path}/pid\nsleep 30`);
    const controller = new AbortController();
    const { logger, promise } = run([slow], { signal: controller.signal });
    const settled = timed(promise);
    await waitForFile(join(dir.path, 'pid'));
    controller.abort(new Error('run cancelled'));
    const { ms, error } = await settled;
    expect((error as Error).message).toBe('run cancelled');
    expect(ms).toBeLessThan(10_000);
    expect(isRunning(dir.pid('pid'))).toBe(false);
    expect(logger.lines.map((l) => l.message)).toEqual([`running ${slow}`]);
  });
});

describe('runCommand: a command that exits on its own', () => {
  it('succeeds with status 0 and sees the environment it is given, stdin closed', async () => {
    const ok = dir.script('ok', `echo "$CERTFLEET_NAME $1" > ${dir.path}/seen\nread -r line || echo "stdin closed" >> ${dir.path}/seen`);
    await run([ok, 'a b; $(touch pwned)']).promise;
    expect(readFileSync(join(dir.path, 'seen'), 'utf8')).toBe('www a b; $(touch pwned)\nstdin closed\n');
    expect(existsSync('pwned')).toBe(false);
  });

  it('does not wait for a background process it left holding its output, and leaves that process alone', async () => {
    // The decision under test: on a normal exit the group is not killed (a deploy may start a daemon).
    const starter = dir.script('starter', `sleep 30 &\necho $! > ${dir.path}/daemon\necho started`);
    const { logger, promise } = run([starter], { timeoutMs: 20_000 });
    const { ms, error } = await timed(promise);
    expect(error).toBeUndefined();
    expect(ms).toBeLessThan(10_000);
    expect(isRunning(dir.pid('daemon'))).toBe(true);
    expect(logger.lines.some((l) => l.message.includes(`\`${starter}\` exited and left processes running in its process group`))).toBe(true);
  });

  it('fails with the exit status and the end of what it printed', async () => {
    const failing = dir.script('failing', 'echo "checking config"\necho "reload refused" >&2\nexit 3');
    await expect(run([failing, '--now']).promise).rejects.toThrow(`command \`${failing} --now\` exited with status 3: checking config\nreload refused`);
  });

  it('fails when the command was killed by a signal, and says which', async () => {
    const crashing = dir.script('crashing', 'kill -KILL $$');
    await expect(run([crashing]).promise).rejects.toThrow(`command \`${crashing}\` was killed by SIGKILL`);
  });

  it('keeps the end of a long output (about 4 KB), where the reason usually is', async () => {
    const chatty = dir.script('chatty', `printf 'early line %.0s\\n' $(seq 1 2000)\necho "the real reason" >&2\nexit 1`);
    const error = (await timed(run([chatty]).promise)).error as Error;
    expect(error.message).toMatch(/(early line \n){300,}the real reason$/);
    expect(error.message.length).toBeLessThan(4_200);
    expect(error.message.length).toBeGreaterThan(3_000);
  });

  it('says when the program does not exist', async () => {
    const missing = join(dir.path, 'no-such-command');
    await expect(run([missing]).promise).rejects.toThrow(`command ${missing}: not found`);
  });

  it('says when the program is not executable', async () => {
    const plain = dir.script('plain', 'exit 0', 0o644);
    await expect(run([plain]).promise).rejects.toThrow(`command ${plain}: not executable`);
  });

  it("says when a script's #! interpreter is missing rather than that the script is", async () => {
    const orphan = dir.script('orphan', 'exit 0');
    writeFileSync(orphan, '#!/nonexistent/interpreter\nexit 0\n');
    await expect(run([orphan]).promise).rejects.toThrow(`command ${orphan}: cannot be started: the interpreter on its #! line was not found`);
  });
});
