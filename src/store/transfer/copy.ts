/**
 * Copying certfleet's state from one store into another through their ports (`store import`: a
 * state directory into PostgreSQL; `store export`: the reverse into an empty directory). One set of
 * merge rules for both directions:
 * - what the target lacks is copied; what it holds the same is counted "already present", so a
 *   second copy changes nothing and says so;
 * - versions are immutable by id: merged by id, never rewritten (one with other contents under the
 *   same id is a conflict);
 * - a certificate's current version, its state, an account's record, a run record and the summary
 *   that differ in the target are the target's unless `overwrite`; either way each is listed;
 * - the key is the account: a different key (or staged key) in the target is a conflict, never
 *   overwritten, and nothing else of that account is merged.
 * The target encrypts what it stores (the PostgreSQL ports do); nothing here sees a cipher.
 */
import { fenced, type CertificateRecords, type Lease, type RecordKind, type TransferableStore } from '../ports.js';
import { canonicalJson, sameJson, sameSummary } from './same-json.js';

export interface Tally {
  copied: number;
  present: number;
}

/** Something the two stores hold differently. */
export interface Difference {
  /** 'current', 'state', 'version', 'account key', 'staged account key', 'account record', 'revocation record', ..., 'summary'. */
  what: string;
  /** The certificate name, the CA directory URL, or the record id. */
  name: string;
  detail: string;
}

export interface CopyResult {
  certificates: Tally;
  versions: Tally;
  accounts: Tally;
  retiredAccountKeys: Tally;
  /** History entries, revocation/drill/replacement records and the summary. */
  runRecords: Tally;
  /** Different in the target and left as the target had it (no `overwrite`). */
  left: Difference[];
  /** Different in the target and replaced by the source's (`overwrite`). */
  overwritten: Difference[];
  /** Never overwritten, with or without `overwrite`: account keys, versions under one id with other contents. */
  conflicts: Difference[];
  /** Not copied, and why: a record the source cannot read or name, a certificate another runner holds. */
  skipped: string[];
  /** Parts filled in where the target had a certificate or account without them: a current version, a state, an account record, a staged key. */
  filled: number;
}

export interface CopyOptions {
  overwrite: boolean;
  /**
   * Take each certificate's lease in the target while copying it, as this owner: a runner working
   * on it is never written under (the certificate is skipped and reported). Unset for a target
   * nobody else uses (an export's new directory).
   */
  leaseOwner?: string;
  leaseTtlMs?: number;
  /** Told about each certificate as it is done (progress on stderr for a large fleet). */
  onCertificate?: (name: string, done: number, total: number) => void;
}

const KINDS: readonly RecordKind[] = ['revocation', 'drill', 'replacement'];

export async function copyState(source: TransferableStore, target: TransferableStore, options: CopyOptions): Promise<CopyResult> {
  const result: CopyResult = {
    certificates: tally(),
    versions: tally(),
    accounts: tally(),
    retiredAccountKeys: tally(),
    runRecords: tally(),
    left: [],
    overwritten: [],
    conflicts: [],
    skipped: [],
    filled: 0,
  };
  const differs = (difference: Difference, overwrite: () => Promise<void>) => differ(result, options.overwrite, difference, overwrite);
  await copyCertificates(source, target, options, result, differs);
  await copyAccounts(source, target, result, differs);
  await copyRunRecords(source, target, result, differs);
  return result;
}

type Differs = (difference: Difference, overwrite: () => Promise<void>) => Promise<void>;

async function differ(result: CopyResult, overwrite: boolean, difference: Difference, write: () => Promise<void>): Promise<void> {
  if (!overwrite) {
    result.left.push(difference);
    return;
  }
  await write();
  result.overwritten.push(difference);
}

async function copyCertificates(source: TransferableStore, target: TransferableStore, options: CopyOptions, result: CopyResult, differs: Differs): Promise<void> {
  const names = await source.certificates.names();
  const existing = new Set(await target.certificates.names());
  for (const [i, name] of names.entries()) {
    let lease: Lease | undefined;
    if (options.leaseOwner !== undefined) {
      lease = await target.leases.acquire(name, options.leaseOwner, options.leaseTtlMs ?? 5 * 60_000);
      if (lease === undefined) {
        result.skipped.push(`certificate ${name}: another runner holds its lease in ${target.location}; run the copy again when it is done`);
        continue;
      }
    }
    try {
      await copyCertificate(name, source.certificates, fenced(target.certificates, lease), existing.has(name), result, differs);
      result.certificates[existing.has(name) ? 'present' : 'copied']++;
    } finally {
      // It expires by itself if this fails.
      if (lease) await target.leases.release(lease).catch(() => undefined);
    }
    options.onCertificate?.(name, i + 1, names.length);
  }
}

async function copyCertificate(name: string, from: CertificateRecords, to: CertificateRecords, existed: boolean, result: CopyResult, differs: Differs): Promise<void> {
  // Filling in a certificate the target already had is a change to it; a new one's parts are its copy.
  const fill = () => {
    if (existed) result.filled++;
  };
  const held = new Map((await to.versions(name)).map((v) => [v.id, v]));
  for (const version of await from.versions(name)) {
    const mine = await from.readVersion(name, version.id);
    if (held.has(version.id)) {
      const theirs = await to.readVersion(name, version.id);
      if (theirs.files.certPem === mine.files.certPem && sameJson(theirs.version, mine.version)) result.versions.present++;
      else result.conflicts.push({ what: 'version', name, detail: `version ${version.id} has other contents in the target; versions are never rewritten` });
      continue;
    }
    // The key is read here (the file store reads it when asked) and handed to the target, which stores it its way.
    const { certPem, chainPem, fullchainPem, keyPem } = mine.files;
    await to.addVersion(name, mine.version, { certPem, chainPem, fullchainPem, keyPem });
    result.versions.copied++;
  }

  const current = await from.currentId(name);
  const theirCurrent = await to.currentId(name);
  if (current !== undefined && current !== theirCurrent) {
    if (theirCurrent === undefined) {
      await to.setCurrent(name, current);
      fill();
    } else await differs({ what: 'current', name, detail: `current version ${theirCurrent} in the target, ${current} in the source` }, () => to.setCurrent(name, current));
  }

  // Read-only loads on both sides: a copy reports an unreadable state, it never moves one aside.
  const skip = (message: string) => result.skipped.push(message);
  const state = await from.loadStateReadOnly(name, skip);
  const theirState = await to.loadStateReadOnly(name, () => undefined);
  if (isBlankState(state) || sameJson(state, theirState)) return;
  if (isBlankState(theirState)) {
    await to.saveState(name, state);
    fill();
  } else await differs({ what: 'state', name, detail: 'renewal state (ARI, failures, deploy journal) differs' }, () => to.saveState(name, state));
}

function isBlankState(state: object): boolean {
  return Object.keys(state).every((k) => k === 'schemaVersion');
}

async function copyAccounts(source: TransferableStore, target: TransferableStore, result: CopyResult, differs: Differs): Promise<void> {
  const urls = await source.accounts.directoryUrls((where) => result.skipped.push(`account ${where}: no readable account.json names its CA, so it cannot be stored under one`));
  for (const url of urls) {
    const mine = await source.accounts.load(url, (m) => result.skipped.push(m));
    if (mine === undefined) continue;
    const theirs = (await target.accounts.exists(url)) ? await target.accounts.load(url, () => undefined) : undefined;
    if (theirs === undefined) {
      await target.accounts.createKey(url, mine.keyPem);
      if (mine.account) await target.accounts.saveAccount(mine.account);
      if (mine.pendingKeyPem !== undefined) await target.accounts.stagePendingKey(url, mine.pendingKeyPem);
      result.accounts.copied++;
    } else {
      if (theirs.keyPem.trim() !== mine.keyPem.trim()) {
        result.conflicts.push({ what: 'account key', name: url, detail: 'the target holds another key for this CA: the key is the account, neither was changed and nothing else of the account was copied' });
        continue;
      }
      result.accounts.present++;
      const account = mine.account;
      if (account !== undefined && !sameJson(account, theirs.account)) {
        if (theirs.account === undefined) {
          await target.accounts.saveAccount(account);
          result.filled++;
        } else await differs({ what: 'account record', name: url, detail: 'account URL or contacts differ' }, () => target.accounts.saveAccount(account));
      }
      if (mine.pendingKeyPem !== undefined) {
        if (theirs.pendingKeyPem === undefined) {
          await target.accounts.stagePendingKey(url, mine.pendingKeyPem);
          result.filled++;
        } else if (theirs.pendingKeyPem.trim() !== mine.pendingKeyPem.trim()) {
          result.conflicts.push({ what: 'staged account key', name: url, detail: 'the target has another unfinished rollover; `certfleet account show` settles it' });
        }
      }
    }
    // Retired keys have no id: the same reason and key are the same retired key.
    const held = multiset((await target.accounts.retiredKeys(url)).map((k) => `${k.reason}\n${k.keyPem.trim()}`));
    for (const key of await source.accounts.retiredKeys(url)) {
      if (held.take(`${key.reason}\n${key.keyPem.trim()}`)) result.retiredAccountKeys.present++;
      else {
        await target.accounts.addRetiredKey(url, key);
        result.retiredAccountKeys.copied++;
      }
    }
  }
}

async function copyRunRecords(source: TransferableStore, target: TransferableStore, result: CopyResult, differs: Differs): Promise<void> {
  // History entries have no id: an entry equal to one the target holds (each matched once) is present.
  const history = await source.runs.readHistory();
  const held = multiset((await target.runs.readHistory()).entries.map(canonicalJson));
  const missing = history.entries.filter((e) => !held.take(canonicalJson(e)));
  if (missing.length > 0) await target.runs.appendHistory(missing);
  result.runRecords.copied += missing.length;
  result.runRecords.present += history.entries.length - missing.length;
  if (history.skipped > 0) result.skipped.push(`${history.skipped} unreadable history line(s) in ${source.location}`);

  for (const kind of KINDS) {
    const theirs = new Map((await target.runs.records(kind)).map((r) => [r.id, r]));
    let latestHeld = [...theirs.values()].some((r) => r.latest);
    for (const record of await source.runs.records(kind, (m) => result.skipped.push(m))) {
      const body = record.record as object;
      const their = theirs.get(record.id);
      // The source's latest becomes the target's only when the target has none of its own.
      const latest = record.latest && !latestHeld;
      if (their === undefined) {
        await target.runs.writeRecord(kind, record.id, body, { latest });
        result.runRecords.copied++;
      } else if (sameJson(their.record, body)) {
        if (latest) await target.runs.writeRecord(kind, record.id, body, { latest });
        result.runRecords.present++;
      } else {
        await differs({ what: `${kind} record`, name: record.id, detail: `${target.runs.recordLocation(kind, record.id)} differs` }, () => target.runs.writeRecord(kind, record.id, body, { latest: record.latest }));
      }
      latestHeld ||= latest;
    }
  }

  let summary: unknown;
  try {
    summary = await source.runs.readSummary();
  } catch (err) {
    result.skipped.push(`the managed-certificates summary in ${source.location}: ${(err as Error).message}`);
    return;
  }
  if (summary === undefined || typeof summary !== 'object' || summary === null) return;
  const theirSummary = await target.runs.readSummary();
  const write = () => target.runs.updateSummary(() => summary);
  if (theirSummary === undefined) {
    await write();
    result.runRecords.copied++;
  } else if (sameSummary(summary, theirSummary)) result.runRecords.present++;
  else await differs({ what: 'summary', name: 'managed certificates', detail: 'the summary `report` reads differs' }, write);
}

function tally(): Tally {
  return { copied: 0, present: 0 };
}

/** Counts of equal items; `take` uses one up. */
function multiset(items: Iterable<string>): { take(item: string): boolean } {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return {
    take(item) {
      const n = counts.get(item) ?? 0;
      if (n === 0) return false;
      counts.set(item, n - 1);
      return true;
    },
  };
}
