/**
 * Private keys: what kind they are and which public key they belong to, never their bytes.
 * Matching to certificates goes through the SHA-256 of the SubjectPublicKeyInfo DER, the same
 * fingerprint certificate.ts computes for a certificate's key.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { KeyType } from './certificate.js';
import { children, expectTlv } from './der.js';
import { readEcParameters } from './certificate.js';
import { curveBitsByName } from './ec-curves.js';

export type PrivateKeyFormat = 'pkcs1' | 'pkcs8' | 'sec1' | 'der';

export interface PrivateKeyInfo {
  format: PrivateKeyFormat;
  encrypted: boolean;
  /** Absent when the key is encrypted and no password opened it. */
  publicKeyFingerprintSha256?: string;
  keyType: KeyType;
  keyBits: number;
}

const pemFormats: Record<string, PrivateKeyFormat> = {
  'PRIVATE KEY': 'pkcs8',
  'ENCRYPTED PRIVATE KEY': 'pkcs8',
  'RSA PRIVATE KEY': 'pkcs1',
  'EC PRIVATE KEY': 'sec1',
  'DSA PRIVATE KEY': 'pkcs1',
};

/** Describe a PEM private key block. Encrypted keys are opened with the passwords given, if any. */
export function describePemPrivateKey(type: string, headers: string, pemText: string, passwords: readonly string[]): PrivateKeyInfo {
  const format = pemFormats[type] ?? 'pkcs8';
  const encrypted = type === 'ENCRYPTED PRIVATE KEY' || headers.includes('ENCRYPTED');
  if (!encrypted) return { format, encrypted, ...describeKeyObject(createPrivateKey(pemText)) };
  for (const passphrase of passwords) {
    try {
      return { format, encrypted, ...describeKeyObject(createPrivateKey({ key: pemText, passphrase })) };
    } catch {
      // wrong password: try the next one
    }
  }
  return { format, encrypted, keyType: 'unknown', keyBits: 0 };
}

/** Try DER bytes as an unencrypted PKCS#8, PKCS#1 or SEC1 private key; undefined if none fits. */
export function describeDerPrivateKey(der: Buffer): PrivateKeyInfo | undefined {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return { format: 'der', encrypted: false, ...describeKeyObject(createPrivateKey({ key: der, format: 'der', type })) };
    } catch {
      // not this encoding
    }
  }
  return undefined;
}

export function describeKeyObject(key: KeyObject): { publicKeyFingerprintSha256: string; keyType: KeyType; keyBits: number } {
  const publicKey = createPublicKey(key);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const details = publicKey.asymmetricKeyDetails ?? {};
  const kind = publicKey.asymmetricKeyType;
  let keyType: KeyType = 'unknown';
  let keyBits = 0;
  if (kind === 'rsa' || kind === 'rsa-pss') {
    keyType = 'RSA';
    keyBits = details.modulusLength ?? 0;
  } else if (kind === 'ec') {
    keyType = 'EC';
    keyBits = (details.namedCurve && curveBitsByName(details.namedCurve)) || ecKeyBitsFromSpki(spki);
  } else if (kind === 'ed25519') {
    keyType = 'Ed25519';
    keyBits = 256;
  } else if (kind === 'ed448') {
    keyType = 'Ed448';
    keyBits = 456;
  } else if (kind === 'dsa') {
    keyType = 'DSA';
    keyBits = details.modulusLength ?? 0;
  }
  return { publicKeyFingerprintSha256: createHash('sha256').update(spki).digest('hex'), keyType, keyBits };
}

/** Size of an EC key node cannot name the curve of (explicit parameters), read from its SPKI. */
function ecKeyBitsFromSpki(spki: Buffer): number {
  try {
    const der = new Uint8Array(spki.buffer, spki.byteOffset, spki.length);
    const outer = expectTlv(der, 0, der.length, 0x30, 'subjectPublicKeyInfo');
    const alg = children(der, outer, 'subjectPublicKeyInfo')[0]!;
    return readEcParameters(der, children(der, alg, 'subjectPublicKeyInfo')[1]).keyBits;
  } catch {
    return 0;
  }
}
