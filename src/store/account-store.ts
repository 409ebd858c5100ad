/**
 * ACME accounts on disk: one per directory URL, its key 0600 and its URL once registered.
 *   <stateDir>/accounts/<host>-<hash>/{account.key, account.json}
 *
 * The key is the account: losing it loses the account and, at CAs with External Account Binding,
 * the binding (often single-use). So the key is never overwritten: a new one is created only where
 * none exists (atomically and exclusively), account.json is disposable (a missing or corrupt one
 * is moved aside and the URL recovered from the CA with the key), and a key that cannot be read
 * stops everything with its path, for a person to look at. A key rollover stages the new key
 * beside the old one before the CA sees it, and keeps the old one afterwards, so a crash at any
 * point leaves a key the CA knows on disk. certfleet runs as root: no path here follows a symlink.
 */
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';
import { syncDirectory, writeFileAtomic } from './atomic-write.js';
import type { AccountListing, AccountRecords, RetiredAccountKey } from './ports.js';

export interface StoredAccount {
  directoryUrl: string;
  url?: string;
  contact: string[];
  createdAt: string;
}

export interface LoadedAccount {
  keyPem: string;
  /** Undefined when account.json was missing or unreadable: the CA is asked for the key's account. */
  account: StoredAccount | undefined;
  /** A key staged by a rollover that did not finish: the CA may or may not have accepted it. */
  pendingKeyPem: string | undefined;
}

/** The state directory holds something certfleet will not touch without a person: a broken key, a symlink. */
export class AccountStoreError extends CertfleetError {
  readonly path: string;

  constructor(message: string, path: string, hint?: string, cause?: unknown) {
    super('account-store', message, { exitCode: ExitCode.findings, hint, cause });
    this.name = 'AccountStoreError';
    this.path = path;
  }
}

const KEY = 'account.key';
const JSON_FILE = 'account.json';
const PENDING_KEY = 'account.key.pending';
const KEY_MODE = 0o600;
const DIR_MODE = 0o700;
/** A retired key's file name (`freeName`'s stamp: the ISO time with ':' and '.' as '-'). */
const RETIRED = /^account\.key\.(old|pending\.unused)-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})-(\d{3})Z(?:-\d+)?$/;

type Warn = (message: string) => void;

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function isPrivateKeyPem(text: string): boolean {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return false;
  try {
    createPrivateKey(text);
    return true;
  } catch {
    return false;
  }
}

function sameKey(a: string, b: string): boolean {
  return a.trim() === b.trim();
}

/** A stored account record for this CA (what both stores check before trusting one). */
export function isStoredAccount(value: unknown, directoryUrl: string): value is StoredAccount {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.directoryUrl === directoryUrl &&
    (v.url === undefined || (typeof v.url === 'string' && /^https?:\/\//.test(v.url))) &&
    Array.isArray(v.contact) &&
    v.contact.every((c) => typeof c === 'string') &&
    typeof v.createdAt === 'string'
  );
}

/** The file implementation of the account records (ports.ts). */
export class AccountStore implements AccountRecords, AccountListing {
  constructor(readonly stateDir: string) {}

  describe(directoryUrl: string): string {
    return this.keyPath(directoryUrl);
  }

  dir(directoryUrl: string): string {
    const host = (() => {
      try {
        return new URL(directoryUrl).host.replace(/[^A-Za-z0-9.-]/g, '_');
      } catch {
        return 'ca';
      }
    })();
    const hash = createHash('sha256').update(directoryUrl).digest('hex').slice(0, 12);
    return join(this.stateDir, 'accounts', `${host}-${hash}`);
  }

  /** Path of the account key (for messages). */
  keyPath(directoryUrl: string): string {
    return join(this.dir(directoryUrl), KEY);
  }

  /** Whether an account key exists for this CA. Changes nothing. */
  async exists(directoryUrl: string): Promise<boolean> {
    await this.checkDirectories(directoryUrl);
    return (await this.lstatOrUndefined(this.keyPath(directoryUrl))) !== undefined;
  }

  /**
   * The stored account. Undefined only when there is no key: a new account is due. A key without
   * readable account.json comes back without `account` (the unreadable file moved aside, `warn`
   * told); a key that is not a readable PEM private key throws AccountStoreError.
   */
  async load(directoryUrl: string, warn: Warn = () => undefined): Promise<LoadedAccount | undefined> {
    await this.checkDirectories(directoryUrl);
    const dir = this.dir(directoryUrl);
    const keyPem = await this.readKey(join(dir, KEY));
    const jsonPath = join(dir, JSON_FILE);
    if (keyPem === undefined) {
      // Without its key an account cannot be used again; its record is kept, out of the way.
      if (await this.lstatOrUndefined(jsonPath)) {
        const aside = await this.moveAside(jsonPath, 'orphaned');
        warn(`${join(dir, KEY)} is missing, so the account in ${jsonPath} cannot be used; moved that file to ${aside} and registering a new account`);
      }
      return undefined;
    }
    const pendingKeyPem = await this.readPendingKey(dir, warn);
    const account = await this.readAccountJson(jsonPath, directoryUrl, warn);
    return { keyPem, account, pendingKeyPem };
  }

  /**
   * Write the key, if none is stored yet, and the account's record. A stored key is never
   * replaced: the same key again is a no-op, a different one an AccountStoreError.
   */
  async save(keyPem: string, account: StoredAccount): Promise<void> {
    await this.createKey(account.directoryUrl, keyPem);
    await this.saveAccount(account);
  }

  /** Store a new account's key before it is registered, so a registered key is never only in memory. */
  async createKey(directoryUrl: string, keyPem: string): Promise<void> {
    const dir = await this.makeDirectories(directoryUrl);
    const path = join(dir, KEY);
    const existing = await this.readKey(path);
    if (existing !== undefined) {
      if (sameKey(existing, keyPem)) return;
      throw new AccountStoreError(`refusing to overwrite the account key ${path} with a different key`, path,
        'the existing key is the account; `certfleet account rollover` replaces it safely');
    }
    await this.writeExclusive(path, keyPem);
  }

  async saveAccount(account: StoredAccount): Promise<void> {
    const dir = await this.makeDirectories(account.directoryUrl);
    await writeFileAtomic(join(dir, JSON_FILE), JSON.stringify(account, null, 2) + '\n', { mode: KEY_MODE });
  }

  /** Rollover, step 1: the new key on disk (0600, beside the current one) before the CA hears of it. */
  async stagePendingKey(directoryUrl: string, keyPem: string): Promise<void> {
    const dir = await this.makeDirectories(directoryUrl);
    const path = join(dir, PENDING_KEY);
    if (await this.lstatOrUndefined(path)) {
      throw new AccountStoreError(`an earlier key rollover did not finish: ${path} exists`, path,
        'run `certfleet account show` (or renew): it finds out which key the CA knows and settles it');
    }
    await this.writeExclusive(path, keyPem);
  }

  /**
   * Rollover, step 2, once the CA accepted the staged key: the current key is kept as
   * account.key.old-<time> and the staged one renamed over it (atomic). Returns where the old key went.
   */
  async promotePendingKey(directoryUrl: string): Promise<string> {
    await this.checkDirectories(directoryUrl);
    const dir = this.dir(directoryUrl);
    const pending = join(dir, PENDING_KEY);
    if ((await this.readKey(pending)) === undefined) throw new AccountStoreError(`no staged account key at ${pending}`, pending);
    const path = join(dir, KEY);
    const old = await this.freeName(path, 'old');
    // A hard link keeps the old key under its new name while account.key still exists: no moment without a key.
    await link(path, old);
    await rename(pending, path);
    await syncDirectory(dir);
    return old;
  }

  /** The CA did not accept the staged key: move it aside (never deleted; it is unused). Returns where it went. */
  async discardPendingKey(directoryUrl: string): Promise<string> {
    await this.checkDirectories(directoryUrl);
    return this.moveAside(join(this.dir(directoryUrl), PENDING_KEY), 'unused');
  }

  /** Neither `accounts/` nor the account's directory may be a symlink: a planted one would redirect key writes. */
  private async checkDirectories(directoryUrl: string): Promise<void> {
    for (const path of [join(this.stateDir, 'accounts'), this.dir(directoryUrl)]) {
      const info = await this.lstatOrUndefined(path);
      if (info === undefined) return;
      if (info.isSymbolicLink() || !info.isDirectory()) {
        throw new AccountStoreError(`${path} is ${info.isSymbolicLink() ? 'a symlink' : 'not a directory'}; certfleet keeps account keys only in a real directory`, path,
          'replace it with a directory (mode 0700) owned by the user certfleet runs as');
      }
    }
  }

  private async makeDirectories(directoryUrl: string): Promise<string> {
    const dir = this.dir(directoryUrl);
    await this.checkDirectories(directoryUrl);
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    await this.checkDirectories(directoryUrl);
    // mkdir's mode is filtered by the umask and ignored for a directory that existed.
    await chmod(join(this.stateDir, 'accounts'), DIR_MODE);
    await chmod(dir, DIR_MODE);
    return dir;
  }

  /** The key at `path`, undefined when there is none; anything but a readable regular PEM private key throws. */
  private async readKey(path: string): Promise<string | undefined> {
    let handle;
    try {
      // O_NOFOLLOW: a symlink in place of the key fails here (ELOOP) instead of being read through.
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      if (errno(err) === 'ELOOP') {
        throw new AccountStoreError(`the account key ${path} is a symlink; certfleet does not follow it`, path,
          'put the key itself there (mode 0600), or remove the link if it was not yours');
      }
      throw new AccountStoreError(`cannot read the account key ${path}: ${(err as Error).message}`, path, undefined, err);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new AccountStoreError(`the account key ${path} is not a regular file`, path);
      const text = await handle.readFile('utf8');
      if (!isPrivateKeyPem(text)) {
        // The text is never quoted: it may be a damaged key.
        throw new AccountStoreError(`the account key ${path} is not a PEM private key; certfleet leaves it as it is and will not create another account over it`, path,
          'restore the key from a backup; only if the account is to be abandoned, move the file away (a new account is then registered)');
      }
      if ((info.mode & 0o077) !== 0) await handle.chmod(KEY_MODE);
      return text;
    } finally {
      await handle.close();
    }
  }

  private async readPendingKey(dir: string, warn: Warn): Promise<string | undefined> {
    const path = join(dir, PENDING_KEY);
    try {
      return await this.readKey(path);
    } catch (err) {
      if (!(err instanceof AccountStoreError) || (await this.lstatOrUndefined(path))?.isSymbolicLink()) throw err;
      // Half-written by a rollover that crashed before the CA was asked: it cannot be the account's key.
      const aside = await this.moveAside(path, 'corrupt');
      warn(`the staged rollover key ${path} was unreadable; moved to ${aside}`);
      return undefined;
    }
  }

  private async readAccountJson(path: string, directoryUrl: string, warn: Warn): Promise<StoredAccount | undefined> {
    let text: string;
    try {
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (errno(err) === 'ENOENT') {
        warn(`${path} is missing; looking the account up at the CA by its key`);
        return undefined;
      }
      if (errno(err) !== 'ELOOP' && errno(err) !== 'EISDIR') throw new AccountStoreError(`cannot read ${path}: ${(err as Error).message}`, path, undefined, err);
      // A symlink or a directory in its place: not a record we wrote; moved aside like a corrupt one.
      text = '';
    }
    let parsed: unknown;
    let reason: string;
    try {
      parsed = JSON.parse(text);
      if (isStoredAccount(parsed, directoryUrl)) return parsed;
      reason = 'not an account record for this CA';
    } catch (err) {
      reason = text === '' ? 'not a readable file' : `not JSON: ${(err as Error).message}`;
    }
    const aside = await this.moveAside(path, 'corrupt');
    warn(`${path} was unreadable (${reason}); moved to ${aside}; looking the account up at the CA by its key`);
    return undefined;
  }

  /** Create `path` with `text` only if nothing is there: temp file, fsync, then link (fails on EEXIST), never rename over. */
  private async writeExclusive(path: string, text: string): Promise<void> {
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', KEY_MODE);
    try {
      await handle.writeFile(text);
      await handle.chmod(KEY_MODE);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (err) {
      if (errno(err) === 'EEXIST') {
        throw new AccountStoreError(`refusing to overwrite ${path}: another process created it meanwhile`, path, 'run again; the key now stored is used');
      }
      throw err;
    } finally {
      await rm(temp, { force: true });
    }
    await syncDirectory(join(path, '..'));
  }

  /** Rename `path` to `<path>.<tag>-<time>` (never deleting anything). */
  private async moveAside(path: string, tag: string): Promise<string> {
    const aside = await this.freeName(path, tag);
    await rename(path, aside);
    return aside;
  }

  private async freeName(path: string, tag: string): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (let n = 0; ; n++) {
      const candidate = `${path}.${tag}-${stamp}${n === 0 ? '' : `-${n}`}`;
      if ((await this.lstatOrUndefined(candidate)) === undefined) return candidate;
    }
  }

  private async lstatOrUndefined(path: string) {
    try {
      return await lstat(path);
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * The directory URL of each account directory, from its account.json (the directory's name is a
   * hash of the URL, checked here). A directory without a readable account.json names no URL: it
   * is reported through `unnamed`, never guessed.
   */
  async directoryUrls(unnamed: (where: string) => void = () => undefined): Promise<string[]> {
    const root = join(this.stateDir, 'accounts');
    let entries;
    try {
      entries = await readdir(root, { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    const urls: string[] = [];
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const dir = join(root, entry.name);
      if ((await this.lstatOrUndefined(join(dir, KEY))) === undefined) continue;
      const url = await this.recordedUrl(join(dir, JSON_FILE));
      if (url !== undefined && this.dir(url) === dir) urls.push(url);
      else unnamed(dir);
    }
    return urls;
  }

  private async recordedUrl(path: string): Promise<string | undefined> {
    try {
      const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const parsed = JSON.parse(await handle.readFile('utf8')) as { directoryUrl?: unknown };
        return typeof parsed.directoryUrl === 'string' && isStoredAccount(parsed, parsed.directoryUrl) ? parsed.directoryUrl : undefined;
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
  }

  /** account.key.old-TIME (a finished rollover's) and account.key.pending.unused-TIME (never accepted), oldest first. */
  async retiredKeys(directoryUrl: string): Promise<RetiredAccountKey[]> {
    await this.checkDirectories(directoryUrl);
    let names: string[];
    try {
      names = await readdir(this.dir(directoryUrl));
    } catch (err) {
      if (errno(err) === 'ENOENT') return [];
      throw err;
    }
    const out: RetiredAccountKey[] = [];
    for (const name of names) {
      const match = RETIRED.exec(name);
      if (!match) continue;
      const keyPem = await this.readKey(join(this.dir(directoryUrl), name));
      if (keyPem === undefined) continue;
      out.push({ reason: match[1] === 'old' ? 'old' : 'unused', keyPem, retiredAt: `${match[2]}T${match[3]}:${match[4]}:${match[5]}.${match[6]}Z` });
    }
    return out.sort((a, b) => (a.retiredAt < b.retiredAt ? -1 : a.retiredAt > b.retiredAt ? 1 : 0));
  }

  /** Written as a rollover would have left it (0600, created exclusively, named by its retirement time). */
  async addRetiredKey(directoryUrl: string, key: RetiredAccountKey): Promise<void> {
    const dir = await this.makeDirectories(directoryUrl);
    const stamp = new Date(key.retiredAt).toISOString().replace(/[:.]/g, '-');
    const base = join(dir, key.reason === 'old' ? `${KEY}.old-${stamp}` : `${PENDING_KEY}.unused-${stamp}`);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? base : `${base}-${n}`;
      if ((await this.lstatOrUndefined(candidate)) === undefined) return this.writeExclusive(candidate, key.keyPem);
    }
  }
}
