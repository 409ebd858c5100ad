/**
 * tls-alpn-01 answered by the fleet's agents (`challenge: { type: tls-alpn-01, agents: true }`):
 * present() puts the key authorization in the shared store's challenge answers under the name being
 * validated, where the agent of every host the name points at finds it by the name the validator
 * sends in SNI (`certfleet agent --tls-alpn-01-listen`, agent-answers.ts) and makes the challenge
 * certificate itself; cleanup() deletes it. The runner needs no listener on port 443, so it may run
 * anywhere while the hosts' web servers keep port 443 (behind an SNI/ALPN router).
 */
import { describeError } from '../../errors.js';
import { ChallengeError } from '../errors.js';
import { ANSWER_TTL_MS } from '../http-01/agents.js';
import { assertTask } from '../task.js';
import type { ChallengeSolver, ChallengeTask, SolverContext } from '../types.js';
import type { ChallengeTokens } from '../../store/ports.js';

export interface AgentsTlsAlpnSolverOptions {
  tokens: ChallengeTokens;
  /** Epoch ms, for the answer's expiry. */
  now?: () => number;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export class AgentsTlsAlpnSolver implements ChallengeSolver {
  readonly type = 'tls-alpn-01' as const;
  private readonly tokens: ChallengeTokens;
  private readonly now: () => number;

  constructor(options: AgentsTlsAlpnSolverOptions) {
    this.tokens = options.tokens;
    this.now = options.now ?? Date.now;
  }

  async present(task: ChallengeTask, context: SolverContext): Promise<void> {
    context.signal.throwIfAborted();
    assertTask('tls-alpn-01', task);
    try {
      // The token is the row's key (cleanup deletes by it); agents look it up by identifier, in lower case as SNI is compared.
      await this.tokens.put({ token: task.token, keyAuthorization: task.keyAuthorization, identifier: task.domain.toLowerCase(), type: 'tls-alpn-01', expiresAt: this.now() + ANSWER_TTL_MS });
    } catch (err) {
      throw new ChallengeError(`tls-alpn-01 for ${task.domain}: the answer could not be put in the shared store: ${describeError(err)}`, {
        hint: 'the agents serve answers from the store: check the connection to store.postgres',
        cause: err,
      });
    }
    context.logger.info('tls-alpn-01: answer in the shared store for the agents to serve', { domain: task.domain });
  }

  async cleanup(task: ChallengeTask, context: SolverContext): Promise<void> {
    // As http-01 agents: no abort check and no record of present(); deleting a missing row is harmless.
    if (!BASE64URL.test(task.token)) return; // present() refused it: nothing was stored
    try {
      await this.tokens.delete(task.token);
    } catch (err) {
      context.logger.warn(`tls-alpn-01 for ${task.domain}: the answer could not be deleted from the shared store (it expires within the hour): ${describeError(err)}`);
      return;
    }
    context.logger.debug('tls-alpn-01: answer deleted from the shared store', { domain: task.domain });
  }
}
