/**
 * `status`: what `certbot certificates` tells, and more: each managed certificate's current serial,
 * issuer, expiry and days left, where it is deployed and where it is verified, the next renewal
 * time and why, the last error; and the state entries no config entry names any more (orphaned),
 * with the command that removes them. Read from the config and the state directory only (no
 * network, no lock): safe to run any time. A state directory this user cannot read is an error
 * (state-dir-access.ts), never "no certificate yet". On the shared store the certificates are the
 * store's specs, read a page at a time (store-status.ts); each is shown by `certificateStatus` here.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateStore } from '../store/certificate-store.js';
import type { CertificateRecords, CertificateState, IssuedVersion } from '../store/ports.js';
import { accessErrorFrom, checkDirectory, checkStateDirAccess } from '../store/state-dir-access.js';
import { parseCertificate } from '../x509/certificate.js';
import { certificatePemTypes, findPemBlocks } from '../x509/pem.js';
import { decideRenewal } from './decision.js';
import { keptFiles } from './deploy-files.js';
import { selectCertificates, type ManagedCertificate, type RenewSettings } from './managed.js';
import { orderSpecChange } from './spec.js';

export const STATUS_SCHEMA_VERSION = 1;

export interface CertificateStatus {
  name: string;
  domains: string[];
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
  lifetimeDays: number | null;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number | null;
  /** The current certificate's issuer DN, from its cert.pem. */
  issuer: string | null;
  /** The files the config deploys it to, by kind. */
  deployedPaths: Array<{ kind: 'cert' | 'chain' | 'fullchain' | 'key' | 'combined'; path: string }>;
  /** The endpoints whose served serial is checked after each deployment, as the config writes them. */
  verifyTargets: string[];
  nextRenewalAt: string;
  reason: string;
  explanation: string;
  /** The CA issued it for longer than policy.maxLifetimeDays (timing follows the policy). */
  exceedsPolicy: boolean;
  ariWindow: { start: string; end: string; explanationUrl?: string } | null;
  consecutiveFailures: number;
  lastError: string | null;
  lastFailureAt: string | null;
  /** A deployment a killed run left unfinished (the next renew finishes it). */
  deploymentPending: boolean;
  versions: number;
  /** Files that were at the deploy paths before certfleet (or were changed by hand since), kept until the certificate is removed. */
  keptFiles: Array<{ path: string; type: 'file' | 'symlink'; keptIn: string }>;
}

export interface StatusResult {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  generatedAt: string;
  stateDir: string;
  certificates: CertificateStatus[];
  /** State entries (<stateDir>/certificates/NAME) that no config entry names: no longer renewed. */
  orphaned: OrphanedStatus[];
  /** The shared store status read (its URL without the password); absent on the state directory. */
  store?: string;
  /** The shared store only: certificates whose spec this host cannot resolve (each renew here fails them the same way). */
  unresolved?: UnresolvedStatus[];
}

/** A stored spec this host cannot use (a secret it does not have, a program it lacks): what the store says of the certificate, and why. */
export interface UnresolvedStatus {
  name: string;
  /** Where the spec was written (`certificates.d/web.yaml: certificates[3] (www)`). */
  where: string;
  error: string;
  serialNumber: string | null;
  notAfter: string | null;
  daysLeft: number | null;
}

export interface OrphanedStatus {
  name: string;
  directory: string;
  serialNumber: string | null;
  notAfter: string | null;
  /** What takes it out of the state (and its deployed links) for good. */
  removeCommand: string;
}

const DAY_MS = 86_400_000;
const deployKinds = ['cert', 'chain', 'fullchain', 'key', 'combined'] as const;
/** What a certificate name may be (renew-schema.ts): anything else under certificates/ is not an entry. */
export const CERTIFICATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The config's certificates (`names`: those alone, without orphans). `records`: the configured
 * store's certificates, read one by one; without it, the state directory's, whose access is
 * checked first so a permission problem never reads as "no certificate".
 */
export async function collectStatus(settings: RenewSettings, now: Date, warn: (m: string) => void, records?: CertificateRecords, names: readonly string[] = []): Promise<StatusResult> {
  const onFiles = records === undefined;
  if (onFiles) checkStateDirAccess(settings.stateDir, 'read');
  const store = records ?? new CertificateStore(settings.stateDir);
  const certificates: CertificateStatus[] = [];
  // Named certificates: those alone (an unknown name is an error), no orphans.
  const selected = names.length > 0 ? selectCertificates(settings, names) : settings.certificates;
  for (const cert of selected) {
    if (onFiles) checkEntryReadable(settings.stateDir, cert.name);
    const state = await store.loadStateReadOnly(cert.name, warn);
    const current = await readCurrent(store, cert.name);
    const issuer = current ? issuerOf(current.files.certPem) : null;
    const versions = (await store.versions(cert.name)).length;
    certificates.push(await certificateStatus(cert, { state, version: current?.version, issuer, versions }, settings.policy, now));
  }
  const orphaned = names.length > 0 ? [] : await orphanedEntries(store, settings, onFiles);
  return { schemaVersion: STATUS_SCHEMA_VERSION, generatedAt: now.toISOString(), stateDir: settings.stateDir, certificates, orphaned };
}

/** What status reads of a certificate in the store, however it was read (one by one from files, a page at a time from the database). */
export interface StoredFacts {
  state: CertificateState;
  /** The current version's metadata. */
  version: IssuedVersion | undefined;
  /** The current certificate's issuer DN (`issuerOf`). */
  issuer: string | null;
  versions: number;
}

/** One certificate's status: the decision as renew would make it now, and what the config and the store say. */
export async function certificateStatus(cert: ManagedCertificate, facts: StoredFacts, policy: RenewSettings['policy'], now: Date): Promise<CertificateStatus> {
  const { state, version: v } = facts;
  const specChange = v ? orderSpecChange(cert, v) : undefined;
  const decision = decideRenewal({
    ...(v ? { certificate: { serialNumber: v.serialNumber, notBefore: Date.parse(v.notBefore), notAfter: Date.parse(v.notAfter) } } : {}),
    ...(state.ari ? { ari: state.ari } : {}),
    ...(state.failures ? { failures: state.failures } : {}),
    ...(specChange ? { specChange } : {}),
    policy,
    now: now.getTime(),
  });
  return {
    name: cert.name,
    domains: cert.domains,
    serialNumber: v?.serialNumber ?? null,
    notBefore: v?.notBefore ?? null,
    notAfter: v?.notAfter ?? null,
    lifetimeDays: v ? Math.ceil((Date.parse(v.notAfter) - Date.parse(v.notBefore) + 1000) / 86_400_000) : null,
    daysLeft: daysLeft(v, now),
    issuer: facts.issuer,
    deployedPaths: deployedPaths(cert),
    verifyTargets: cert.verify.map((e) => e.raw),
    nextRenewalAt: new Date(decision.renewAt).toISOString(),
    reason: decision.reason,
    explanation: decision.explanation,
    exceedsPolicy: decision.exceedsPolicy,
    ariWindow:
      state.ari && state.ari.serialNumber === v?.serialNumber
        ? { start: new Date(state.ari.windowStart).toISOString(), end: new Date(state.ari.windowEnd).toISOString(), ...(state.ari.explanationUrl ? { explanationUrl: state.ari.explanationUrl } : {}) }
        : null,
    consecutiveFailures: state.failures?.consecutiveFailures ?? 0,
    lastError: state.failures?.lastError ?? null,
    lastFailureAt: state.failures ? new Date(state.failures.lastFailureAt).toISOString() : null,
    deploymentPending: state.deploying !== undefined,
    versions: facts.versions,
    keptFiles: cert.deploy ? await keptFiles(cert.name, cert.deploy.targets).catch(() => []) : [],
  };
}

/** Whole days until notAfter (negative once expired). */
export function daysLeft(v: Pick<IssuedVersion, 'notAfter'> | undefined, now: Date): number | null {
  return v ? Math.floor((Date.parse(v.notAfter) - now.getTime()) / DAY_MS) : null;
}

/** The current version; undefined when there is none or it is unreadable junk, an error when access is denied. */
async function readCurrent(store: CertificateRecords, name: string): ReturnType<CertificateRecords['current']> {
  try {
    return await store.current(name);
  } catch (err) {
    const denied = accessErrorFrom(err, 'read');
    if (denied) throw denied;
    return undefined;
  }
}

/** A certificate's own directory this user cannot read must not read as "no certificate yet". */
function checkEntryReadable(stateDir: string, name: string): void {
  const dir = join(stateDir, 'certificates', name);
  let stats;
  try {
    stats = statSync(dir);
  } catch {
    return; // not issued yet (a directory above it was checked already)
  }
  checkDirectory(dir, `${dir} in the state directory`, stats, 'read');
}

async function orphanedEntries(store: CertificateRecords, settings: RenewSettings, onFiles: boolean): Promise<OrphanedStatus[]> {
  const configured = new Set(settings.certificates.map((c) => c.name));
  const out: OrphanedStatus[] = [];
  for (const name of (await store.names()).sort()) {
    if (configured.has(name) || !CERTIFICATE_NAME.test(name)) continue;
    if (onFiles) checkEntryReadable(settings.stateDir, name);
    const current = await readCurrent(store, name);
    out.push({
      name,
      directory: onFiles ? join(settings.stateDir, 'certificates', name) : `the state store (${name})`,
      serialNumber: current?.version.serialNumber ?? null,
      notAfter: current?.version.notAfter ?? null,
      removeCommand: `certfleet remove ${name}`,
    });
  }
  return out;
}

function deployedPaths(cert: ManagedCertificate): CertificateStatus['deployedPaths'] {
  const targets = cert.deploy?.targets;
  if (!targets) return [];
  return deployKinds.flatMap((kind) => (targets[kind] ? [{ kind, path: targets[kind] }] : []));
}

/** The issuer DN of the leaf in cert.pem; null when it cannot be parsed (status still shows the rest). */
export function issuerOf(certPem: string): string | null {
  const leaf = findPemBlocks(certPem).find((b) => certificatePemTypes.has(b.type));
  try {
    return leaf ? parseCertificate(leaf.der).info.issuer : null;
  } catch {
    return null;
  }
}
