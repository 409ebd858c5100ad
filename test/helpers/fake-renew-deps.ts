/**
 * RenewDeps for renewCertificate in tests: the fake deployer, verifier and command runner
 * (fake-renew-ports.ts), the default policy, a fixed random and spec hash, no log; the caller
 * gives what its test is about (the store, the CA, the clock, a budget) and may override the rest.
 */
import { oneAtATime } from '../../src/concurrency.js';
import { silentLogger } from '../../src/logger.js';
import { defaultRenewalPolicy } from '../../src/renewal/decision.js';
import type { RenewDeps } from '../../src/renewal/renew-certificate.js';
import { FakeCommands, FakeDeployer, FakeVerifier } from './fake-renew-ports.js';

export function fakeRenewDeps(given: Pick<RenewDeps, 'store' | 'issuers' | 'now'> & Partial<RenewDeps>): RenewDeps {
  return {
    specHash: () => 'hash',
    deployer: new FakeDeployer(),
    verifier: new FakeVerifier(),
    runCommand: new FakeCommands().run,
    policy: defaultRenewalPolicy,
    random: () => 0.5,
    logger: silentLogger,
    commandEnv: {},
    exclusive: oneAtATime(),
    ...given,
  };
}
