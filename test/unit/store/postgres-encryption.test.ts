import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertfleetError, ConfigError } from '../../../src/errors.js';
import {
  dataKey,
  decryptPrivateKey,
  encryptPrivateKey,
  keyId,
  keyring,
  loadKeyring,
  needsReencryption,
  parseKeyMaterial,
  readKeyFile,
  reencrypt,
  storeEncryptionConfigSchema,
  type KeyOwner,
} from '../../../src/store/postgres/encryption.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n';
const web: KeyOwner = { kind: 'version', certificate: 'web', version: '20250101-abc' };
const dir = mkdtempSync(join(tmpdir(), 'certfleet-pgenc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => unknown): CertfleetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CertfleetError);
    return err as CertfleetError;
  }
  throw new Error('expected a throw');
}

function keyFile(name: string, content: Buffer | string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

describe('private keys encrypted at rest', () => {
  const ring = keyring(dataKey(randomBytes(32)));

  it('round-trips a PEM, stores the key id, and leaves no plaintext in the ciphertext', () => {
    const row = encryptPrivateKey(ring, PEM, web);
    expect(row.nonce).toHaveLength(12);
    expect(row.keyId).toBe(ring.current.id);
    expect(row.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(row.ciphertext.length).toBe(Buffer.byteLength(PEM) + 16);
    expect(row.ciphertext.toString('latin1')).not.toContain('PRIVATE KEY');
    expect(decryptPrivateKey(ring, row, web)).toBe(PEM);
  });

  it('the key id is the first 8 bytes of the SHA-256 of the key, hex', () => {
    const key = Buffer.alloc(32, 1);
    // sha256 of 32 bytes of 0x01 (computed independently with `openssl dgst -sha256`).
    expect(keyId(key)).toBe('72cd6e8422c407fb');
  });

  it('uses a fresh nonce for every row, so two encryptions of one key differ', () => {
    const rows = Array.from({ length: 200 }, () => encryptPrivateKey(ring, PEM, web));
    expect(new Set(rows.map((r) => r.nonce.toString('hex'))).size).toBe(200);
    expect(new Set(rows.map((r) => r.ciphertext.toString('hex'))).size).toBe(200);
  });

  it('a row encrypted with another key names both key ids, with no OpenSSL text', () => {
    const other = keyring(dataKey(randomBytes(32)));
    const row = encryptPrivateKey(other, PEM, web);
    const err = thrown(() => decryptPrivateKey(ring, row, web));
    expect(err.code).toBe('store-key-unknown');
    expect(err.message).toBe(`the private key of web (version 20250101-abc) was encrypted with key id ${other.current.id}; the configured key is ${ring.current.id}`);
    expect(err.hint).toContain(other.current.id);
  });

  it('a wrong key that claims the row\'s id fails as "wrong key or tampered row"', () => {
    const row = encryptPrivateKey(ring, PEM, web);
    const impostor = keyring({ id: ring.current.id, key: randomBytes(32) });
    const err = thrown(() => decryptPrivateKey(impostor, row, web));
    expect(err.code).toBe('store-key-decrypt');
    expect(err.message).toContain('wrong key or tampered row');
    expect(err.message).not.toMatch(/unable to authenticate|Unsupported state/i);
    expect(err.cause).toBeUndefined();
  });

  it('a flipped bit anywhere in ciphertext, tag or nonce fails to decrypt', () => {
    const row = encryptPrivateKey(ring, PEM, web);
    for (const at of [0, 10, row.ciphertext.length - 1]) {
      const ciphertext = Buffer.from(row.ciphertext);
      ciphertext[at]! ^= 0x01;
      expect(thrown(() => decryptPrivateKey(ring, { ...row, ciphertext }, web)).code).toBe('store-key-decrypt');
    }
    const nonce = Buffer.from(row.nonce);
    nonce[0]! ^= 0x80;
    expect(thrown(() => decryptPrivateKey(ring, { ...row, nonce }, web)).code).toBe('store-key-decrypt');
    expect(thrown(() => decryptPrivateKey(ring, { ...row, nonce: row.nonce.subarray(0, 8) }, web)).code).toBe('store-key-decrypt');
    expect(thrown(() => decryptPrivateKey(ring, { ...row, ciphertext: row.ciphertext.subarray(0, 15) }, web)).code).toBe('store-key-decrypt');
  });

  it('a ciphertext moved to another row (another certificate, version or account) fails to decrypt', () => {
    const row = encryptPrivateKey(ring, PEM, web);
    const elsewhere: KeyOwner[] = [
      { kind: 'version', certificate: 'mail', version: '20250101-abc' },
      { kind: 'version', certificate: 'web', version: '20250102-def' },
      { kind: 'account', directoryUrl: 'web' },
      // The separator keeps (a, bc) and (ab, c) apart.
      { kind: 'version', certificate: 'web\u000020250101', version: 'abc' },
    ];
    for (const owner of elsewhere) expect(thrown(() => decryptPrivateKey(ring, row, owner)).code).toBe('store-key-decrypt');
    const account: KeyOwner = { kind: 'account', directoryUrl: 'https://acme.test/directory' };
    expect(decryptPrivateKey(ring, encryptPrivateKey(ring, PEM, account), account)).toBe(PEM);
  });

  it('a keyring decrypts rows of a previous key, and rotation re-encrypts them under the current one', () => {
    const old = dataKey(randomBytes(32));
    const oldRow = encryptPrivateKey(keyring(old), PEM, web);
    const rotating = keyring(dataKey(randomBytes(32)), [old]);
    expect(needsReencryption(rotating, oldRow)).toBe(true);
    expect(decryptPrivateKey(rotating, oldRow, web)).toBe(PEM);
    const fresh = reencrypt(rotating, oldRow, web);
    expect(fresh.keyId).toBe(rotating.current.id);
    expect(needsReencryption(rotating, fresh)).toBe(false);
    expect(decryptPrivateKey(keyring(rotating.current), fresh, web)).toBe(PEM);
    // Without the old key the message lists what is configured.
    const err = thrown(() => decryptPrivateKey(keyring(dataKey(randomBytes(32)), [dataKey(randomBytes(32))]), oldRow, web));
    expect(err.message).toMatch(/the configured key is [0-9a-f]{16} \(previous keys: [0-9a-f]{16}\)$/);
  });
});

describe('key material', () => {
  const key = randomBytes(32);

  it('takes 32 raw bytes, 64 hex characters, base64 and base64url of 32 bytes, with a trailing newline', () => {
    expect(parseKeyMaterial(key, 'f')).toEqual(key);
    expect(parseKeyMaterial(Buffer.from(`${key.toString('hex')}\n`), 'f')).toEqual(key);
    expect(parseKeyMaterial(Buffer.from(key.toString('hex').toUpperCase()), 'f')).toEqual(key);
    expect(parseKeyMaterial(Buffer.from(`${key.toString('base64')}\n`), 'f')).toEqual(key);
    expect(parseKeyMaterial(key.toString('base64url'), 'env')).toEqual(key);
  });

  it('refuses other lengths and non-keys with a message that names the source, never the content', () => {
    const cases: Array<[Buffer | string, RegExp]> = [
      [randomBytes(31), /not a key \(31 bytes\)/],
      [randomBytes(33), /not a key \(33 bytes\)/],
      [Buffer.from('ab'.repeat(31)), /not a key \(62 bytes\)/], // 62 hex digits: neither hex of 32 bytes nor canonical base64
      [Buffer.from(randomBytes(16).toString('base64')), /decodes to 16 bytes/],
      [Buffer.from(randomBytes(64).toString('base64')), /decodes to 64 bytes/],
      [Buffer.from('correct horse battery staple!'), /not a key \(29 bytes\)/],
      ['', /not a key \(0 characters\)/],
    ];
    for (const [content, message] of cases) {
      let err: unknown;
      try {
        parseKeyMaterial(content, 'store.encryptionKeyFile: /etc/certfleet/store.key');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const text = (err as Error).message;
      expect(text).toMatch(message);
      expect(text).toContain('/etc/certfleet/store.key');
      expect(text).toContain('32 raw bytes, 64 hex characters, or the base64 of 32 bytes');
      const shown = typeof content === 'string' ? content : content.toString('utf8');
      if (shown.length > 3) expect(text).not.toContain(shown.trim());
    }
  });

  it('reads a key file; one that group or others can read is a warning, not a failure', () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const strict = keyFile('strict.key', key.toString('hex'));
    expect(readKeyFile(strict, { warn }).key).toEqual(key);
    expect(warnings).toEqual([]);
    const loose = keyFile('loose.key', key, 0o644);
    expect(readKeyFile(loose, { warn }).id).toBe(keyId(key));
    expect(warnings).toEqual([`store.encryptionKeyFile: ${loose} is accessible to group or others (mode 0644); chmod 600 it`]);
  });

  it('warns about a key file of 32 printable characters (a passphrase, not a key)', () => {
    const warnings: string[] = [];
    readKeyFile(keyFile('passphrase.key', 'this-is-my-passphrase-32-chars!!'), { warn: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/looks like a passphrase/);
  });

  it('a missing key file is a config error naming the path', () => {
    let err: unknown;
    try {
      readKeyFile(join(dir, 'absent.key'), { warn: () => undefined });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`store.encryptionKeyFile: cannot read ${join(dir, 'absent.key')}: ENOENT`);
  });

  it('loads a keyring from the config: a file relative to the config, an environment value, previous keys', () => {
    const previous = randomBytes(32);
    keyFile('current.key', key.toString('base64'));
    keyFile('previous.key', previous);
    const warn = () => undefined;
    const fromFile = loadKeyring(
      storeEncryptionConfigSchema.parse({ encryptionKeyFile: 'current.key', previousEncryptionKeyFiles: ['previous.key'] }),
      { env: {}, baseDir: dir, warn },
    );
    expect(fromFile.current.key).toEqual(key);
    expect([...fromFile.byId.keys()].sort()).toEqual([keyId(key), keyId(previous)].sort());

    const fromEnv = loadKeyring({ encryptionKeyEnv: 'CERTFLEET_STORE_KEY' }, { env: { CERTFLEET_STORE_KEY: key.toString('hex') }, baseDir: dir, warn });
    expect(fromEnv.current.id).toBe(keyId(key));
    expect(() => loadKeyring({ encryptionKeyEnv: 'CERTFLEET_STORE_KEY' }, { env: {}, baseDir: dir, warn })).toThrow(
      'store.encryptionKeyEnv: environment variable CERTFLEET_STORE_KEY is not set',
    );
    expect(() => loadKeyring({}, { env: {}, baseDir: dir, warn })).toThrow(ConfigError);
    expect(storeEncryptionConfigSchema.safeParse({ encryptionKeyFile: 'a', encryptionKeyEnv: 'B' }).success).toBe(false);
  });
});
