/**
 * `certfleet remove NAME`: take a certificate out of certfleet's care without taking the site
 * down. The deployed links become plain files of the last version (so what is served stays), or
 * go with --delete-files; what was found at the paths before certfleet, and the certificate's whole
 * state (every version, its keys), are archived, never deleted (store/archive-certificate.ts: in
 * `<stateDir>/removed/NAME-TIME/`, or in the database). --revoke revokes the current certificate
 * first (reason cessationOfOperation); if that fails, nothing is changed.
 */
import { existsSync } from 'node:fs';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';
import { revokeOrAlready } from '../revocation/revoke.js';
import { certificateArchive } from '../store/archive-certificate.js';
import type { StateStore } from '../store/ports.js';
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

/** `hooks.store`: the configured store (the caller opens and closes it). */
export async function removeCertificate(settings: RenewSettings, options: RemoveOptions, hooks: { now: () => Date; logger: Logger; pid: number; store: StateStore }): Promise<RemoveResult> {
  const stateStore = hooks.store;
  const store = stateStore.certificates;
  if (!(await store.names()).includes(options.name)) {
    const where = stateStore.kind === 'file' ? `the state directory ${stateStore.location}` : `the state store ${stateStore.location}`;
    throw new CertfleetError('unknown-certificate', `no certificate named ${options.name} in ${where}`, { exitCode: ExitCode.usage, hint: '`certfleet status` lists them' });
  }
  // The certificate's lease: no renew run deploys it while its files are released and its state archived.
  return withLease(stateStore, options.name, { waitMs: options.lockWaitMs, pid: hooks.pid }, async (fence) => {
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
    const archive = certificateArchive(stateStore, settings.stateDir, options.name, stamp);
    await archive.prepare();
    const paths = targets ? await releasePaths(options.name, targets, { deleteFiles: options.deleteFiles, keepIn: archive.foundDir }) : [];
    await archive.archiveState(fence);
    if (configured) hooks.logger.warn(`${options.name} is still in the config: the next renew issues it again; take it out of the config`);
    // The file store keeps both in one directory; the shared store's state is in the database, what was found on this host.
    const archivedTo = stateStore.kind === 'file' || !existsSync(archive.foundDir) ? archive.location : `${archive.location} and ${archive.foundDir}`;
    return { schemaVersion: REMOVE_SCHEMA_VERSION, name: options.name, ...(revoked ? { revoked } : {}), paths, archivedTo, stillConfigured: configured !== undefined };
  });
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
