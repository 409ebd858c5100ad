/**
 * The state store's ports: everything certfleet remembers goes through these interfaces, so the
 * same core runs on one host's files (the embedded default, `FileStateStore`) and on a PostgreSQL
 * database shared by many runners. CertMagic's `Storage` + `Locker` is the model, cut along what
 * certfleet keeps rather than as a key-value store, so each implementation can index what the
 * core asks for ("what is due?") instead of scanning.
 *
 * Writes that belong to one certificate carry the lease's fencing token when the caller holds one
 * (see `Leases`): an implementation refuses the write with `LeaseLostError` when another runner has
 * taken the certificate over since, so a runner that was paused past its lease cannot overwrite the
 * new owner's work.
 */
import type { CertificateState, IssuedVersion, VersionFiles } from './certificate-store.js';
import type { LoadedAccount, StoredAccount } from './account-store.js';
import type { HistoryEntry, HistoryRead } from '../renewal/history.js';
import type { CertificateOutcome } from '../renewal/renew-certificate.js';
import { CertfleetError, ExitCode } from '../errors.js';
import type { Logger } from '../logger.js';

export type { CertificateState, IssuedVersion, VersionFiles, LoadedAccount, StoredAccount, HistoryEntry, HistoryRead };

/** A held lease's proof, passed with each write for the certificate it names. */
export interface Fence {
  name: string;
  token: number;
}

/**
 * What `renew` decided last time, kept so the next run can skip the certificate without reading it:
 * valid while the certificate's spec hash is the same and `checkAt` has not come. Any state write
 * without a schedule invalidates it (the next run looks at the certificate).
 */
export interface Schedule {
  /** Epoch ms: the earliest moment anything about the certificate can change (renewal, ARI poll, retry). */
  checkAt: number;
  /** Hash of everything in the config the decision depended on (order spec, deploy section, policy). */
  specHash: string;
  /** The `not-due` outcome to report for the certificate while skipped (no key material). */
  outcome: ScheduledOutcome;
}

/** The `not-due` outcome to report while a certificate is skipped: what renew said of it, no key material. */
export type ScheduledOutcome = Pick<CertificateOutcome, 'serialNumber' | 'fingerprintSha256' | 'notBefore' | 'notAfter' | 'issuedAt' | 'nextRenewalAt' | 'reason' | 'explanation' | 'explanationUrl' | 'exceedsPolicy'>;

export interface CertificateRecords {
  /** Every certificate the store holds state for (managed now, or orphaned by a config change). */
  names(): Promise<string[]>;
  /** Soft state; a corrupt record is moved aside (never deleted), reported through `onCorrupt`, and rebuilt. */
  loadState(name: string, onCorrupt: (message: string) => void): Promise<CertificateState>;
  /** For readers that must change nothing (status): a corrupt record is reported, not moved. */
  loadStateReadOnly(name: string, onCorrupt: (message: string) => void): Promise<CertificateState>;
  saveState(name: string, state: CertificateState, fence?: Fence): Promise<void>;
  /** Store a newly issued version (its key included). It does not become current until `setCurrent`. */
  addVersion(name: string, version: IssuedVersion, files: VersionFiles, fence?: Fence): Promise<void>;
  /** A version: its metadata now, its files (the key among them) when first read. */
  readVersion(name: string, id: string): Promise<{ version: IssuedVersion; files: VersionFiles }>;
  /** Complete versions, oldest first. */
  versions(name: string): Promise<IssuedVersion[]>;
  currentId(name: string): Promise<string | undefined>;
  current(name: string): Promise<{ version: IssuedVersion; files: VersionFiles } | undefined>;
  setCurrent(name: string, id: string, fence?: Fence): Promise<void>;
  /** The valid schedules (see `Schedule`), by certificate name. One read, not one per certificate. */
  schedules(): Promise<Map<string, Schedule>>;
  /** Record what renew decided for a certificate whose state is as last loaded or saved. */
  setSchedule(name: string, schedule: Schedule, fence?: Fence): Promise<void>;
  /**
   * Move a certificate's whole state (versions and keys) to the archived certificate `archivedName`
   * (`certfleet remove` on the shared store). The file store has no such method: it moves the
   * certificate's directory (archive-certificate.ts).
   */
  archive?(name: string, archivedName: string, fence: Fence): Promise<void>;
}

/** ACME accounts: one per CA directory URL. The key is the account; it is never overwritten. */
export interface AccountRecords {
  /** Where the account lives, for messages (a path, or a database row). */
  describe(directoryUrl: string): string;
  exists(directoryUrl: string): Promise<boolean>;
  load(directoryUrl: string, warn?: (message: string) => void): Promise<LoadedAccount | undefined>;
  save(keyPem: string, account: StoredAccount): Promise<void>;
  createKey(directoryUrl: string, keyPem: string): Promise<void>;
  saveAccount(account: StoredAccount): Promise<void>;
  stagePendingKey(directoryUrl: string, keyPem: string): Promise<void>;
  promotePendingKey(directoryUrl: string): Promise<string>;
  discardPendingKey(directoryUrl: string): Promise<string>;
}

export type RecordKind = 'revocation' | 'drill' | 'replacement';

/** What runs leave behind: the run history, drill/revocation/replacement records, the summary `report` reads. */
export interface RunRecords {
  appendHistory(entries: readonly HistoryEntry[]): Promise<void>;
  readHistory(): Promise<HistoryRead>;
  /** Where a record of this kind and id is (or will be) kept, for messages and the record itself. */
  recordLocation(kind: RecordKind, id: string): string;
  /** Written whole or not at all; `latest: true` also makes it the kind's latest record. */
  writeRecord(kind: RecordKind, id: string, record: object, options?: { latest?: boolean }): Promise<void>;
  latestRecord(kind: RecordKind): Promise<unknown>;
  /**
   * The managed-certificates summary (`report`'s input): the new one from the one stored, in one
   * step no other run interleaves with. With `only` (a run on the shared store that looked at
   * these certificates and no others), `previous` lists only their lines, the update returns only
   * theirs, and every other certificate keeps its line; without it the summary is replaced whole.
   */
  updateSummary(update: (previous: unknown) => object, options?: { only?: readonly string[] }): Promise<void>;
  readSummary(): Promise<unknown>;
}

export interface Lease extends Fence {
  owner: string;
  /** Epoch ms. Past it, another runner may take the certificate over. */
  expiresAt: number;
}

/**
 * Per-certificate leases: a runner works on a certificate only while it holds its lease, renews it
 * while it works, and releases it after. A lease nobody renews expires (a runner killed with
 * SIGKILL, a host that rebooted), so no stale lock ever needs a person. Each acquisition gets a
 * higher fencing token than the one before it.
 */
export interface Leases {
  /** The lease, or undefined while another owner holds an unexpired one. */
  acquire(name: string, owner: string, ttlMs: number): Promise<Lease | undefined>;
  /** Extend a held lease; `LeaseLostError` when it was taken over. */
  renew(lease: Lease, ttlMs: number): Promise<Lease>;
  release(lease: Lease): Promise<void>;
}

/** http-01 / tls-alpn-01 answers any host can serve (the fleet's agents), with when they stop mattering. */
export interface ChallengeTokens {
  put(entry: ChallengeToken): Promise<void>;
  get(token: string): Promise<ChallengeToken | undefined>;
  delete(token: string): Promise<void>;
  /**
   * The newest unexpired answer of this type for a name (lower case), or undefined: tls-alpn-01 is
   * asked for by the name in SNI, never by token. One indexed read, like get().
   */
  forIdentifier(identifier: string, type: ChallengeToken['type']): Promise<ChallengeToken | undefined>;
}

export interface ChallengeToken {
  token: string;
  keyAuthorization: string;
  identifier: string;
  type: 'http-01' | 'tls-alpn-01';
  /** Epoch ms. */
  expiresAt: number;
}

/** A CA's rate limit as one budget shared by every runner: take one unit, or learn when one frees up. */
export interface RateBudget {
  take(request: { ca: string; account: string; bucket: string; limit: number; windowMs: number; now: number }): Promise<{ granted: true } | { granted: false; retryAt: number }>;
  /**
   * What is taken of each bucket now, read only (nothing taken, nothing pruned): the units in the
   * window ending at `now`, and when the oldest of them frees; one answer per key, in order.
   */
  usage(keys: readonly BudgetKey[], now: number): Promise<BudgetUsage[]>;
}

/** One bucket of the budget: what `take` counts under, with the window it counts over. */
export interface BudgetKey {
  ca: string;
  /**
   * Absent: every account's units of this CA and bucket together. The store keeps one account per
   * CA, so that is its account's, plus, for a window after an account was replaced, the old one's:
   * what is left is never overstated. A reader that has no account at hand (a report) asks so.
   */
  account?: string;
  bucket: string;
  windowMs: number;
}

export interface BudgetUsage {
  /** Units taken in the window ending now. */
  used: number;
  /** Epoch ms when the oldest of them leaves the window; absent when none is taken. */
  oldestFreesAt?: number;
}

/**
 * A managed certificate's spec as `certfleet apply` stored it: the config entry as written (no
 * secret: those are named by xEnv/xFile and read by the runner), the directory its relative paths
 * are relative to, and where it was written, for messages.
 */
export interface StoredSpec {
  name: string;
  entry: Record<string, unknown>;
  baseDir: string;
  /** `certificates.d/web.yaml: certificates[3] (www)`. */
  where: string;
  /** Absolute path of the file that held it. */
  file: string;
}

export interface ApplySummary {
  added: string[];
  changed: string[];
  /** Gone from the config: kept with their versions (a revocation may need them), out of every run. */
  archived: string[];
  unchanged: number;
}

/**
 * The specs in the store and the due queue over them: how a run on a fleet of 100,000 costs what
 * is due. Only the shared store has them; on the file store the specs are read from the config by
 * every run.
 */
export interface SpecRecords {
  /** The fingerprint of the config last applied (undefined: never applied). */
  appliedFingerprint(): Promise<string | undefined>;
  /**
   * Make the stored specs those of `batches` (all of the config's, in any number of batches): new
   * ones added, changed ones replaced with their schedule voided (the next run looks at them),
   * missing ones archived; when `sharedHash` (acme, policy) changed, every schedule is voided.
   * `dryRun` says what would change and changes nothing.
   */
  apply(batches: AsyncIterable<readonly StoredSpec[]>, config: { fingerprint: string; sharedHash: string; appliedBy: string; dryRun: boolean }): Promise<ApplySummary>;
  /** The stored specs of these names (archived ones are absent). */
  read(names: readonly string[]): Promise<Map<string, StoredSpec>>;
  /** Every active spec after `after` by name, `limit` at a time (plan and --force over the fleet). */
  page(after: string | undefined, limit: number): Promise<StoredSpec[]>;
  /**
   * Lease up to `limit` due certificates nobody holds and that no claim since `since` (the run's
   * start, `now()` of the store) took: each certificate once per run, disjoint across runners.
   */
  claimDue(owner: string, ttlMs: number, limit: number, since: Date): Promise<Array<{ lease: Lease; spec: StoredSpec | undefined }>>;
  /** The store's clock, for `since`: runners on several hosts share one. */
  now(): Promise<Date>;
  /** Active (not archived) certificates with a spec. */
  count(): Promise<number>;
}

export interface StateStore {
  readonly kind: 'file' | 'postgres';
  /** Where the state is, for messages: a directory, or a database URL without its password. */
  readonly location: string;
  readonly certificates: CertificateRecords;
  readonly accounts: AccountRecords;
  readonly runs: RunRecords;
  readonly leases: Leases;
  readonly challenges: ChallengeTokens;
  readonly budget: RateBudget;
  /** The stored specs: the shared store only (see SpecRecords). */
  readonly specs?: SpecRecords;
  /** What each host's agent deployed: the shared store only (see DeploymentRecords). */
  readonly deployments?: DeploymentRecords;
  /** Flush what is buffered (the file store's schedule index) and free connections. */
  close(): Promise<void>;
}

/** Another runner holds the certificate now: this runner's write was refused, nothing was overwritten. */
export class LeaseLostError extends CertfleetError {
  constructor(name: string, detail: string) {
    super('lease-lost', `${name}: this runner's lease was taken over (${detail}); its write was refused and the new owner's work is kept`, {
      exitCode: ExitCode.findings,
      hint: 'another runner took the certificate over after this one paused past its lease; nothing to do, the next run reports its result',
    });
    this.name = 'LeaseLostError';
  }
}

/** A certificate's records bound to a held lease: every write carries its fencing token. */
export function fenced(records: CertificateRecords, fence: Fence | undefined): CertificateRecords {
  if (!fence) return records;
  return {
    names: () => records.names(),
    loadState: (n, c) => records.loadState(n, c),
    loadStateReadOnly: (n, c) => records.loadStateReadOnly(n, c),
    saveState: (n, s) => records.saveState(n, s, fence),
    addVersion: (n, v, f) => records.addVersion(n, v, f, fence),
    readVersion: (n, id) => records.readVersion(n, id),
    versions: (n) => records.versions(n),
    currentId: (n) => records.currentId(n),
    current: (n) => records.current(n),
    setCurrent: (n, id) => records.setCurrent(n, id, fence),
    schedules: () => records.schedules(),
    setSchedule: (n, s) => records.setSchedule(n, s, fence),
  };
}

/** An ACME account key taken out of service: replaced by a finished rollover ('old'), or staged and never used ('unused'). Kept, never deleted. */
export interface RetiredAccountKey {
  reason: 'old' | 'unused';
  keyPem: string;
  /** When it was retired (ISO 8601), as far as the store knows. */
  retiredAt: string;
}

/** A run record of a kind other than the history, as stored. */
export interface StoredRunRecord {
  id: string;
  record: unknown;
  /** It is its kind's latest record. */
  latest: boolean;
}

/**
 * What moving state from one store to another (`certfleet store import`, `store export`) needs of
 * the accounts beyond the everyday port: which there are, and the keys they retired.
 */
export interface AccountListing {
  /** Every CA directory URL with a stored account key; an account whose URL cannot be known is reported through `unnamed` (where it is). */
  directoryUrls(unnamed?: (where: string) => void): Promise<string[]>;
  /** The account's retired keys, oldest first. */
  retiredKeys(directoryUrl: string): Promise<RetiredAccountKey[]>;
  /** Keep a retired key (a copy from another store); the account's current key is untouched. */
  addRetiredKey(directoryUrl: string, key: RetiredAccountKey): Promise<void>;
}

/** The run records of a kind, for a copy to another store (`RunRecords` reads only the latest). */
export interface RunRecordListing {
  /** By id; a record that cannot be read is reported through `unreadable` and left out. */
  records(kind: RecordKind, unreadable?: (message: string) => void): Promise<StoredRunRecord[]>;
}

/** A store whose state can be copied out whole and into which a copy can be written: both implementations. */
export interface TransferableStore extends StateStore {
  readonly accounts: AccountRecords & AccountListing;
  readonly runs: RunRecords & RunRecordListing;
}

/** The store with its listings, or an error saying this store cannot take part in a copy. */
export function transferable(store: StateStore): TransferableStore {
  const accounts = store.accounts as Partial<AccountListing>;
  const runs = store.runs as Partial<RunRecordListing>;
  if (typeof accounts.directoryUrls !== 'function' || typeof accounts.retiredKeys !== 'function' || typeof accounts.addRetiredKey !== 'function' || typeof runs.records !== 'function') {
    throw new Error(`the ${store.kind} store at ${store.location} cannot list its records for a copy`);
  }
  return store as TransferableStore;
}

/** What a host's agent last did with a certificate (ISO 8601 times). */
export interface HostDeployment {
  /** The version the host last tried. */
  version: string;
  status: 'deployed' | 'failed';
  /** Why it failed; undefined when deployed. */
  detail: string | undefined;
  attemptedAt: string;
  /** When the host last confirmed a deployment (of any version): kept through a later failure. */
  deployedAt: string | undefined;
}

/** A certificate assigned to a host (its spec's `hosts` names it), with what the store and the host say of it. */
export interface HostAssignment {
  name: string;
  spec: StoredSpec;
  /** The version the runner made current; undefined until its first issuance. */
  currentVersion: string | undefined;
  /** What this host reported last; undefined when it never tried. */
  deployed: HostDeployment | undefined;
}

export type DeploymentOutcome = { status: 'deployed'; version: string } | { status: 'failed'; version: string; detail: string };

/**
 * Order once, deploy everywhere: a runner orders a certificate whose spec names `hosts`, and each
 * of those hosts' agents deploys its current version and reports back here. The shared store only.
 */
export interface DeploymentRecords {
  /** The active certificates whose spec names `host`, by name, each with its current version and this host's last report: one query. */
  assignedTo(host: string): Promise<HostAssignment[]>;
  /** The host's report on a certificate (replacing its previous one). */
  record(name: string, host: string, outcome: DeploymentOutcome): Promise<void>;
  /** Every host's last report on a certificate, by host. */
  forCertificate(name: string): Promise<Array<HostDeployment & { host: string }>>;
  /** `forCertificate` and the current version of many certificates: one query per 500 names; a name the store holds no certificate for is absent. */
  replacementStatus(names: readonly string[]): Promise<Map<string, ReplacementStatus>>;
  /** Hosts some active spec names that have never reported a deployment of anything (no agent there yet: the manual tail), sorted: one query. */
  hostsWithoutReports(): Promise<string[]>;
  /** When each of these hosts' agent last reported anything (ISO 8601); a host that never reported is absent: one query. */
  lastReports(hosts: readonly string[]): Promise<Map<string, string>>;
}

/** What status and the metrics need of one certificate, read with many others: never a key, never a version's other files. */
export interface CertificateStatusFacts {
  /** As `loadStateReadOnly` returns it (a document certfleet did not write is reported and read as fresh). */
  state: CertificateState;
  /** The current version's metadata and its cert.pem (the issuer is read from it). */
  current: { version: IssuedVersion; certPem: string } | undefined;
  /** How many versions are stored. */
  versions: number;
  /** The valid schedule (see `Schedule`), when renew recorded one. */
  schedule: Schedule | undefined;
}

/**
 * Many certificates' status facts in one read: how `status` and `renew --metrics-file` cost a query
 * per page rather than two or three per certificate on a fleet. The shared store has it; the file
 * store reads a certificate's files one certificate at a time either way.
 */
export interface CertificateBatchReads {
  /** The facts of these names; a name the store holds nothing for is absent. One round trip, whatever the page's size. */
  statusPage(names: readonly string[], onCorrupt: (message: string) => void): Promise<Map<string, CertificateStatusFacts>>;
}

/** The records with their batch read, or undefined when the store reads one certificate at a time. */
export function batchReads<T extends object>(records: T): (T & CertificateBatchReads) | undefined {
  return typeof (records as Partial<CertificateBatchReads>).statusPage === 'function' ? (records as T & CertificateBatchReads) : undefined;
}

/** Told what arrives on a channel and when the connection carrying it drops or comes back. */
export interface ChangeListener {
  /** A notification's payload (the channel's meaning: for `certfleet_current`, a certificate's name). */
  message(payload: string): void;
  /**
   * The connection is up (true) or lost (false). After a `false`, notifications sent until the
   * next `true` are lost: a listener that cares reads the state again when it comes back.
   */
  connection(up: boolean): void;
}

/**
 * The store telling its readers that something changed instead of them polling it: PostgreSQL's
 * LISTEN/NOTIFY on a connection of its own, reconnected by itself. The shared store only.
 */
export interface ChangeFeed {
  /** Resolves once the first connection was tried (up or not: `listener.connection` says which); then listens until closed. */
  listen(channel: string, listener: ChangeListener, logger: Logger): Promise<{ close(): Promise<void> }>;
}

/** The store's change feed, or undefined when it has none (the file store). */
export function changeFeed(store: object): ChangeFeed | undefined {
  return typeof (store as Partial<ChangeFeed>).listen === 'function' ? (store as ChangeFeed) : undefined;
}

/** A host's registered public key (an agent's, store/key-wrap.ts). */
export interface RegisteredHostKey {
  host: string;
  /** SubjectPublicKeyInfo PEM of an X25519 key. */
  publicKeyPem: string;
  /** SHA-256 of the SubjectPublicKeyInfo, hex. */
  fingerprint: string;
  createdAt: string;
}

/** A version's private key wrapped to one host, with the fingerprint of the host key it was wrapped to. */
export interface WrappedHostKey {
  fingerprint: string;
  wrapped: Buffer;
}

/**
 * Keys travel encrypted and are decrypted only by the agent that deploys them: each host's public
 * key, and each version's private key wrapped to every registered host its certificate is assigned
 * to. Runners wrap (they hold the data key); an agent reads its own host's rows only. The shared
 * store only.
 */
export interface HostKeyRecords {
  publicKey(host: string): Promise<RegisteredHostKey | undefined>;
  /**
   * Register `host`'s public key: kept as it is when one is registered already (an agent's first
   * start), replaced with `replace` (the operator: the host's keys are wrapped anew by the next
   * runner pass). Returns the key registered now and whether this call changed it.
   */
  register(host: string, publicKeyPem: string, options?: { replace?: boolean }): Promise<{ key: RegisteredHostKey; changed: boolean }>;
  /** The version's key wrapped to `host`, or undefined when none was written. */
  wrapped(name: string, version: string, host: string): Promise<WrappedHostKey | undefined>;
  /**
   * An agent that found no copy wrapped to its key asks the runners' next pass for one (only while
   * `fingerprint` is its host's registered key). Whether the request was recorded.
   */
  requestWrap(host: string, fingerprint: string): Promise<boolean>;
  /**
   * The runner's pass, for each host that asked since its last one (or for `host` only, whatever it
   * asked): every current version of an active certificate assigned to it that has no key wrapped
   * to its registered key is wrapped now. Costs a read of the host keys when nobody asked. Returns
   * how many keys it wrapped.
   */
  wrapMissing(options?: { host?: string }): Promise<number>;
}

/** The store's host keys, or undefined when it has none (the file store). */
export function hostKeyRecords(store: object): HostKeyRecords | undefined {
  const hostKeys = (store as { hostKeys?: Partial<HostKeyRecords> }).hostKeys;
  return typeof hostKeys?.wrapMissing === 'function' ? (hostKeys as HostKeyRecords) : undefined;
}

/** What waiting for a fleet's replacement reads of one certificate (`DeploymentRecords.replacementStatus`). */
export interface ReplacementStatus {
  /** The version its hosts are to deploy now; undefined: none issued yet. */
  currentVersion: string | undefined;
  /** Every host's last report, by host. */
  hosts: Array<HostDeployment & { host: string }>;
}

/** What an agent says of itself at every pass: that it is alive, where it runs, how often it wakes, what it answers. */
export interface AgentHeartbeat {
  host: string;
  /** certfleet's version. */
  agentVersion: string;
  /** The machine's own hostname (--host may name it otherwise) and the agent's process id. */
  hostname: string;
  pid: number;
  /** Its safety-pass interval (ms); absent for a single pass (--once). */
  intervalMs?: number;
  /** The challenge types it answers from the shared store (http-01, tls-alpn-01). */
  listening: string[];
}

/** A heartbeat as the store keeps it: stamped with the store's clock (ISO 8601), as deployments are. */
export interface SeenHeartbeat extends AgentHeartbeat {
  seenAt: string;
}

/** What the store knows of a host's agent: its last deployment report and its last heartbeat, each absent when never. */
export interface HostSignsOfLife {
  host: string;
  lastReport?: string;
  heartbeat?: SeenHeartbeat;
}

/**
 * Agents' heartbeats: an idle, healthy agent reports no deployment for days, and only its
 * heartbeat tells it from a dead one. The shared store only (agents need it); an agent role writes
 * its own host's row.
 */
export interface AgentHeartbeats {
  /** Replace the host's heartbeat with this one, stamped now. */
  beat(heartbeat: AgentHeartbeat): Promise<void>;
  /** These hosts' last heartbeats; a host never heard from is absent: one query. */
  forHosts(hosts: readonly string[]): Promise<Map<string, SeenHeartbeat>>;
  /** Every host some active spec names, sorted, with its agent's signs of life: one query. */
  fleetHosts(): Promise<HostSignsOfLife[]>;
}

/** The store's agents' heartbeats, or undefined when it keeps none (the file store). */
export function agentHeartbeats(store: object): AgentHeartbeats | undefined {
  const heartbeats = (store as { heartbeats?: Partial<AgentHeartbeats> }).heartbeats;
  return typeof heartbeats?.fleetHosts === 'function' ? (heartbeats as AgentHeartbeats) : undefined;
}

/** A stored version found by its serial, with its certificate's current version (`VersionLookup`). */
export interface VersionBySerial {
  name: string;
  version: IssuedVersion;
  /** The certificate's current version; undefined when none is current. */
  current: IssuedVersion | undefined;
}

/**
 * Versions found by serial across every certificate in one read: how a CA's list of serials is
 * matched against earlier versions (`revoke` after `replace`) without reading each certificate's
 * versions. The shared store has it; the file store reads each certificate's versions.
 */
export interface VersionLookup {
  /**
   * Every version of an active certificate whose serial is one of `serials`, given as numbers in
   * lower-case hex without leading zeros (affected.ts `normaliseSerial`): one query.
   */
  versionsBySerial(serials: readonly string[]): Promise<VersionBySerial[]>;
}

/** The records with their lookup by serial, or undefined when the store reads one certificate at a time. */
export function versionLookup<T extends object>(records: T): (T & VersionLookup) | undefined {
  return typeof (records as Partial<VersionLookup>).versionsBySerial === 'function' ? (records as T & VersionLookup) : undefined;
}
