/**
 * tls-alpn-01 answered by the fleet's agents (`challenge: { type: tls-alpn-01, agents: true }`):
 * the runner puts the key authorization in the shared store under the name being validated
 * (agents-solver.ts), where the agent of every host the name points at finds it by the name the
 * validator sends in SNI (`certfleet agent --tls-alpn-01-listen`, agent-answers.ts) and makes the
 * challenge certificate itself. The runner needs no listener on port 443, so it may run anywhere
 * while the hosts' web servers keep port 443 (behind an SNI/ALPN router).
 */
import { AgentsSolver, type AgentsSolverOptions } from '../agents-solver.js';

export type AgentsTlsAlpnSolverOptions = AgentsSolverOptions;

export class AgentsTlsAlpnSolver extends AgentsSolver<'tls-alpn-01'> {
  constructor(options: AgentsTlsAlpnSolverOptions) {
    super('tls-alpn-01', options);
  }
}
