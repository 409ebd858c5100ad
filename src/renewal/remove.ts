/**
 * `certfleet remove NAME`: take a certificate out of certfleet's care without taking the site
 * down. The deployed links become plain files of the last version (so what is served stays), or
 * go with --delete-files; what was found at the paths before certfleet, and the certificate's whole
 * state (every version, its keys), move to `<stateDir>/removed/NAME-TIME/`: archived, never
 * deleted. --revoke revokes the current certificate first (reason cessationOfOperation); if that
 * fails, nothing is changed.
 */
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { revokeOrAlready } from '../revocation/revoke.js';
import { FileStateStore } from '../store/file-state-store.js';
import { withLease } from '../store/with-lease.js';
import { AcmeClients } from './acme-clients.js';
import { releasePaths, type DeployTargets, type ReleasedPath } from './deploy-files.js';
import type { CaSettings, RenewSettings } from './managed.js';

export const REMOVE_SCHEMA_VERSION = 1;

export interface RemoveOptions {
  name: string;
  revoke: boolean;
  deleteFiles: boolean;
  lockWaitMs: number;
}

export interface RemoveResult {
  schemaVersion: typeof REMOVE_SCHEMA_VERSION;
  name: string;
  revoked?: { serialNumber: string; already: boolean };
  paths: ReleasedPath[];
  archivedTo: string;
  /** Still listed in the config: the next renew would issue it again. */
  stillConfigured: boolean;
}

export async function removeCertificate(settings: RenewSettings, options: RemoveOptions, hooks: { now: () => Date; logger: Logger; pid: number }): Promise<RemoveResult> {
  const stateStore = new FileStateStore(settings.stateDir, { lockWaitMs: options.lockWaitMs, pid: hooks.pid });
  const store = stateStore.certificates;
  if (!(await store.names()).includes(options.name)) {
    throw new CertfleetError('unknown-certificate', `no certificate named ${options.name} in the state directory ${settings.stateDir}`, { exitCode: ExitCode.usage, hint: '`certfleet status` lists them' });
  }
  // The certificate's lease: no renew run deploys it while its files are released and its state archived.
  try {
    return await withLease(stateStore, options.name, { waitMs: options.lockWaitMs, pid: hooks.pid }, async () => {
    const configured = settings.certificates.find((c) => c.name === options.name);
    const state = await store.loadStateReadOnly(options.name, (m) => hooks.logger.warn(m));
    const current = await store.current(options.name).catch(() => undefined);
    // The paths: the config's, or (for an entry no longer configured) where it was last deployed.
    const targets: DeployTargets | undefined = configured?.deploy?.targets ?? state.deployed?.paths;

    let revoked: RemoveResult['revoked'];
    if (options.revoke) {
      if (!current) throw new CertfleetError('nothing-to-revoke', `${options.name} has no certificate to revoke; nothing was changed`, { exitCode: ExitCode.usage });
      const ca = caFor(settings, configured?.ca, current.version.spec?.directoryUrl, options.name);
      const clients = new AcmeClients(stateStore.accounts, hooks.logger, hooks.now);
      try {
        const client = await clients.get(ca);
        const outcome = await revokeOrAlready(() => client.revoke(current.files.certPem, { reason: 'cessationOfOperation' }));
        revoked = { serialNumber: current.version.serialNumber, already: outcome === 'already-revoked' };
      } finally {
        clients.close();
      }
    }

    const stamp = hooks.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const archivedTo = join(settings.stateDir, 'removed', `${options.name}-${stamp}`);
    await mkdir(archivedTo, { recursive: true, mode: 0o700 });
    const paths = targets ? await releasePaths(options.name, targets, { deleteFiles: options.deleteFiles, keepIn: join(archivedTo, 'found') }) : [];
    await rename(join(settings.stateDir, 'certificates', options.name), join(archivedTo, 'state'));
    if (configured) hooks.logger.warn(`${options.name} is still in the config: the next renew issues it again; take it out of the config`);
    return { schemaVersion: REMOVE_SCHEMA_VERSION, name: options.name, ...(revoked ? { revoked } : {}), paths, archivedTo, stillConfigured: configured !== undefined };
    });
  } finally {
    await stateStore.close();
  }
}

/** The CA to revoke through: the config's, or the top-level one when it is the CA that issued it. */
function caFor(settings: RenewSettings, configured: CaSettings | undefined, issuedBy: string | undefined, name: string): CaSettings {
  if (configured) return configured;
  if (settings.defaultCa && (issuedBy === undefined || issuedBy === settings.defaultCa.directoryUrl)) return settings.defaultCa;
  throw new CertfleetError('unknown-ca', `${name} is no longer in the config and was issued by ${issuedBy ?? 'an unknown CA'}, not the config's acme.server: certfleet cannot revoke it; nothing was changed`, {
    exitCode: ExitCode.usage,
    hint: 'remove it without --revoke, or revoke it with `certfleet revoke` while it is still configured',
  });
}
