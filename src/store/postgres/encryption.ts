/**
 * Private keys at rest in the PostgreSQL store: AES-256-GCM with a fresh random 96-bit nonce per
 * row (GCM's nonce must never repeat under one key; 2^32 random nonces keep that risk negligible),
 * the 16-byte tag appended to the ciphertext, and the id of the key that encrypted the row stored
 * beside it. The row's identity (which certificate version, which account) is the additional
 * authenticated data: a ciphertext copied into another row fails to decrypt instead of handing
 * the wrong key to a deploy.
 *
 * Keys come as a keyring: the current key encrypts, older keys (by id) still decrypt, so
 * `store rotate-key` can re-encrypt row by row while runners keep working.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { CertfleetError, ConfigError, ExitCode } from '../../errors.js';
import { readSecretFile } from '../secret-file.js';

const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The encryption settings of the `store` section (next to `store.postgres`). A key from an
 * environment variable suits a secret injected by the service manager; a file suits one mounted.
 */
export const storeEncryptionConfigSchema = z
  .strictObject({
    /** A file with the key: 32 raw bytes, 64 hex characters, or the base64 of 32 bytes. */
    encryptionKeyFile: z.string().min(1).optional(),
    /** The name of an environment variable holding the key (hex or base64). */
    encryptionKeyEnv: z.string().min(1).optional(),
    /** Keys being rotated away from, still needed to decrypt rows not yet re-encrypted. */
    previousEncryptionKeyFiles: z.array(z.string().min(1)).optional(),
  })
  .refine((v) => v.encryptionKeyFile === undefined || v.encryptionKeyEnv === undefined, {
    message: 'give one of encryptionKeyFile or encryptionKeyEnv, not both',
  });

export type StoreEncryptionConfig = z.infer<typeof storeEncryptionConfigSchema>;

export interface DataKey {
  /** First 8 bytes of the key's SHA-256, hex: names the key without revealing it. */
  id: string;
  key: Buffer;
}

export interface Keyring {
  current: DataKey;
  /** Every key that may decrypt, the current one included. */
  byId: ReadonlyMap<string, DataKey>;
}

/** A private key as stored: the three columns of its row. */
export interface EncryptedKey {
  /** Ciphertext with the GCM tag appended. */
  ciphertext: Buffer;
  nonce: Buffer;
  keyId: string;
}

/** Whose private key a row holds: the additional authenticated data, and the words for messages. */
export type KeyOwner = { kind: 'version'; certificate: string; version: string } | { kind: 'account'; directoryUrl: string };

function aad(owner: KeyOwner): Buffer {
  // NUL separates the parts: PostgreSQL text cannot hold one, so no two owners share a label.
  // An account's current and pending key share one label so a finished rollover can move the
  // pending columns into the current ones without decrypting.
  const parts = owner.kind === 'version' ? ['certfleet-version-key', owner.certificate, owner.version] : ['certfleet-account-key', owner.directoryUrl];
  return Buffer.from(parts.join('\0'), 'utf8');
}

function describeOwner(owner: KeyOwner): string {
  return owner.kind === 'version'
    ? `the private key of ${owner.certificate} (version ${owner.version})`
    : `the ACME account key for ${owner.directoryUrl}`;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, 8).toString('hex');
}

export function dataKey(key: Buffer): DataKey {
  if (key.length !== KEY_BYTES) throw new Error(`an AES-256 key is ${KEY_BYTES} bytes, not ${key.length}`);
  return { id: keyId(key), key: Buffer.from(key) };
}

export function keyring(current: DataKey, previous: readonly DataKey[] = []): Keyring {
  const byId = new Map<string, DataKey>();
  for (const k of previous) byId.set(k.id, k);
  byId.set(current.id, current);
  return { current, byId };
}

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const FORMATS = `${KEY_BYTES} raw bytes, ${KEY_BYTES * 2} hex characters, or the base64 of ${KEY_BYTES} bytes`;
const GENERATE = 'generate one with `openssl rand -hex 32`';

/**
 * The 32-byte key in `content` (a key file's bytes or an environment variable's value): exactly 32
 * bytes are taken raw; otherwise the trimmed text must be 64 hex characters or base64 of 32 bytes.
 * Messages name the source and the size, never the content.
 */
export function parseKeyMaterial(content: Buffer | string, source: string): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  if (typeof content !== 'string' && bytes.length === KEY_BYTES) return Buffer.from(bytes);
  const text = bytes.toString('utf8').trim();
  if (HEX.test(text)) return Buffer.from(text, 'hex');
  if (BASE64.test(text)) {
    const encoding = /[-_]/.test(text) ? 'base64url' : 'base64';
    const decoded = Buffer.from(text, encoding);
    // Buffer's base64 decoder skips what it does not understand: only a round trip proves it read all of it.
    if (decoded.toString(encoding).replace(/=+$/, '') === text.replace(/=+$/, '')) {
      if (decoded.length === KEY_BYTES) return decoded;
      throw new ConfigError(`${source}: the key decodes to ${decoded.length} bytes; it must be ${FORMATS}`, GENERATE);
    }
  }
  const size = typeof content === 'string' ? `${text.length} characters` : `${bytes.length} bytes`;
  throw new ConfigError(`${source}: not a key (${size}); it must be ${FORMATS}`, GENERATE);
}

export interface KeyFileContext {
  /** Told about a key file that others can read (the key still loads: refusing would stop renewals). */
  warn: (message: string) => void;
}

/** The key in a file. A key file group or others may access is a warning. */
export function readKeyFile(path: string, ctx: KeyFileContext, source = 'store.encryptionKeyFile'): DataKey {
  let content: Buffer;
  try {
    content = readSecretFile(path, (message) => ctx.warn(message), `${source}: `);
  } catch (err) {
    throw new ConfigError(`${source}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, undefined, err);
  }
  const key = dataKey(parseKeyMaterial(content, `${source}: ${path}`));
  // 32 printable characters are a passphrase typed into the file, not 32 random bytes (the chance
  // of that by accident is about 1 in 10^13): far weaker than it looks.
  if (content.length === KEY_BYTES && /^[\x20-\x7e]+$/.test(content.toString('latin1'))) {
    ctx.warn(`${source}: ${path} holds 32 printable characters, which looks like a passphrase rather than a random key; ${GENERATE}`);
  }
  return key;
}

export interface KeyringContext extends KeyFileContext {
  /** The environment to read `encryptionKeyEnv` from (the core never reads process.env itself). */
  env: Readonly<Record<string, string | undefined>>;
  /** Relative key file paths are resolved from here (the config file's directory). */
  baseDir: string;
}

/** The keyring the `store` section configures. */
export function loadKeyring(config: StoreEncryptionConfig, ctx: KeyringContext): Keyring {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.baseDir, p));
  let current: DataKey;
  if (config.encryptionKeyFile !== undefined) {
    current = readKeyFile(abs(config.encryptionKeyFile), ctx);
  } else if (config.encryptionKeyEnv !== undefined) {
    const value = ctx.env[config.encryptionKeyEnv];
    if (value === undefined || value.trim() === '') {
      throw new ConfigError(`store.encryptionKeyEnv: environment variable ${config.encryptionKeyEnv} is not set`);
    }
    current = dataKey(parseKeyMaterial(value, `store.encryptionKeyEnv: ${config.encryptionKeyEnv}`));
  } else {
    throw new ConfigError(
      'store: the PostgreSQL store keeps private keys encrypted and needs a key: set encryptionKeyFile (generate one with `openssl rand -hex 32`) or encryptionKeyEnv',
      'only `certfleet agent` goes without it, reading the keys wrapped to its host',
    );
  }
  const previous = (config.previousEncryptionKeyFiles ?? []).map((p) => readKeyFile(abs(p), ctx, 'store.previousEncryptionKeyFiles'));
  return keyring(current, previous);
}

/**
 * The keyring, or the error that says none is configured: an agent may leave the data key out of its
 * config (it unwraps the keys wrapped to its host, store/key-wrap.ts) until something needs the key.
 */
function requireKeyring(ring: Keyring | undefined, what: string): Keyring {
  if (ring !== undefined) return ring;
  throw new CertfleetError('store-key-missing', `${what} is encrypted with the store's data key, and this config names no store.encryptionKeyFile or store.encryptionKeyEnv`, {
    exitCode: ExitCode.usage,
    hint: "an agent reads keys wrapped to its host without the data key once its public key is registered and a runner wrapped them (certfleet renew); otherwise configure the runners' store.encryptionKeyFile",
  });
}

/** Encrypt a private key (PEM) for `owner`'s row with the current key. */
export function encryptPrivateKey(configured: Keyring | undefined, plaintext: string | Buffer, owner: KeyOwner): EncryptedKey {
  const ring = requireKeyring(configured, describeOwner(owner));
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(ALGORITHM, ring.current.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(owner));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return { ciphertext: Buffer.concat([body, cipher.getAuthTag()]), nonce, keyId: ring.current.id };
}

/** The private key (PEM) in `owner`'s row, or a CertfleetError that says which key was needed. */
export function decryptPrivateKey(configured: Keyring | undefined, row: EncryptedKey, owner: KeyOwner): string {
  const what = describeOwner(owner);
  const ring = requireKeyring(configured, what);
  const key = ring.byId.get(row.keyId);
  if (key === undefined) {
    const configured = [ring.current.id, ...[...ring.byId.keys()].filter((id) => id !== ring.current.id)];
    throw new CertfleetError(
      'store-key-unknown',
      `${what} was encrypted with key id ${row.keyId}; the configured key is ${ring.current.id}${configured.length > 1 ? ` (previous keys: ${configured.slice(1).join(', ')})` : ''}`,
      {
        exitCode: ExitCode.usage,
        hint: `configure the key whose id is ${row.keyId} (store.encryptionKeyFile, or store.previousEncryptionKeyFiles while rotating)`,
      },
    );
  }
  const tampered = () =>
    new CertfleetError('store-key-decrypt', `decryption of ${what} failed: wrong key or tampered row (key id ${row.keyId})`, {
      exitCode: ExitCode.findings,
      hint: 'the row was changed outside certfleet or copied from another row; restore it from a backup',
    });
  if (row.nonce.length !== NONCE_BYTES || row.ciphertext.length < TAG_BYTES) throw tampered();
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, row.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(owner));
    decipher.setAuthTag(row.ciphertext.subarray(row.ciphertext.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(row.ciphertext.subarray(0, row.ciphertext.length - TAG_BYTES)), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    // OpenSSL's own words ("Unsupported state or unable to authenticate data") help no one; the
    // cause is left out on purpose so no layer prints them instead of the message above.
    throw tampered();
  }
}

/**
 * Refuse a keyring that lacks a key the store's rows are encrypted with (`keyIds`, read when the
 * store is opened): a wrong store.encryptionKeyFile fails every command at once, naming the key
 * needed, instead of only the run that first decrypts (a renewal due weeks later).
 */
export function checkKeyringCovers(ring: Keyring, keyIds: readonly string[], location: string): void {
  const missing = [...new Set(keyIds)].filter((id) => !ring.byId.has(id));
  if (missing.length === 0) return;
  const previous = [...ring.byId.keys()].filter((id) => id !== ring.current.id);
  throw new CertfleetError(
    'store-key-unknown',
    `the private keys in ${location} are encrypted with key id ${missing.join(', ')}; the configured key is ${ring.current.id}${previous.length > 0 ? ` (previous keys: ${previous.join(', ')})` : ''}`,
    {
      exitCode: ExitCode.usage,
      hint: `configure the key whose id is ${missing[0]} (store.encryptionKeyFile, or store.previousEncryptionKeyFiles while rotating)`,
    },
  );
}

/** Whether a row is encrypted with an older key (`store rotate-key` re-encrypts these). */
export function needsReencryption(ring: Keyring, row: EncryptedKey): boolean {
  return row.keyId !== ring.current.id;
}

/** The row decrypted with whichever key it names and encrypted again with the current key (a fresh nonce). */
export function reencrypt(ring: Keyring, row: EncryptedKey, owner: KeyOwner): EncryptedKey {
  return encryptPrivateKey(ring, decryptPrivateKey(ring, row, owner), owner);
}
