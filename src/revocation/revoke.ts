/**
 * Bulk revocation, in the order that keeps sites up: replace first (order, deploy, confirm the
 * new serial is served), then revoke the certificate that was replaced. A certificate whose
 * replacement failed is NOT revoked: revoking what is still being served takes the site down,
 * and the record says which ones are left, so the operator can fix them and run again (already
 * replaced and revoked ones are then not in the set: names and criteria other than serials match
 * current certificates; a serial of one selects that earlier version, which the CA says is already
 * revoked).
 * `--no-replace` revokes at once, for certificates already out of service.
 *
 * A serial of an earlier version (the certificate was replaced already, by `replace` from the same
 * CA list) selects that version: it is revoked without ordering anything, unless a host of its
 * certificate may still serve it (earlier-hosts.ts; not with `--no-replace`, as above).
 *
 * A certificate whose spec names `hosts` (store.postgres) is replaced when every one of those hosts'
 * agents confirmed the new version deployed (src/fleet/await-deployed.ts), not when it was ordered:
 * until then the old one is still served somewhere and is NOT revoked. The record notes what is
 * awaited, and the next revoke of that certificate picks it up where it was left: the replacement
 * (already current) is not ordered again, and once its hosts confirm it, the certificate it
 * replaced is the one revoked.
 */
import { AcmeProblemError, type AcmeClient, type RevocationReason } from '../acme/index.js';
import { mapConcurrently } from '../concurrency.js';
import { describeError } from '../errors.js';
import type { FleetConfirmation, HostConfirmation } from '../fleet/await-deployed.js';
import { pendingHosts } from '../fleet/await-deployed.js';
import { startConfirmations, type FleetWaitSettings } from '../fleet/confirm-replacements.js';
import { AcmeClients } from '../renewal/acme-clients.js';
import type { ManagedCertificate, RenewSettings } from '../renewal/managed.js';
import type { CertificateOutcome } from '../renewal/renew-certificate.js';
import { askRenewalInfoNow } from '../renewal/renewal-info.js';
import { runRenew, type RenewRunHooks } from '../renewal/run.js';
import { agentHeartbeats, type CertificateRecords, type ReplacementStatus, type StateStore } from '../store/ports.js';
import { withLease } from '../store/with-lease.js';
import { parseCertificate } from '../x509/certificate.js';
import { findPemBlocks } from '../x509/pem.js';
import { describeVersion, selectForRevoke, type AffectedCertificate, type AffectedCriteria, type EarlierVersion } from './affected.js';
import { earlierOnHosts, type EarlierOnHosts } from './earlier-hosts.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { fleetView, type FleetView } from './fleet-view.js';
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
  /** A certificate its spec's hosts serve: each host's part in the replacement (seconds from the run's start to deployed). */
  hosts?: HostConfirmation[];
  /** Not revoked because hosts have not confirmed the replacement: what the next revoke waits for, then revokes. */
  awaiting?: { version: string; oldVersion: string };
  /** The serial selected an earlier version of the certificate, already replaced (by `replacedBy`, its current one): revoked without ordering anything. */
  earlierVersion?: true;
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
  /**
   * Revocations earlier runs left waiting for hosts, of certificates this run did not select: carried
   * from record to record, so a later revoke of them still revokes the version that was replaced.
   */
  stillAwaiting?: AwaitingRevocation[];
  /** The per-host view of the affected set as it was before ordering (fleet-view.ts); absent on the file store. */
  fleet?: FleetView;
}

/** A certificate whose replacement `awaiting.version` its hosts had not all confirmed: `awaiting.oldVersion` is still to revoke. */
export interface AwaitingRevocation {
  name: string;
  serialNumber?: string;
  awaiting: { version: string; oldVersion: string };
}

export type RevokeHooks = Omit<RenewRunHooks, 'onCertificate' | 'store'> & {
  onCertificate?: (outcome: RevokeOutcome, done: number, total: number) => void;
  /** The configured store (the caller opens and closes it): the replacements, the accounts and the record are its. */
  store: StateStore;
  /** Waiting for the hosts of certificates whose spec names them (defaults: 30 min, real timers, no progress). */
  fleet?: FleetWaitSettings;
  /** The per-host view of the affected set, once selected and before anything is ordered or revoked (shared store only). */
  onFleetView?: (view: FleetView) => void;
};

export async function runRevoke(settings: RenewSettings, options: RevokeRunOptions, hooks: RevokeHooks): Promise<RevokeRunResult> {
  const started = hooks.now();
  const t0 = Date.now();
  const stateStore = hooks.store;
  const { affected, earlier: earlierVersions } = await selectForRevoke(settings, stateStore.certificates, options.criteria);
  const view = await fleetView(settings, affected, stateStore.deployments, agentHeartbeats(stateStore));
  if (view) hooks.onFleetView?.(view);

  const earlier = options.dryRun ? [] : await awaitingBefore(stateStore);
  let outcomes: RevokeOutcome[];
  if (options.dryRun) {
    outcomes = affected.map((a) => (a.current ? { name: a.name, action: 'would-revoke', ...serialOf(a) } : { name: a.name, action: 'nothing-to-revoke' }));
  } else if (!options.replace) {
    outcomes = await revokeAll(settings, stateStore, affected, undefined, new Map(), options, hooks);
  } else {
    const hostsOf = new Map(settings.certificates.flatMap((c) => (c.hosts?.length ? [[c.name, c.hosts] as const] : [])));
    // Listening from the start: the hosts' reports are shown as they come while later certificates are still being ordered.
    const confirmer = await startConfirmations(stateStore, started.getTime(), affected.some((a) => hostsOf.has(a.name)), {
      now: () => hooks.now().getTime(),
      logger: hooks.logger,
      ...(hooks.fleet ? { fleet: hooks.fleet } : {}),
    });
    try {
      const resumed = await resume(settings, stateStore, affected, earlier, hooks);
      // The replacement is the current version already: wait for it, then revoke what it replaced.
      for (const [name, left] of resumed) confirmer.add({ name, hosts: hostsOf.get(name)!, version: left.awaiting.version });
      const replacements = await replaceAll(settings, affected.filter((a) => !resumed.has(a.name)), options, hooks, (o) => {
        const hosts = hostsOf.get(o.name);
        if (hosts && o.action === 'renewed') confirmer.add({ name: o.name, hosts });
      });
      const selection = affected.map((a) => {
        const earlier = resumed.get(a.name);
        if (!earlier) return a;
        replacements.set(a.name, { name: a.name, action: 'renewed', serialNumber: a.current!.serialNumber, notAfter: a.current!.notAfter, reason: 'resumed', explanation: 'ordered by an earlier revoke run', durationMs: 0 });
        return { ...a, current: earlier.old };
      });
      const confirmations = await confirmer.finish();
      outcomes = await revokeAll(settings, stateStore, selection, replacements, confirmations, options, hooks);
    } finally {
      await confirmer.close();
    }
  }
  outcomes.push(...(options.dryRun ? earlierVersions.map((e) => ({ ...earlierBase(e), action: 'would-revoke' as const })) : await revokeEarlierVersions(settings, stateStore, earlierVersions, options, hooks)));

  const count = (a: RevokeAction) => outcomes.filter((o) => o.action === a).length;
  const result: RevokeRunResult = {
    schemaVersion: REVOKE_SCHEMA_VERSION,
    startedAt: started.toISOString(),
    finishedAt: hooks.now().toISOString(),
    reason: options.reason,
    replaceFirst: options.replace,
    dryRun: options.dryRun,
    certificates: outcomes,
    summary: { affected: affected.length + earlierVersions.length, revoked: count('revoked'), alreadyRevoked: count('already-revoked'), notRevoked: count('not-revoked'), failed: count('failed'), durationMs: Date.now() - t0 },
    blastRadius: blastRadius(affected),
  };
  const selected = new Set(affected.map((a) => a.name));
  // A waiting revocation whose old version this run revoked as an earlier version is done too.
  const done = new Set(outcomes.flatMap((o) => (o.earlierVersion && (o.action === 'revoked' || o.action === 'already-revoked') ? [`${o.name}\0${o.serialNumber}`] : [])));
  const carried = earlier.filter((e) => !selected.has(e.name) && !done.has(`${e.name}\0${e.serialNumber}`));
  if (carried.length) result.stillAwaiting = carried;
  if (view) result.fleet = view;
  if (!options.dryRun) {
    const id = recordId(started);
    result.recordPath = stateStore.runs.recordLocation('revocation', id);
    // The latest: what the next revoke reads to pick up certificates whose hosts had not confirmed yet.
    await stateStore.runs.writeRecord('revocation', id, result, { latest: true });
  }
  return result;
}

/** `ordered` is told of each certificate as soon as its order is done (its hosts can start confirming it). */
async function replaceAll(
  settings: RenewSettings,
  affected: readonly AffectedCertificate[],
  options: RevokeRunOptions,
  hooks: RevokeHooks,
  ordered: (outcome: CertificateOutcome) => void,
): Promise<Map<string, CertificateOutcome>> {
  if (affected.length === 0) return new Map(); // no names would mean every certificate to the renew run
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
    // The renew run's own per-certificate callback is not revoke's (it reports per revocation): only the orders' ends are told.
    { ...hooks, onCertificate: ordered },
  );
  return new Map(run.certificates.map((o) => [o.name, o]));
}

async function revokeAll(
  settings: RenewSettings,
  stateStore: StateStore,
  affected: readonly AffectedCertificate[],
  replacements: Map<string, CertificateOutcome> | undefined,
  confirmations: Map<string, FleetConfirmation>,
  options: RevokeRunOptions,
  hooks: RevokeHooks,
): Promise<RevokeOutcome[]> {
  const managed = new Map(settings.certificates.map((c) => [c.name, c]));
  const clients = new AcmeClients(stateStore.accounts, hooks.logger, hooks.now);
  try {
    return await mapConcurrently(
      affected,
      options.concurrency,
      (a) => revokeOne(a, managed.get(a.name)!, stateStore, clients, replacements !== undefined, replacements?.get(a.name), confirmations.get(a.name), options.reason, hooks),
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
  confirmation: FleetConfirmation | undefined,
  reason: RevocationReason,
  hooks: RevokeHooks,
): Promise<RevokeOutcome> {
  const replacedBy = replacement?.action === 'renewed' && replacement.serialNumber ? { replacedBy: { serialNumber: replacement.serialNumber, ...(replacement.notAfter ? { notAfter: replacement.notAfter } : {}) } } : {};
  if (a.unreadable) {
    return { name: a.name, action: 'failed', ...replacedBy, error: `its current certificate in the state directory cannot be read (${a.unreadable}), so certfleet cannot revoke it` };
  }
  if (!a.current) return { name: a.name, action: 'nothing-to-revoke', ...replacedBy };
  const base = { name: a.name, ...serialOf(a), ...replacedBy, ...(confirmation ? { hosts: confirmation.hosts } : {}) };
  if (replaceFirst && replacement?.action !== 'renewed') {
    const why = replacement ? (replacement.error ?? replacement.explanation) : 'no replacement was attempted';
    return { ...base, action: 'not-revoked', error: `its replacement failed, so it stays valid and in service: ${why}` };
  }
  if (replaceFirst && cert.hosts?.length && !confirmation?.complete) {
    // Ordered and current, but some host still serves the old one: revoking it now takes that host down.
    const why = confirmation ? pendingHosts(confirmation) : 'the version its hosts must deploy could not be read';
    return {
      ...base,
      action: 'not-revoked',
      ...(confirmation ? { awaiting: { version: confirmation.version, oldVersion: a.current.versionId } } : {}),
      error: `its replacement is not confirmed deployed on every host (${why}), so it stays valid and in service; run revoke again once they report`,
    };
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
    const siblings = await revokeEarlierOnSameKey(a.name, a.current, store, client, replacement?.serialNumber, hooks);
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
  name: string,
  current: NonNullable<AffectedCertificate['current']>,
  store: CertificateRecords,
  client: AcmeClient,
  replacementSerial: string | undefined,
  hooks: RevokeHooks,
): Promise<{ revoked: string[]; failed: string[] }> {
  const now = hooks.now().getTime();
  const revoked: string[] = [];
  const failed: string[] = [];
  for (const v of await store.versions(name)) {
    if (v.id === current.versionId || v.serialNumber === replacementSerial || Date.parse(v.notAfter) <= now) continue;
    try {
      const { files } = await store.readVersion(name, v.id);
      const leaf = findPemBlocks(files.certPem).find((b) => b.type === 'CERTIFICATE');
      if (!leaf || parseCertificate(leaf.der).info.publicKeyFingerprintSha256 !== current.publicKeyFingerprintSha256) continue;
      if ((await revokeOrAlready(() => client.revoke(files.certPem, { reason: 'keyCompromise', withKey: files.keyPem }))) === 'revoked') {
        hooks.logger.info(`${name}: revoked earlier serial ${v.serialNumber} on the same key (keyCompromise)`);
      }
      revoked.push(v.serialNumber);
    } catch (err) {
      failed.push(`serial ${v.serialNumber}: ${describeError(err)}`);
    }
  }
  return { revoked, failed };
}

/**
 * The earlier versions selected (already replaced): revoked without ordering anything. With
 * replace-first (the default), one a host of its certificate may still serve is not revoked, as a
 * replacement not confirmed on every host is not; one read of the deployments for all of them.
 */
async function revokeEarlierVersions(settings: RenewSettings, stateStore: StateStore, selected: readonly EarlierVersion[], options: RevokeRunOptions, hooks: RevokeHooks): Promise<RevokeOutcome[]> {
  if (selected.length === 0) return [];
  const managed = new Map(settings.certificates.map((c) => [c.name, c]));
  const withHosts = options.replace ? [...new Set(selected.filter((e) => managed.get(e.name)!.hosts?.length).map((e) => e.name))] : [];
  const status = withHosts.length && stateStore.deployments ? await stateStore.deployments.replacementStatus(withHosts) : new Map<string, ReplacementStatus>();
  const clients = new AcmeClients(stateStore.accounts, hooks.logger, hooks.now);
  try {
    return await mapConcurrently(
      selected,
      options.concurrency,
      (e) => {
        const hosts = options.replace ? managed.get(e.name)!.hosts : undefined;
        return revokeEarlierOne(e, managed.get(e.name)!, stateStore.certificates, clients, hosts?.length ? earlierOnHosts(hosts, e.versionId, status.get(e.name)) : undefined, options.reason, hooks);
      },
      hooks.onCertificate,
    );
  } finally {
    clients.close();
  }
}

async function revokeEarlierOne(
  e: EarlierVersion,
  cert: ManagedCertificate,
  store: CertificateRecords,
  clients: AcmeClients,
  onHosts: EarlierOnHosts | undefined,
  reason: RevocationReason,
  hooks: RevokeHooks,
): Promise<RevokeOutcome> {
  const base = earlierBase(e);
  if (!e.version) return { ...base, action: 'failed', error: `this earlier version cannot be read from the state store (${e.unreadable ?? 'unknown error'}), so certfleet cannot revoke it` };
  if (onHosts && !onHosts.confirmed) {
    // Revoking it now takes down the hosts that still serve it.
    return { ...base, action: 'not-revoked', hosts: onHosts.hosts, error: `a host of ${e.name} may still serve it (${onHosts.pending}), so it stays valid; run revoke again once every host reports the replacement deployed` };
  }
  try {
    if (reason === 'keyCompromise' && e.replacedBy) {
      // The CA blocks a key revoked for keyCompromise; the current certificate on it would be left in service on a compromised key.
      const current = await describeVersion(store, e.name, e.replacedBy.versionId);
      if (current.publicKeyFingerprintSha256 === e.version.publicKeyFingerprintSha256) {
        return { ...base, action: 'not-revoked', error: `its key is the key of ${e.name}'s current certificate too (reuseKey): revoke ${e.name} itself with keyCompromise, which replaces it on a new key and revokes this one with it` };
      }
    }
    const old = await store.readVersion(e.name, e.versionId);
    const client = await clients.get(cert.ca);
    // As for a current certificate: a compromised key proves itself (the version's own key signs the request).
    const action = await revokeOrAlready(() => client.revoke(old.files.certPem, { reason, ...(reason === 'keyCompromise' ? { withKey: old.files.keyPem } : {}) }));
    hooks.logger.info(`${e.name}: ${action === 'revoked' ? 'revoked' : 'already revoked:'} earlier serial ${e.serialNumber} (${reason})`);
    const outcome: RevokeOutcome = { ...base, ...(onHosts ? { hosts: onHosts.hosts } : {}), action };
    if (reason !== 'keyCompromise') return outcome;
    const siblings = await revokeEarlierOnSameKey(e.name, e.version, store, client, e.replacedBy?.serialNumber, hooks);
    const withSiblings: RevokeOutcome = { ...outcome, ...(siblings.revoked.length ? { alsoRevoked: siblings.revoked } : {}) };
    return siblings.failed.length ? { ...withSiblings, action: 'failed', error: `serial ${e.serialNumber} is revoked, but not every other version on the same key: ${siblings.failed.join('; ')}` } : withSiblings;
  } catch (err) {
    hooks.logger.error(`${e.name}: revoking earlier serial ${e.serialNumber} failed: ${describeError(err)}`);
    return { ...base, action: 'failed', error: describeError(err) };
  }
}

function earlierBase(e: EarlierVersion): Pick<RevokeOutcome, 'name' | 'serialNumber' | 'fingerprintSha256' | 'replacedBy' | 'earlierVersion'> {
  return {
    name: e.name,
    serialNumber: e.serialNumber,
    ...(e.version ? { fingerprintSha256: e.version.fingerprintSha256 } : {}),
    ...(e.replacedBy ? { replacedBy: { serialNumber: e.replacedBy.serialNumber } } : {}),
    earlierVersion: true,
  };
}

function serialOf(a: AffectedCertificate): Pick<RevokeOutcome, 'serialNumber' | 'fingerprintSha256'> {
  return a.current ? { serialNumber: a.current.serialNumber, fingerprintSha256: a.current.fingerprintSha256 } : {};
}

/**
 * What the latest revocation record left waiting for hosts: its own not-revoked certificates with
 * `awaiting`, and what it carried from earlier runs. A record certfleet did not write reads as none.
 */
async function awaitingBefore(stateStore: StateStore): Promise<AwaitingRevocation[]> {
  if (stateStore.deployments === undefined) return [];
  const latest = (await stateStore.runs.latestRecord('revocation').catch(() => undefined)) as { certificates?: unknown; stillAwaiting?: unknown } | undefined;
  const listed = (v: unknown) => (Array.isArray(v) ? (v as Array<Partial<RevokeOutcome>>) : []);
  const out = new Map<string, AwaitingRevocation>();
  for (const o of [...listed(latest?.stillAwaiting), ...listed(latest?.certificates)]) {
    if (typeof o.name !== 'string' || typeof o.awaiting?.version !== 'string' || typeof o.awaiting.oldVersion !== 'string') continue;
    if (o.action !== undefined && o.action !== 'not-revoked') continue;
    out.set(o.name, { name: o.name, ...(typeof o.serialNumber === 'string' ? { serialNumber: o.serialNumber } : {}), awaiting: { version: o.awaiting.version, oldVersion: o.awaiting.oldVersion } });
  }
  return [...out.values()];
}

/**
 * Of the selected certificates, those an earlier revoke left waiting for their hosts whose awaited
 * replacement is still their current version: the old version to revoke once the hosts confirm
 * it. Anything else (a certificate renewed again since) is a fresh start.
 */
async function resume(
  settings: RenewSettings,
  stateStore: StateStore,
  affected: readonly AffectedCertificate[],
  earlier: readonly AwaitingRevocation[],
  hooks: RevokeHooks,
): Promise<Map<string, { awaiting: { version: string; oldVersion: string }; old: NonNullable<AffectedCertificate['current']> }>> {
  const out = new Map<string, { awaiting: { version: string; oldVersion: string }; old: NonNullable<AffectedCertificate['current']> }>();
  const withHosts = new Set(settings.certificates.filter((c) => c.hosts?.length).map((c) => c.name));
  for (const a of affected) {
    const left = earlier.find((o) => o.name === a.name);
    if (!left || !withHosts.has(a.name) || a.current?.versionId !== left.awaiting.version) continue;
    try {
      out.set(a.name, { awaiting: left.awaiting, old: await describeVersion(stateStore.certificates, a.name, left.awaiting.oldVersion) });
      hooks.logger.info(`${a.name}: an earlier revoke ordered its replacement (${left.awaiting.version}); waiting for its hosts, then revoking the version it replaced (${left.awaiting.oldVersion})`);
    } catch (err) {
      hooks.logger.warn(`${a.name}: the version an earlier revoke left to revoke (${left.awaiting.oldVersion}) cannot be read (${describeError(err)}): replacing and revoking the current one instead`);
    }
  }
  return out;
}
