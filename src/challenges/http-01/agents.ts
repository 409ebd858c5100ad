/**
 * http-01 answered by the fleet's agents (`challenge: { type: http-01, agents: true }`): the runner
 * puts each answer in the shared store (agents-solver.ts), where the agent of every host the name
 * points at looks it up by token (`certfleet agent --http-01-listen`, agent-answers.ts).
 */
import { AgentsSolver, type AgentsSolverOptions } from '../agents-solver.js';

export { ANSWER_TTL_MS } from '../agents-solver.js';

export type AgentsHttpSolverOptions = AgentsSolverOptions;

export class AgentsHttpSolver extends AgentsSolver<'http-01'> {
  constructor(options: AgentsHttpSolverOptions) {
    super('http-01', options);
  }
}
