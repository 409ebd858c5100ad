/**
 * Bulk revocation, in the order that keeps sites up: replace first (order, deploy, confirm the
 * new serial is served), then revoke the certificate that was replaced. A certificate whose
 * replacement failed is NOT revoked: revoking what is still being served takes the site down,
 * and the record says which ones are left, so the operator can fix them and run again (already
 * replaced and revoked ones are then not in the set: the selection matches current certificates).
 * `--no-replace` revokes at once, for certificates already out of service.
 */
import { AcmeProblemError, type AcmeClient, type RevocationReason } from '../acme/index.js';
import { mapConcurrently } from '../concurrency.js';
import { describeError } from '../errors.js';
import { AcmeClients } from '../renewal/acme-clients.js';
import type { ManagedCertificate, RenewSettings } from '../renewal/managed.js';
import type { CertificateOutcome } from '../renewal/renew-certificate.js';
import { askRenewalInfoNow } from '../renewal/renewal-info.js';
import { runRenew, type RenewRunHooks } from '../renewal/run.js';
import type { CertificateRecords, StateStore } from '../store/ports.js';
import { withLease } from '../store/with-lease.js';
import { parseCertificate } from '../x509/certificate.js';
import { findPemBlocks } from '../x509/pem.js';
import { selectAffected, type AffectedCertificate, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { recordId } from './record.js';

export const REVOKE_SCHEMA_VERSION = 1;

export interface RevokeRunOptions {
  criteria: AffectedCriteria;
  reason: RevocationReason;
  /** Replace each certificate before revoking it (default); false revokes at once. */
  replace: boolean;
  /** Select and show the plan; contact no CA, change nothing. */
  dryRun: boolean;
  concurrency: number;
  lockWaitMs: number;
}

export type RevokeAction = 'revoked' | 'already-revoked' | 'not-revoked' | 'failed' | 'would-revoke' | 'nothing-to-revoke';

export interface RevokeOutcome {
  name: string;
  action: RevokeAction;
  /** The certificate revoked (or to be). */
  serialNumber?: string;
  fingerprintSha256?: string;
  replacedBy?: { serialNumber: string; notAfter?: string };
  /** keyCompromise: earlier, unexpired versions on the same key, revoked too (serials). */
  alsoRevoked?: string[];
  /** Why it was not revoked, or what the CA said. */
  error?: string;
}

export interface RevokeRunResult {
  schemaVersion: typeof REVOKE_SCHEMA_VERSION;
  startedAt: string;
  finishedAt: string;
  reason: RevocationReason;
  replaceFirst: boolean;
  dryRun: boolean;
  certificates: RevokeOutcome[];
  summary: { affected: number; revoked: number; alreadyRevoked: number; notRevoked: number; failed: number; durationMs: number };
  blastRadius: BlastRadius;
  recordPath?: string;
}

export type RevokeHooks = Omit<RenewRunHooks, 'onCertificate' | 'store'> & {
  onCertificate?: (outcome: RevokeOutcome, done: number, total: number) => void;
  /** The configured store (the caller opens and closes it): the replacements, the accounts and the record are its. */
  store: StateStore;
};

export async function runRevoke(settings: RenewSettings, options: RevokeRunOptions, hooks: RevokeHooks): Promise<RevokeRunResult> {
  const started = hooks.now();
  const t0 = Date.now();
  const stateStore = hooks.store;
  const affected = await selectAffected(settings, stateStore.certificates, options.criteria, 'revoke');

  let outcomes: RevokeOutcome[];
  if (options.dryRun) {
    outcomes = affected.map((a) => (a.current ? { name: a.name, action: 'would-revoke', ...serialOf(a) } : { name: a.name, action: 'nothing-to-revoke' }));
  } else {
    const replacements = options.replace ? await replaceAll(settings, affected, options, hooks) : undefined;
    outcomes = await revokeAll(settings, stateStore, affected, replacements, options, hooks);
  }

  const count = (a: RevokeAction) => outcomes.filter((o) => o.action === a).length;
  const result: RevokeRunResult = {
    schemaVersion: REVOKE_SCHEMA_VERSION,
    startedAt: started.toISOString(),
    finishedAt: hooks.now().toISOString(),
    reason: options.reason,
    replaceFirst: options.replace,
    dryRun: options.dryRun,
    certificates: outcomes,
    summary: { affected: affected.length, revoked: count('revoked'), alreadyRevoked: count('already-revoked'), notRevoked: count('not-revoked'), failed: count('failed'), durationMs: Date.now() - t0 },
    blastRadius: blastRadius(affected),
  };
  if (!options.dryRun) {
    const id = recordId(started);
    result.recordPath = stateStore.runs.recordLocation('revocation', id);
    await stateStore.runs.writeRecord('revocation', id, result);
  }
  return result;
}

async function replaceAll(settings: RenewSettings, affected: readonly AffectedCertificate[], options: RevokeRunOptions, hooks: RevokeHooks): Promise<Map<string, CertificateOutcome>> {
  const run = await runRenew(
    settings,
    {
      names: affected.map((a) => a.name),
      force: true,
      plan: false,
      // A replacement on the compromised key would be revoked (and refused) in its turn: the CA blocks that key.
      newKey: options.reason === 'keyCompromise',
      concurrency: options.concurrency,
      lockWaitMs: options.lockWaitMs,
    },
    withoutProgress(hooks),
  );
  return new Map(run.certificates.map((o) => [o.name, o]));
}

async function revokeAll(
  settings: RenewSettings,
  stateStore: StateStore,
  affected: readonly AffectedCertificate[],
  replacements: Map<string, CertificateOutcome> | undefined,
  options: RevokeRunOptions,
  hooks: RevokeHooks,
): Promise<RevokeOutcome[]> {
  const managed = new Map(settings.certificates.map((c) => [c.name, c]));
  const clients = new AcmeClients(stateStore.accounts, hooks.logger, hooks.now);
  try {
    return await mapConcurrently(
      affected,
      options.concurrency,
      (a) => revokeOne(a, managed.get(a.name)!, stateStore, clients, replacements !== undefined, replacements?.get(a.name), options.reason, hooks),
      hooks.onCertificate,
    );
  } finally {
    clients.close();
  }
}

async function revokeOne(
  a: AffectedCertificate,
  cert: ManagedCertificate,
  stateStore: StateStore,
  clients: AcmeClients,
  replaceFirst: boolean,
  replacement: CertificateOutcome | undefined,
  reason: RevocationReason,
  hooks: RevokeHooks,
): Promise<RevokeOutcome> {
  const replacedBy = replacement?.action === 'renewed' && replacement.serialNumber ? { replacedBy: { serialNumber: replacement.serialNumber, ...(replacement.notAfter ? { notAfter: replacement.notAfter } : {}) } } : {};
  if (a.unreadable) {
    return { name: a.name, action: 'failed', ...replacedBy, error: `its current certificate in the state directory cannot be read (${a.unreadable}), so certfleet cannot revoke it` };
  }
  if (!a.current) return { name: a.name, action: 'nothing-to-revoke', ...replacedBy };
  const base = { name: a.name, ...serialOf(a), ...replacedBy };
  if (replaceFirst && replacement?.action !== 'renewed') {
    const why = replacement ? (replacement.error ?? replacement.explanation) : 'no replacement was attempted';
    return { ...base, action: 'not-revoked', error: `its replacement failed, so it stays valid and in service: ${why}` };
  }
  const store = stateStore.certificates;
  try {
    const old = await store.readVersion(a.name, a.current.versionId);
    const client = await clients.get(cert.ca);
    // A compromised key proves itself: the CA (Let's Encrypt requires it) takes a keyCompromise
    // request signed by the certificate's own key, and then blocks that key.
    const action = await revokeOrAlready(() => client.revoke(old.files.certPem, { reason, ...(reason === 'keyCompromise' ? { withKey: old.files.keyPem } : {}) }));
    hooks.logger.info(`${a.name}: ${action === 'revoked' ? 'revoked' : 'already revoked:'} serial ${a.current.serialNumber} (${reason})`);
    await askRenewalInfoSoon(stateStore, a.name, a.current, hooks);
    if (reason !== 'keyCompromise') return { ...base, action };
    const siblings = await revokeEarlierOnSameKey(a, store, client, replacement?.serialNumber, hooks);
    const outcome: RevokeOutcome = { ...base, action, ...(siblings.revoked.length ? { alsoRevoked: siblings.revoked } : {}) };
    return siblings.failed.length ? { ...outcome, action: 'failed', error: `the current serial is revoked, but not every earlier one on the same key: ${siblings.failed.join('; ')}` } : outcome;
  } catch (err) {
    hooks.logger.error(`${a.name}: revoking serial ${a.current.serialNumber} failed: ${describeError(err)}`);
    return { ...base, action: 'failed', error: describeError(err) };
  }
}

/**
 * A revoked certificate still in service (`--no-replace`, or a replacement that did not become
 * current) must be replaced as soon as possible: the next run asks the CA's ARI at once instead of
 * at the time its last answer set, and the CA's answer (a window in the past) makes renewal due.
 * Never fails the revocation: at worst ARI is asked at its usual time.
 */
async function askRenewalInfoSoon(stateStore: StateStore, name: string, revoked: { versionId: string; serialNumber: string }, hooks: RevokeHooks): Promise<void> {
  const store = stateStore.certificates;
  try {
    // Under the certificate's lease: a renew run working on it now must not write its older state over this note.
    await withLease(stateStore, name, { waitMs: 30_000, pid: hooks.pid }, async (fence) => {
      if ((await store.currentId(name)) !== revoked.versionId) return; // replaced: its ARI is no longer asked (RFC 9773 4.3)
      const state = await store.loadState(name, (m) => hooks.logger.warn(`${name}: ${m}`));
      await store.saveState(name, askRenewalInfoNow(state, revoked.serialNumber), fence);
    });
  } catch (err) {
    hooks.logger.warn(`${name}: could not note that the next run should ask the CA's renewal information at once: ${describeError(err)}`);
  }
}

/** The CA's "already revoked" is the outcome we wanted. */
export async function revokeOrAlready(revoke: () => Promise<void>): Promise<'revoked' | 'already-revoked'> {
  try {
    await revoke();
    return 'revoked';
  } catch (err) {
    if (err instanceof AcmeProblemError && err.type === 'alreadyRevoked') return 'already-revoked';
    throw err;
  }
}

/**
 * A compromised key takes every unexpired certificate on it, not only the one in use: with
 * `reuseKey` the earlier versions certify the same key and are still valid.
 */
async function revokeEarlierOnSameKey(
  a: AffectedCertificate,
  store: CertificateRecords,
  client: AcmeClient,
  replacementSerial: string | undefined,
  hooks: RevokeHooks,
): Promise<{ revoked: string[]; failed: string[] }> {
  const current = a.current!;
  const now = hooks.now().getTime();
  const revoked: string[] = [];
  const failed: string[] = [];
  for (const v of await store.versions(a.name)) {
    if (v.id === current.versionId || v.serialNumber === replacementSerial || Date.parse(v.notAfter) <= now) continue;
    try {
      const { files } = await store.readVersion(a.name, v.id);
      const leaf = findPemBlocks(files.certPem).find((b) => b.type === 'CERTIFICATE');
      if (!leaf || parseCertificate(leaf.der).info.publicKeyFingerprintSha256 !== current.publicKeyFingerprintSha256) continue;
      if ((await revokeOrAlready(() => client.revoke(files.certPem, { reason: 'keyCompromise', withKey: files.keyPem }))) === 'revoked') {
        hooks.logger.info(`${a.name}: revoked earlier serial ${v.serialNumber} on the same key (keyCompromise)`);
      }
      revoked.push(v.serialNumber);
    } catch (err) {
      failed.push(`serial ${v.serialNumber}: ${describeError(err)}`);
    }
  }
  return { revoked, failed };
}

/** The renew run's own per-certificate callback is not ours: revoke reports per revocation. */
function withoutProgress(hooks: RevokeHooks): RenewRunHooks {
  const { onCertificate: _ours, ...rest } = hooks;
  return rest;
}

function serialOf(a: AffectedCertificate): Pick<RevokeOutcome, 'serialNumber' | 'fingerprintSha256'> {
  return a.current ? { serialNumber: a.current.serialNumber, fingerprintSha256: a.current.fingerprintSha256 } : {};
}
