/**
 * What an agent's certificate holds in place of what only ordering needs. An agent deploys the
 * version a runner ordered and never asks a CA (fleet/agent.ts), so its config needs no acme section
 * and its host no CA account, EAB secret or DNS credentials: renew-options.ts resolves a spec for
 * role 'agent' without them and puts these here. `ca` and `challenge` are not made up: reading
 * either is an internal error (a bug in certfleet), never a quiet empty value that an order or a
 * recorded spec could take for the real one.
 */
import type { ResolvedChallengeConfig } from '../challenges/config.js';
import type { CaSettings, ManagedCertificate } from '../renewal/managed.js';

export function orderingOnAgent(where: string): Pick<ManagedCertificate, 'ca' | 'challenge' | 'verifyCa'> {
  return {
    ca: unresolved<CaSettings>(`${where}: the CA`),
    challenge: unresolved<ResolvedChallengeConfig>(`${where}: the challenge`),
    // Verification compares the served serial; trust only labels a handshake (inventory's
    // endpoints.ts connects without rejecting), so an agent needs no CA bundle to verify.
    verifyCa: [],
  };
}

function unresolved<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get(_target, key) {
      // Symbols are how node:util and iteration look at any object (inspect.custom, Symbol.iterator): nothing here.
      if (typeof key === 'symbol') return undefined;
      throw new Error(`${what} is not resolved on an agent (agents deploy and never order), yet its ${key} was read`);
    },
  });
}
