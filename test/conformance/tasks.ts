/**
 * Challenge tasks shaped exactly as an ACME server's would make them: a random base64url token,
 * a key authorization (token + "." + a JWK thumbprint), and the dns-01 value derived from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { challengeConfigSchema, resolveChallengeSecrets } from '../../src/challenges/config.js';
import { createSolver, type SolverDeps } from '../../src/challenges/registry.js';
import type { ChallengeSolver, ChallengeTask, ChallengeType } from '../../src/challenges/types.js';

export function makeTask(type: ChallengeType, domain: string, options: { wildcard?: boolean } = {}): ChallengeTask {
  const token = randomBytes(32).toString('base64url');
  const thumbprint = randomBytes(32).toString('base64url');
  const keyAuthorization = `${token}.${thumbprint}`;
  return {
    type,
    domain,
    wildcard: options.wildcard ?? false,
    token,
    keyAuthorization,
    dnsTxtValue: createHash('sha256').update(keyAuthorization).digest('base64url'),
  };
}

/** A solver from a `challenge:` config as a user writes it: parsed, secrets resolved, then the registry. */
export async function solverFromConfig(input: unknown, deps: SolverDeps = {}, env: Record<string, string | undefined> = {}): Promise<ChallengeSolver> {
  const config = await resolveChallengeSecrets(challengeConfigSchema.parse(input), env, (path) => readFile(path, 'utf8'));
  return createSolver(config, deps);
}
