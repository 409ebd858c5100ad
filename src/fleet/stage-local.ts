/**
 * The store's current version of a certificate copied into the agent's own state directory, marked
 * as waiting to be deployed (`pendingDeploy`): from there today's deployment (renewCertificate with
 * deployOnly) takes it exactly as it takes a version a single-host run issued and could not deploy,
 * with the host's own deploy journal, rollback and previous versions.
 */
import type { CertificateRecords, IssuedVersion, VersionFiles } from '../store/ports.js';

export async function stageLocally(
  local: CertificateRecords,
  name: string,
  current: { version: IssuedVersion; files: VersionFiles },
  now: Date,
  warn: (message: string) => void,
): Promise<void> {
  const { certPem, chainPem, fullchainPem, keyPem } = current.files;
  // Read once here: the key is decrypted by this agent only, as it deploys.
  await local.addVersion(name, current.version, { certPem, chainPem, fullchainPem, keyPem });
  const state = await local.loadState(name, warn);
  await local.saveState(name, { ...state, pendingDeploy: { version: current.version.id, since: now.toISOString() } });
}
