/**
 * `certfleet apply`: the config's certificate specs into the shared store, file by file (100,000
 * specs are never one list in memory), and a renew on that store applying them first when the
 * config changed since (its fingerprint), so an edited config takes effect on the next run as it
 * does with the file store.
 *
 * What is stored is each entry as written and the directory its relative paths are relative to:
 * each runner resolves a spec when it claims it (the CA preset, the secrets from its own
 * environment and files, its own hook programs). A secret written inline would be stored in the
 * database in clear, so it is refused: it must be named (xEnv, xFile).
 */
import { createHash } from 'node:crypto';
import type { CertificateEntry, SpecSource } from '../config/certificate-files.js';
import { inlineChallengeSecrets } from '../challenges/config.js';
import { canonicalHostName } from '../config/host-names.js';
import { ConfigError } from '../errors.js';
import type { ApplySummary, SpecRecords, StoredSpec } from '../store/ports.js';
import type { RenewSettings } from './managed.js';

export interface ApplyResult extends ApplySummary {
  /** The config fingerprint now applied (or that would be, on a dry run). */
  fingerprint: string;
  /** Spec files read (the main config counts as one when it has certificates). */
  files: number;
  dryRun: boolean;
}

/** Batches of at most this many specs go to the store: memory is bounded by the largest file and this. */
const BATCH = 1_000;

export async function applySpecs(
  settings: Pick<RenewSettings, 'specs' | 'policy' | 'defaultCa'>,
  records: SpecRecords,
  options: { dryRun: boolean; appliedBy: string; fingerprint?: string },
): Promise<ApplyResult> {
  const source = settings.specs;
  const fingerprint = options.fingerprint ?? (await source.fingerprint());
  const summary = await records.apply(storedSpecs(source), { fingerprint, sharedHash: sharedHash(settings), appliedBy: options.appliedBy, dryRun: options.dryRun });
  return { ...summary, fingerprint, files: source.files.length + (source.inline.length > 0 ? 1 : 0), dryRun: options.dryRun };
}

/**
 * Before a run on the shared store: apply the config when it has certificates and changed since
 * the last apply. A config without certificates (a runner that only runs what others applied)
 * applies nothing: the store's specs are the fleet's.
 */
export async function applyIfChanged(settings: Pick<RenewSettings, 'specs' | 'policy' | 'defaultCa'>, records: SpecRecords, appliedBy: string): Promise<ApplyResult | undefined> {
  const source = settings.specs;
  if (source.inline.length === 0 && source.files.length === 0) return undefined;
  // The files are hashed once: 100,000 specs are some 30 MB of bytes.
  const fingerprint = await source.fingerprint();
  if ((await records.appliedFingerprint()) === fingerprint) return undefined;
  return applySpecs(settings, records, { dryRun: false, appliedBy, fingerprint });
}

async function* storedSpecs(source: SpecSource): AsyncIterable<StoredSpec[]> {
  yield* batches(source.inline);
  for (const file of source.files) yield* batches(await source.read(file));
}

function* batches(entries: readonly CertificateEntry[]): Iterable<StoredSpec[]> {
  for (let i = 0; i < entries.length; i += BATCH) yield entries.slice(i, i + BATCH).map(toStored);
}

function toStored(e: CertificateEntry): StoredSpec {
  refuseInlineSecrets(e);
  // As written: each runner checks it again with its own schema (checkedEntry) and applies the defaults itself.
  // But hosts in the store's form: the agents' lookups and row-level security compare them byte for byte.
  const written = e.written as Record<string, unknown>;
  const entry = e.entry.hosts ? { ...written, hosts: e.entry.hosts.map(canonicalHostName) } : written;
  return { name: e.entry.name, entry, baseDir: e.baseDir, where: e.where, file: e.file };
}

/** The secrets a certificate entry can hold inline (each also has an Env and a File form). */
function refuseInlineSecrets({ entry, where }: CertificateEntry): void {
  const inline: string[] = [];
  inline.push(...inlineChallengeSecrets(entry.challenge));
  if (entry.acme?.account?.eab?.hmacKey !== undefined) inline.push('acme.account.eab.hmacKey (use hmacKeyEnv or hmacKeyFile)');
  if (inline.length > 0) {
    throw new ConfigError(`${where}: ${inline.join(' and ')}: with store.postgres the specs are kept in the database, where an inline secret would be readable by anyone who can read the table`, 'name the secret by an environment variable or a file each runner has');
  }
}

/** What every schedule depends on besides the certificate's own spec: the renewal policy and the default CA (its secret left out). */
function sharedHash(settings: Pick<RenewSettings, 'policy' | 'defaultCa'>): string {
  const ca = settings.defaultCa ? { ...settings.defaultCa, eab: settings.defaultCa.eab?.kid } : null;
  return createHash('sha256').update(JSON.stringify([settings.policy, ca])).digest('base64url');
}
