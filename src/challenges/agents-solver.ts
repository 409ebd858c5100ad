/**
 * A challenge answered by the fleet's agents (`challenge: { type: http-01 | tls-alpn-01, agents:
 * true }`): present() puts the key authorization in the shared store's challenge answers under the
 * token (the row's key: cleanup deletes by it) and the name being validated, in lower case as the
 * agents compare it; cleanup() deletes it. The agent of every host the name points at finds it
 * there: by token for http-01 (http-01/agent-answers.ts), by the name in SNI for tls-alpn-01
 * (tls-alpn-01/agent-answers.ts). So any runner can order for names served by other hosts, as
 * CertMagic's distributed solver does, with no listener or web server of its own.
 */
import { describeError } from '../errors.js';
import { ChallengeError } from './errors.js';
import { assertTask } from './task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from './types.js';
import type { ChallengeTokens } from '../store/ports.js';

/**
 * How long an answer stays servable. A CA validates within seconds of the order's request; the
 * expiry only bounds an answer a runner that died before its cleanup left behind (the store
 * sweeps expired rows, and agents refuse them meanwhile).
 */
export const ANSWER_TTL_MS = 3_600_000;

export interface AgentsSolverOptions {
  tokens: ChallengeTokens;
  /** Epoch ms, for the answer's expiry. */
  now?: () => number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class AgentsSolver<T extends 'http-01' | 'tls-alpn-01'> implements ChallengeSolver {
  private readonly tokens: ChallengeTokens;
  private readonly now: () => number;

  constructor(
    readonly type: T,
    options: AgentsSolverOptions,
  ) {
    this.tokens = options.tokens;
    this.now = options.now ?? Date.now;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask(this.type, task);
    try {
      await this.tokens.put({ token: task.token, keyAuthorization: task.keyAuthorization, identifier: task.domain.toLowerCase(), type: this.type, expiresAt: this.now() + ANSWER_TTL_MS });
    } catch (err) {
      throw new ChallengeError(`${this.type} for ${task.domain}: the answer could not be put in the shared store: ${describeError(err)}`, {
        hint: 'the agents serve answers from the store: check the connection to store.postgres',
        cause: err,
      });
    }
    context.logger.info(`${this.type}: answer in the shared store for the agents to serve`, { domain: task.domain });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    // No abort check and no record of what present() did: a put whose reply was lost may still
    // have committed, and deleting a token that is not there is harmless.
    if (!BASE64URL.test(task.token)) return; // present() refused it: nothing was stored
    try {
      await this.tokens.delete(task.token);
    } catch (err) {
      // The answer expires by itself (ANSWER_TTL_MS) and is swept then; the order's outcome stands.
      context.logger.warn(`${this.type} for ${task.domain}: the answer could not be deleted from the shared store (it expires within the hour): ${describeError(err)}`);
      return;
    }
    context.logger.debug(`${this.type}: answer deleted from the shared store`, { domain: task.domain });
  }
}
