/**
 * http-01 answered by the fleet's agents (`challenge: { type: http-01, agents: true }`): present()
 * puts the token and key authorization in the shared store's challenge tokens, where the agent of
 * every host the name points at looks it up (`certfleet agent --http-01-listen`, agent-answers.ts);
 * cleanup() deletes it. So any runner can order for names served by other hosts, as CertMagic's
 * distributed solver does. The runner needs no listener and no web server of its own.
 */
import { describeError } from '../../errors.js';
import { ChallengeError } from '../errors.js';
import { assertTask } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';
import type { ChallengeTokens } from '../../store/ports.js';

/**
 * How long an answer stays servable. A CA validates within seconds of the order's request; the
 * expiry only bounds an answer a runner that died before its cleanup left behind (the store
 * sweeps expired rows, and agents answer 404 for them meanwhile).
 */
export const ANSWER_TTL_MS = 3_600_000;

export interface AgentsHttpSolverOptions {
  tokens: ChallengeTokens;
  /** Epoch ms, for the answer's expiry. */
  now?: () => number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class AgentsHttpSolver implements ChallengeSolver {
  readonly type = 'http-01' as const;
  private readonly tokens: ChallengeTokens;
  private readonly now: () => number;

  constructor(options: AgentsHttpSolverOptions) {
    this.tokens = options.tokens;
    this.now = options.now ?? Date.now;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('http-01', task);
    try {
      await this.tokens.put({ token: task.token, keyAuthorization: task.keyAuthorization, identifier: task.domain.toLowerCase(), type: 'http-01', expiresAt: this.now() + ANSWER_TTL_MS });
    } catch (err) {
      throw new ChallengeError(`http-01 for ${task.domain}: the answer could not be put in the shared store: ${describeError(err)}`, {
        hint: 'the agents serve answers from the store: check the connection to store.postgres',
        cause: err,
      });
    }
    context.logger.info('http-01: answer in the shared store for the agents to serve', { domain: task.domain });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    // No abort check and no record of what present() did: a put whose reply was lost may still
    // have committed, and deleting a token that is not there is harmless.
    if (!BASE64URL.test(task.token)) return; // present() refused it: nothing was stored
    try {
      await this.tokens.delete(task.token);
    } catch (err) {
      // The answer expires by itself (ANSWER_TTL_MS) and is swept then; the order's outcome stands.
      context.logger.warn(`http-01 for ${task.domain}: the answer could not be deleted from the shared store (it expires within the hour): ${describeError(err)}`);
      return;
    }
    context.logger.debug('http-01: answer deleted from the shared store', { domain: task.domain });
  }
}
