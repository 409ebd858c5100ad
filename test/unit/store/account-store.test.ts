/**
 * The account store never loses an account key: a new key is created only where none exists
 * (0600, in a 0700 directory), a different key is never written over it, a missing or corrupt
 * account.json is moved aside (the key stays the account), an unreadable key stops with its path,
 * and symlinks are refused. Rollover stages the new key and keeps the old one.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccountStore, AccountStoreError, type StoredAccount } from '../../../src/store/account-store.js';
import { generatePrivateKey } from '../../../src/x509/generate-key.js';
import { issue, tempDir } from '../../helpers/pki.js';

const directoryUrl = 'https://ca.test/dir';
const record = (url = 'https://ca.test/acct/1'): StoredAccount => ({ directoryUrl, url, contact: ['mailto:ops@example.test'], createdAt: '2026-01-01T00:00:00.000Z' });

async function registered(): Promise<{ store: AccountStore; dir: string; key: string; warnings: string[]; warn: (m: string) => void }> {
  const store = new AccountStore(tempDir());
  const key = await generatePrivateKey('ec-p256');
  await store.save(key, record());
  const warnings: string[] = [];
  return { store, dir: store.dir(directoryUrl), key, warnings, warn: (m) => warnings.push(m) };
}

const mode = (path: string) => statSync(path).mode & 0o777;
const listing = (dir: string) => readdirSync(dir).sort();

describe('account store', () => {
  it('has nothing for a new CA, then keeps the key 0600 in a 0700 directory', async () => {
    const store = new AccountStore(tempDir());
    expect(await store.load(directoryUrl)).toBeUndefined();
    expect(await store.exists(directoryUrl)).toBe(false);
    const key = await generatePrivateKey('ec-p256');
    await store.createKey(directoryUrl, key);
    const dir = store.dir(directoryUrl);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(key);
    expect(mode(join(dir, 'account.key'))).toBe(0o600);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(store.stateDir, 'accounts'))).toBe(0o700);
    expect(listing(dir)).toEqual(['account.key']);
    await store.saveAccount(record());
    expect(await store.load(directoryUrl)).toEqual({ keyPem: key, account: record(), pendingKeyPem: undefined });
  });

  it('never writes a different key over the stored one; the same key again is fine', async () => {
    const { store, dir, key } = await registered();
    await store.save(key, record('https://ca.test/acct/2'));
    const other = await generatePrivateKey('ec-p256');
    await expect(store.save(other, record())).rejects.toThrow(AccountStoreError);
    await expect(store.createKey(directoryUrl, other)).rejects.toThrow(/refusing to overwrite the account key .*account\.key/);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(key);
    expect(listing(dir)).toEqual(['account.json', 'account.key']);
  });

  it('moves a corrupt account.json aside and returns the key without a URL', async () => {
    for (const corrupt of ['{not json', '[]', JSON.stringify({ ...record(), directoryUrl: 'https://other.test/dir' }), JSON.stringify({ ...record(), url: 42 })]) {
      const { store, dir, key, warnings, warn } = await registered();
      writeFileSync(join(dir, 'account.json'), corrupt);
      expect(await store.load(directoryUrl, warn)).toEqual({ keyPem: key, account: undefined, pendingKeyPem: undefined });
      const aside = listing(dir).filter((f) => f.startsWith('account.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(corrupt);
      expect(existsSync(join(dir, 'account.json'))).toBe(false);
      expect(warnings[0]).toMatch(/account\.json was unreadable .* moved to .*account\.json\.corrupt-.*looking the account up at the CA/);
      expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(key);
    }
  });

  it('returns the key without a URL when account.json is missing', async () => {
    const { store, dir, key, warnings, warn } = await registered();
    rmSync(join(dir, 'account.json'));
    expect(await store.load(directoryUrl, warn)).toEqual({ keyPem: key, account: undefined, pendingKeyPem: undefined });
    expect(warnings[0]).toMatch(/account\.json is missing/);
    expect(listing(dir)).toEqual(['account.key']);
  });

  it('stops at a key that is not a PEM private key, naming it, and changes nothing', async () => {
    const { store, dir } = await registered();
    const keyPath = join(dir, 'account.key');
    const certificate = (await issue({ commonName: 'not-a-key.test', days: 1 })).certPem;
    for (const garbage of ['garbage\n', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', certificate]) {
      writeFileSync(keyPath, garbage, { mode: 0o600 });
      const before = listing(dir);
      const err = await store.load(directoryUrl).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccountStoreError);
      expect((err as AccountStoreError).message).toContain(keyPath);
      expect((err as AccountStoreError).message).toMatch(/not a PEM private key/);
      expect((err as AccountStoreError).message).not.toContain(garbage.trim());
      expect((err as AccountStoreError).path).toBe(keyPath);
      await expect(store.createKey(directoryUrl, await generatePrivateKey('ec-p256'))).rejects.toThrow(AccountStoreError);
      expect(readFileSync(keyPath, 'utf8')).toBe(garbage);
      expect(listing(dir)).toEqual(before);
    }
  });

  it('starts over when the key is gone, keeping the old record aside', async () => {
    const { store, dir, warnings, warn } = await registered();
    rmSync(join(dir, 'account.key'));
    expect(await store.load(directoryUrl, warn)).toBeUndefined();
    expect(listing(dir).filter((f) => f.startsWith('account.json.orphaned-'))).toHaveLength(1);
    expect(warnings[0]).toMatch(/account\.key is missing/);
  });

  it('tightens a key readable by others to 0600', async () => {
    const { store, dir, key } = await registered();
    chmodSync(join(dir, 'account.key'), 0o644);
    expect((await store.load(directoryUrl))!.keyPem).toBe(key);
    expect(mode(join(dir, 'account.key'))).toBe(0o600);
  });

  it('refuses a symlinked key, account directory or accounts directory, writing nothing through it', async () => {
    const elsewhere = tempDir();
    const target = join(elsewhere, 'target.key');

    const a = await registered();
    const keyPath = join(a.dir, 'account.key');
    renameSync(keyPath, target);
    symlinkSync(target, keyPath);
    await expect(a.store.load(directoryUrl)).rejects.toThrow(/account\.key is a symlink/);
    await expect(a.store.createKey(directoryUrl, await generatePrivateKey('ec-p256'))).rejects.toThrow(/symlink/);
    expect(readFileSync(target, 'utf8')).toBe(a.key);

    for (const link of ['account', 'accounts']) {
      const store = new AccountStore(tempDir());
      const victim = tempDir();
      if (link === 'accounts') symlinkSync(victim, join(store.stateDir, 'accounts'));
      else {
        mkdirSync(join(store.stateDir, 'accounts'));
        symlinkSync(victim, store.dir(directoryUrl));
      }
      await expect(store.load(directoryUrl)).rejects.toThrow(/is a symlink; certfleet keeps account keys only in a real directory/);
      await expect(store.save(await generatePrivateKey('ec-p256'), record())).rejects.toThrow(AccountStoreError);
      expect(readdirSync(victim)).toEqual([]);
    }
  });

  it('rollover: stages the new key, then promotes it keeping the old one; or moves an unused one aside', async () => {
    const { store, dir, key } = await registered();
    const next = await generatePrivateKey('ec-p384');
    await store.stagePendingKey(directoryUrl, next);
    expect(mode(join(dir, 'account.key.pending'))).toBe(0o600);
    await expect(store.stagePendingKey(directoryUrl, next)).rejects.toThrow(/an earlier key rollover did not finish/);
    expect(await store.load(directoryUrl)).toMatchObject({ keyPem: key, pendingKeyPem: next });

    const old = await store.promotePendingKey(directoryUrl);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(next);
    expect(readFileSync(old, 'utf8')).toBe(key);
    expect(old).toMatch(/account\.key\.old-/);
    expect(mode(old)).toBe(0o600);
    expect(existsSync(join(dir, 'account.key.pending'))).toBe(false);

    const unused = await generatePrivateKey('ec-p256');
    await store.stagePendingKey(directoryUrl, unused);
    const aside = await store.discardPendingKey(directoryUrl);
    expect(readFileSync(aside, 'utf8')).toBe(unused);
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toBe(next);
    expect((await store.load(directoryUrl))!.pendingKeyPem).toBeUndefined();
  });

  it('moves aside a staged key that a crash left half-written', async () => {
    const { store, dir, key, warnings, warn } = await registered();
    writeFileSync(join(dir, 'account.key.pending'), '-----BEGIN PRIVATE KEY-----\nMIG', { mode: 0o600 });
    expect(await store.load(directoryUrl, warn)).toMatchObject({ keyPem: key, pendingKeyPem: undefined });
    expect(warnings[0]).toMatch(/staged rollover key .* unreadable/);
    expect(listing(dir).filter((f) => f.startsWith('account.key.pending.corrupt-'))).toHaveLength(1);
  });
});
