/**
 * The conformance suite every challenge solver passes (cert-manager and lego keep one for their
 * DNS providers): what present() puts in place is accepted by a real client, cleanup() takes it
 * away, repeats and partial runs are harmless, concurrent tasks do not disturb each other, and a
 * closed solver either works again or says clearly why not.
 */
import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../../src/logger.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../../src/challenges/types.js';
import { makeTask } from './tasks.js';
import type { ChallengeVerifier } from './verifiers.js';

export type { ChallengeVerifier } from './verifiers.js';

function context(signal: AbortSignal = new AbortController().signal): SolverContext {
  return { logger: recordingLogger(), signal };
}

async function expectValid(verifier: ChallengeVerifier, task: ChallengeTask, valid: boolean): Promise<void> {
  const verdict = await verifier.validate(task);
  expect(verdict.valid, `${task.domain}${task.wildcard ? ' (wildcard)' : ''}: ${verdict.detail}`).toBe(valid);
}

const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'UDPWrap', 'Timeout', 'ProcessWrap', 'PipeWrap'];

function handleCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) if (WATCHED.includes(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

function leaked(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([kind, n]) => `${kind}: ${before.get(kind) ?? 0} -> ${n}`);
}

/**
 * Register the suite for one solver. `makeSolver` and `verifier` are called inside the tests, so
 * they may use what a beforeAll started (a BIND, an nginx); each test gets a fresh solver and closes it.
 */
export function describeSolverConformance(
  name: string,
  makeSolver: () => ChallengeSolver | Promise<ChallengeSolver>,
  verifier: ChallengeVerifier | (() => ChallengeVerifier),
): void {
  const v = () => (typeof verifier === 'function' ? verifier() : verifier);

  async function withSolver(body: (solver: ChallengeSolver, verifier: ChallengeVerifier) => Promise<void>): Promise<void> {
    const solver = await makeSolver();
    try {
      expect(solver.type).toBe(v().type);
      await body(solver, v());
    } finally {
      await solver.close?.();
    }
  }

  describe(`${name}: solver conformance`, () => {
    it('present() makes the challenge answerable to a real client; cleanup() takes it away', async () => {
      await withSolver(async (solver, verifier) => {
        const task = makeTask(verifier.type, verifier.domains[0]);
        await expectValid(verifier, task, false);
        await solver.present(task, context());
        await expectValid(verifier, task, true);
        await solver.cleanup(task, context());
        await expectValid(verifier, task, false);
      });
    });

    it('a second cleanup(), and a cleanup() of a task never presented, are harmless', async () => {
      await withSolver(async (solver, verifier) => {
        const task = makeTask(verifier.type, verifier.domains[0]);
        await solver.present(task, context());
        await solver.cleanup(task, context());
        await solver.cleanup(task, context());
        await expectValid(verifier, task, false);
        await solver.cleanup(makeTask(verifier.type, verifier.domains[1]), context());
      });
    });

    it('answers two domains at once, and cleaning one up leaves the other', async () => {
      await withSolver(async (solver, verifier) => {
        const first = makeTask(verifier.type, verifier.domains[0]);
        const second = makeTask(verifier.type, verifier.domains[1]);
        await Promise.all([solver.present(first, context()), solver.present(second, context())]);
        await expectValid(verifier, first, true);
        await expectValid(verifier, second, true);
        await solver.cleanup(first, context());
        await expectValid(verifier, first, false);
        await expectValid(verifier, second, true);
        await solver.cleanup(second, context());
        await expectValid(verifier, second, false);
      });
    });

    it('wildcards: dns-01 serves a wildcard and its base domain at once (one TXT name, two values); other types refuse them', async () => {
      await withSolver(async (solver, verifier) => {
        const wildcard = makeTask(verifier.type, verifier.domains[0], { wildcard: true });
        if (verifier.type !== 'dns-01') {
          await expect(solver.present(wildcard, context())).rejects.toThrow('can only be validated with dns-01');
          await solver.cleanup(wildcard, context());
          return;
        }
        const base = makeTask('dns-01', verifier.domains[0]);
        await Promise.all([solver.present(wildcard, context()), solver.present(base, context())]);
        await expectValid(verifier, wildcard, true);
        await expectValid(verifier, base, true);
        await solver.cleanup(wildcard, context());
        await expectValid(verifier, wildcard, false);
        await expectValid(verifier, base, true);
        await solver.cleanup(base, context());
        await expectValid(verifier, base, false);
      });
    });

    it('present() after close() works again or throws a clear error', async () => {
      await withSolver(async (solver, verifier) => {
        const before = makeTask(verifier.type, verifier.domains[0]);
        await solver.present(before, context());
        await solver.cleanup(before, context());
        await solver.close?.();
        const after = makeTask(verifier.type, verifier.domains[0]);
        let error: unknown;
        try {
          await solver.present(after, context());
        } catch (err) {
          error = err;
        }
        if (error === undefined) {
          await expectValid(verifier, after, true);
          await solver.cleanup(after, context());
          await expectValid(verifier, after, false);
        } else {
          expect(error).toBeInstanceOf(Error);
          expect((error as Error).message.length).toBeGreaterThan(10);
        }
      });
    });

    it('present() with an aborted signal rejects, puts nothing in place, and cleanup() after it is harmless', async () => {
      await withSolver(async (solver, verifier) => {
        const task = makeTask(verifier.type, verifier.domains[0]);
        const controller = new AbortController();
        controller.abort(new Error('run cancelled'));
        await expect(solver.present(task, context(controller.signal))).rejects.toThrow('run cancelled');
        await expectValid(verifier, task, false);
        await solver.cleanup(task, context(controller.signal));
      });
    });

    it('leaves no listener, socket or timer behind once cleaned up and closed', async () => {
      const before = handleCounts();
      await withSolver(async (solver, verifier) => {
        const task = makeTask(verifier.type, verifier.domains[0]);
        await solver.present(task, context());
        await expectValid(verifier, task, true);
        await solver.cleanup(task, context());
      });
      // Sockets finish closing on the next turns of the event loop; give them a moment.
      const deadline = Date.now() + 2_000;
      let after = handleCounts();
      while (leaked(before, after).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        after = handleCounts();
      }
      expect(leaked(before, after)).toEqual([]);
    });

    it('refuses a task of another challenge type with a clear error', async () => {
      await withSolver(async (solver, verifier) => {
        const other = verifier.type === 'dns-01' ? 'http-01' : 'dns-01';
        const task = makeTask(other, verifier.domains[0]);
        await expect(solver.present(task, context())).rejects.toThrow(`a ${verifier.type} solver was given a ${other} challenge`);
        await solver.cleanup(task, context());
      });
    });
  });
}
