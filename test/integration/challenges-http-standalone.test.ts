/**
 * http-01 standalone: our own listener on 127.0.0.1. The conformance suite, then the listener's
 * own duties: only presented tokens are served, a busy port is reported clearly, solvers on one
 * port share the listener, and close() frees the port.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { StandaloneHttpSolver } from '../../src/challenges/http-01/standalone.js';
import { recordingLogger } from '../../src/logger.js';
import { freeTcpPort } from '../helpers/nginx.js';
import { describeSolverConformance } from '../conformance/solver-conformance.js';
import { makeTask, solverFromConfig } from '../conformance/tasks.js';
import { httpGet, httpVerifier } from '../conformance/verifiers.js';

const context = () => ({ logger: recordingLogger(), signal: new AbortController().signal });
const port = await freeTcpPort();

describeSolverConformance(
  'http-01 standalone',
  () => solverFromConfig({ type: 'http-01', standalone: { port, address: '127.0.0.1' } }),
  httpVerifier(port, ['www.example.test', 'api.example.test']),
);

function refused(p: number): Promise<boolean> {
  return httpGet(p, 'x.test', '/').then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
  );
}

describe('http-01 standalone listener', () => {
  it('serves presented tokens only: 404 for unknown tokens and other paths, HEAD and three GETs for its token', async () => {
    const p = await freeTcpPort();
    const solver = new StandaloneHttpSolver({ port: p, address: '127.0.0.1' });
    const task = makeTask('http-01', 'www.example.test');
    try {
      await solver.present(task, context());
      expect((await httpGet(p, task.domain, '/.well-known/acme-challenge/unknown-token')).status).toBe(404);
      expect((await httpGet(p, task.domain, '/')).status).toBe(404);
      expect((await httpGet(p, task.domain, `/.well-known/acme-challenge/${task.token}/extra`)).status).toBe(404);
      const three = await Promise.all([1, 2, 3].map(() => httpGet(p, task.domain, `/.well-known/acme-challenge/${task.token}`)));
      expect(three.map((a) => [a.status, a.contentType, a.body])).toEqual([1, 2, 3].map(() => [200, 'text/plain', task.keyAuthorization]));
    } finally {
      await solver.close();
    }
  });

  it('starts no listener before the first present(), and close() frees the port', async () => {
    const p = await freeTcpPort();
    const solver = new StandaloneHttpSolver({ port: p, address: '127.0.0.1' });
    expect(await refused(p)).toBe(true);
    await solver.present(makeTask('http-01', 'www.example.test'), context());
    expect(await refused(p)).toBe(false);
    await solver.close();
    expect(await refused(p)).toBe(true);
  });

  it('reports a port another program holds as "port N is in use"', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const p = (blocker.address() as { port: number }).port;
    const solver = new StandaloneHttpSolver({ port: p, address: '127.0.0.1' });
    try {
      await expect(solver.present(makeTask('http-01', 'www.example.test'), context())).rejects.toThrow(
        `port ${p} is in use: cannot start the http-01 listener on 127.0.0.1:${p} (EADDRINUSE)`,
      );
      // The failed start is not kept: once the port is free, the same solver works.
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
      const task = makeTask('http-01', 'www.example.test');
      await solver.present(task, context());
      expect((await httpGet(p, task.domain, `/.well-known/acme-challenge/${task.token}`)).body).toBe(task.keyAuthorization);
    } finally {
      await solver.close();
      if (blocker.listening) blocker.close();
    }
  });

  it('shares one listener between solvers on the same port; the last close() stops it', async () => {
    const p = await freeTcpPort();
    const a = new StandaloneHttpSolver({ port: p, address: '127.0.0.1' });
    const b = new StandaloneHttpSolver({ port: p, address: '127.0.0.1' });
    const taskA = makeTask('http-01', 'a.example.test');
    const taskB = makeTask('http-01', 'b.example.test');
    await Promise.all([a.present(taskA, context()), b.present(taskB, context())]);
    expect((await httpGet(p, taskB.domain, `/.well-known/acme-challenge/${taskB.token}`)).body).toBe(taskB.keyAuthorization);
    await a.close();
    // a's answers went with it; b's are still served.
    expect((await httpGet(p, taskA.domain, `/.well-known/acme-challenge/${taskA.token}`)).status).toBe(404);
    expect((await httpGet(p, taskB.domain, `/.well-known/acme-challenge/${taskB.token}`)).body).toBe(taskB.keyAuthorization);
    await b.close();
    expect(await refused(p)).toBe(true);
  });
});
