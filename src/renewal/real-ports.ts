/** The ports of ports.ts over the real parts: ACME servers, files on disk, TLS handshakes, processes. */
import { issueCertificate } from '../acme/index.js';
import { sleep } from '../challenges/errors.js';
import { createSolver } from '../challenges/registry.js';
import type { Logger } from '../logger.js';
import type { AccountRecords, ChallengeTokens } from '../store/ports.js';
import { AcmeClients } from './acme-clients.js';
import { runCommand } from './commands.js';
import { activateVersion, hasFoundFiles, linkDeployPaths, liveVersion, pruneVersions, restoreFoundFiles, stageVersion } from './deploy-files.js';
import type { CaSettings } from './managed.js';
import type { CaPort, Deployer, Issuers, Verifier } from './ports.js';
import { verifyServed } from './verify.js';

/** ACME CAs through one AcmeClients (one client and account per directory URL per run). */
export class AcmeIssuers implements Issuers {
  private readonly clients: AcmeClients;

  constructor(
    accounts: AccountRecords,
    logger: Logger,
    private readonly now: () => Date,
    /** The environment exec hooks start from (the CLI passes its own). */
    private readonly hookEnv: Readonly<Record<string, string | undefined>>,
    /** The store's challenge answers, for http-01 `agents: true` (the agents serve them). */
    private readonly challengeTokens?: ChallengeTokens,
  ) {
    this.clients = new AcmeClients(accounts, logger, now);
  }

  async get(ca: CaSettings): Promise<CaPort> {
    const client = await this.clients.get(ca);
    const { hookEnv, challengeTokens, now } = this;
    return {
      accountUrl: client.accountUrl,
      offersRenewalInfo: async () => (await client.directoryMeta()).renewalInfo,
      renewalInfo: (certPem) => client.renewalInfo(certPem),
      async order({ cert, csrDer, replaces }, { logger, signal }) {
        // A DNS provider's client logs through this order's logger (its Retry-After waits, for one).
        // Its clock is the wall clock: request signatures (SigV4, OVH) must match the provider's.
        const providerDeps = { fetch: globalThis.fetch, now: () => new Date(), sleep, logger };
        const solver = createSolver(cert.challenge, { hookEnv, certificateName: cert.name, providerDeps, ...(challengeTokens ? { challengeTokens } : {}) });
        try {
          const issued = await issueCertificate(
            client,
            { identifiers: cert.domains, csrDer, ...(cert.ca.profile ? { profile: cert.ca.profile } : {}), ...(replaces ? { replaces } : {}) },
            { solvers: { [cert.challenge.type]: solver }, logger, now, ...(signal ? { signal } : {}) },
          );
          return issued.certificatePem;
        } finally {
          await solver.close?.();
        }
      },
    };
  }

  close(): void {
    this.clients.close();
  }
}

export const fileDeployer: Deployer = {
  live: liveVersion,
  stage: stageVersion,
  link: linkDeployPaths,
  activate: activateVersion,
  hasFound: hasFoundFiles,
  restoreFound: restoreFoundFiles,
  prune: pruneVersions,
};

export const handshakeVerifier: Verifier = {
  async confirmServed(cert, serialNumber) {
    const outcome = await verifyServed(cert.verify, { expectedSerial: serialNumber, timeoutMs: cert.verifyTimeoutMs, extraCa: cert.verifyCa });
    if (!outcome.ok) {
      const bad = outcome.results.filter((r) => !r.ok).map((r) => `${r.endpoint}: ${r.detail}`);
      throw new Error(`verification failed: ${bad.join('; ')}`);
    }
  },
};

export const processRunner = runCommand;
