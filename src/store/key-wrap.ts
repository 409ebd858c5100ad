/**
 * A private key wrapped to one host's agent (ECIES): an ephemeral X25519 key pair per wrap, its
 * Diffie-Hellman secret with the host's public key through HKDF-SHA256 into a one-time AES-256-GCM
 * key. Only the holder of the host's private key can unwrap it; the runner that wraps needs the
 * host's public key only, the agent that unwraps never needs the store's data key.
 *
 * The additional authenticated data names what the key is and whose it is (certificate, version,
 * host): a wrapped key copied into another row, or offered to another host, fails to unwrap instead
 * of deploying the wrong key. Both public keys are in the HKDF salt, so a wrap is bound to the key
 * pair it was made for.
 *
 * Layout: version byte (1) | ephemeral public key (32) | nonce (12) | ciphertext | GCM tag (16).
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { CertfleetError, ExitCode } from '../errors.js';

const FORMAT_VERSION = 1;
const RAW_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + RAW_KEY_BYTES + NONCE_BYTES;
const INFO = Buffer.from('certfleet key-wrap v1 x25519-hkdf-sha256-aes256gcm', 'utf8');

/** What a wrapped key is for: its additional authenticated data, and the words for messages. */
export interface WrapOwner {
  certificate: string;
  version: string;
  host: string;
}

function aad(owner: WrapOwner): Buffer {
  // NUL separates the parts: neither PostgreSQL text nor a host name can hold one, so no two owners share a label.
  return Buffer.from(['certfleet-host-key', owner.certificate, owner.version, owner.host].join('\0'), 'utf8');
}

/** The 32-byte X25519 public key of `key` (a public or private KeyObject). */
function rawPublic(key: KeyObject): Buffer {
  // The JWK's x is the raw key; exporting it is ~50 times cheaper here than DER, and a wrap exports two.
  const x = key.export({ format: 'jwk' }).x;
  if (x === undefined) throw new Error('not an X25519 key');
  return Buffer.from(x, 'base64url');
}

function fromRaw(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function wrapKey(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), INFO, 32));
}

/** An X25519 public key from its PEM (SPKI), or a CertfleetError naming where it came from. */
export function parseHostPublicKey(pem: string, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new CertfleetError('host-key-invalid', `${source}: not a PEM public key`, { hint: 'give the output of `certfleet agent --print-public-key` on that host' });
  }
  if (key.asymmetricKeyType !== 'x25519') {
    throw new CertfleetError('host-key-invalid', `${source}: a ${key.asymmetricKeyType ?? 'unknown'} key; an agent's key is X25519`, { hint: 'give the output of `certfleet agent --print-public-key` on that host' });
  }
  return key;
}

/** An X25519 private key from its PEM (PKCS#8). */
export function parseHostPrivateKey(pem: string | Buffer, source: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new CertfleetError('host-key-invalid', `${source}: not a PEM private key`, { hint: 'move it aside: the agent makes a new key pair, which must then be registered again' });
  }
  if (key.asymmetricKeyType !== 'x25519') throw new CertfleetError('host-key-invalid', `${source}: a ${key.asymmetricKeyType ?? 'unknown'} key; an agent's key is X25519`);
  return key;
}

/** The public key as PEM (SPKI): what is registered and printed. */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'pem', type: 'spki' }).toString();
}

/** SHA-256 of the public key's SubjectPublicKeyInfo, hex: names a host key without ambiguity. */
export function hostKeyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ format: 'der', type: 'spki' })).digest('hex');
}

/** Enough of a fingerprint to tell two keys apart in a message: `SHA256:` and its first 16 hex digits. */
export function fingerprintLabel(fingerprint: string): string {
  return `SHA256:${fingerprint.slice(0, 16)}`;
}

/** `plaintext` (a private key's PEM) wrapped to the holder of `recipient`'s private key, for `owner`. */
export function wrapForHost(recipient: KeyObject, plaintext: string | Buffer, owner: WrapOwner): Buffer {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralRaw = rawPublic(ephemeral.publicKey);
  const key = wrapKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralRaw, rawPublic(recipient));
  // The key is used once; a random nonce costs nothing and guards against a broken random source.
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(owner));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([FORMAT_VERSION]), ephemeralRaw, nonce, body, cipher.getAuthTag()]);
}

/** The private key (PEM) in `wrapped`, or a CertfleetError: wrong host key, tampered bytes, or another row's key. */
export function unwrapForHost(own: KeyObject, wrapped: Buffer, owner: WrapOwner): string {
  const what = `the private key of ${owner.certificate} (version ${owner.version}) wrapped for host ${owner.host}`;
  const refused = (why: string) =>
    new CertfleetError('host-key-unwrap', `${what} cannot be unwrapped with this agent's key: ${why}`, {
      exitCode: ExitCode.findings,
      hint: "the host's registered key is not this agent's, or the row was changed or copied from another row; register this agent's key again (certfleet store grant-agent --host H --public-key FILE) and run certfleet renew to wrap it anew",
    });
  if (wrapped.length < HEADER_BYTES + TAG_BYTES || wrapped[0] !== FORMAT_VERSION) throw refused('not a wrapped key of a format this certfleet knows');
  const ephemeralRaw = wrapped.subarray(1, 1 + RAW_KEY_BYTES);
  const nonce = wrapped.subarray(1 + RAW_KEY_BYTES, HEADER_BYTES);
  try {
    const key = wrapKey(diffieHellman({ privateKey: own, publicKey: fromRaw(ephemeralRaw) }), ephemeralRaw, rawPublic(own));
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(owner));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(HEADER_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    // OpenSSL's words ("unable to authenticate data", "failed during derivation") help no one.
    throw refused('wrong key, or tampered or moved');
  }
}
