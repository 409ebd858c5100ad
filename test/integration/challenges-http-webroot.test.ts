/**
 * http-01 webroot against a real nginx on loopback serving the webroot: the conformance suite,
 * then what is specific to writing files (modes, the directories we create and remove, a missing
 * webroot, a token that tries to leave the challenge directory).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebrootSolver } from '../../src/challenges/http-01/webroot.js';
import { recordingLogger } from '../../src/logger.js';
import { startNginx, type RunningNginx } from '../helpers/nginx.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { httpGet, httpVerifier } from '../conformance/verifiers.js';
import { tempDir } from '../helpers/pki.js';

let nginx: RunningNginx;
let dir: string;
let webroot: string;

beforeAll(async () => {
  dir = tempDir('certfleet-webroot-');
  // nginx's workers run as an unprivileged user: they must be able to reach the webroot.
  chmodSync(dir, 0o755);
  webroot = join(dir, 'html');
  mkdirSync(webroot, { mode: 0o755 });
  writeFileSync(join(webroot, 'index.html'), 'site\n');
  nginx = await startNginx(webroot);
});

afterAll(async () => {
  await nginx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });

describeSolverConformance(
  'http-01 webroot (served by nginx)',
  () => solverFromConfig({ type: 'http-01', webroot }),
  () => httpVerifier(nginx.port, ['www.example.test', 'api.example.test']),
);

describe('http-01 webroot specifics', () => {
  it('writes a 0644 file under .well-known/acme-challenge and removes it and the directories it created', async () => {
    const solver = new WebrootSolver({ webroot });
    const task = makeTask('http-01', 'www.example.test');
    await solver.present(task, context());
    const file = join(webroot, '.well-known', 'acme-challenge', task.token);
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(statSync(join(webroot, '.well-known')).mode & 0o777).toBe(0o755);
    // No temp file is left next to the answer.
    expect(readdirSync(join(webroot, '.well-known', 'acme-challenge'))).toEqual([task.token]);
    await solver.cleanup(task, context());
    expect(existsSync(join(webroot, '.well-known'))).toBe(false);
    expect(readdirSync(webroot)).toEqual(['index.html']);
  });

  it('leaves directories it did not create, and files that are not its own', async () => {
    const dir = join(webroot, '.well-known', 'acme-challenge');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'someone-else'), 'x');
    const solver = new WebrootSolver({ webroot });
    const task = makeTask('http-01', 'www.example.test');
    await solver.present(task, context());
    await solver.cleanup(task, context());
    expect(readdirSync(dir)).toEqual(['someone-else']);
    rmSync(join(webroot, '.well-known'), { recursive: true });
  });

  it('serves the answer with three validation requests in a row, as Pebble makes them', async () => {
    const solver = new WebrootSolver({ webroot });
    const task = makeTask('http-01', 'www.example.test');
    await solver.present(task, context());
    try {
      const answers = await Promise.all([1, 2, 3].map(() => httpGet(nginx.port, task.domain, `/.well-known/acme-challenge/${task.token}`)));
      expect(answers.map((a) => [a.status, a.body])).toEqual([1, 2, 3].map(() => [200, task.keyAuthorization]));
    } finally {
      await solver.cleanup(task, context());
    }
  });

  it('says so when the webroot does not exist, and does not create it', async () => {
    const missing = join(webroot, 'no-such-dir');
    const solver = new WebrootSolver({ webroot: missing });
    const task = makeTask('http-01', 'www.example.test');
    await expect(solver.present(task, context())).rejects.toThrow(`webroot ${missing} does not exist`);
    await solver.cleanup(task, context());
    expect(existsSync(missing)).toBe(false);
  });

  it('refuses a token that is not base64url (it could name a path outside the challenge directory)', async () => {
    const solver = new WebrootSolver({ webroot });
    const task = { ...makeTask('http-01', 'www.example.test'), token: '../../evil' };
    await expect(solver.present(task, context())).rejects.toThrow('not base64url');
    await solver.cleanup(task, context());
    expect(existsSync(join(webroot, '.well-known'))).toBe(false);
  });
});
