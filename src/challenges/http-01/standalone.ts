/**
 * http-01 with our own HTTP listener (no web server on the port): answers
 * GET /.well-known/acme-challenge/<token> for the tokens presented, 404 for everything else. The
 * listener starts on the first present() and stops on close(); solvers on the same port share it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { leaseListener, ListenerHold } from '../listeners.js';
import { assertTask } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';

export interface StandaloneHttpSolverOptions {
  port: number;
  /** Undefined: every address, as a web server on port 80 would. */
  address?: string;
}

const PREFIX = '/.well-known/acme-challenge/';

interface HttpAnswers {
  /** token -> key authorization, for every solver on this listener. */
  tokens: Map<string, string>;
}

function answer(answers: HttpAnswers, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const keyAuthorization = path.startsWith(PREFIX) ? answers.tokens.get(path.slice(PREFIX.length)) : undefined;
  if ((req.method === 'GET' || req.method === 'HEAD') && keyAuthorization !== undefined) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(keyAuthorization) });
    res.end(req.method === 'HEAD' ? undefined : keyAuthorization);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
}

export class StandaloneHttpSolver implements ChallengeSolver {
  readonly type = 'http-01' as const;
  private readonly listener: ListenerHold<HttpAnswers>;
  /** Tokens this solver registered: withdrawn on cleanup, and all at once on close. */
  private readonly mine = new Set<string>();

  constructor(options: StandaloneHttpSolverOptions) {
    this.listener = new ListenerHold(() =>
      leaseListener('http-01', options.port, options.address, () => {
        const state: HttpAnswers = { tokens: new Map() };
        const server = createServer((req, res) => answer(state, req, res));
        // Validators make a few short requests; idle keep-alive sockets must not hold close() up.
        server.keepAliveTimeout = 2_000;
        return { server, state };
      }),
    );
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('http-01', task);
    const answers = await this.listener.state();
    answers.tokens.set(task.token, task.keyAuthorization);
    this.mine.add(task.token);
    context.logger.info('http-01: answering on the standalone listener', { domain: task.domain });
  }

  async cleanup(task: ChallengeTask): Promise<void> {
    if (!this.mine.delete(task.token)) return;
    (await this.listener.current())?.tokens.delete(task.token);
  }

  async close(): Promise<void> {
    const answers = await this.listener.current();
    for (const token of this.mine) answers?.tokens.delete(token);
    this.mine.clear();
    await this.listener.release();
  }
}
