/**
 * What reading a keystore (PKCS#12, JKS, JCEKS) yields: certificates as DER and, for each private
 * key, only the facts needed to match it to a certificate. Key bytes never leave the readers.
 */
import type { KeyType } from './certificate.js';

export type KeystoreFormat = 'pkcs12' | 'jks' | 'jceks';

export interface KeystorePrivateKey {
  /** SHA-256 of the key's SubjectPublicKeyInfo DER, lower-case hex (compare with a certificate's publicKeyFingerprintSha256). */
  publicKeyFingerprintSha256: string;
  keyType: KeyType;
  keyBits: number;
}

export interface KeystoreEntry {
  /** friendlyName (PKCS#12) or alias (JKS/JCEKS). */
  alias?: string;
  /** Certificates of this entry as DER, leaf first (a private-key entry's chain, or one trusted cert). */
  certificates: Uint8Array[];
  /** Present when the entry holds a private key. */
  privateKey?: KeystorePrivateKey;
  /**
   * Where privateKey's facts came from: the decrypted key itself, or, when no password decrypted
   * the key (say a JKS key password that differs from the store password), its chain's leaf certificate.
   */
  privateKeyFrom?: 'private-key' | 'leaf-certificate';
}

export interface KeystoreContents {
  format: KeystoreFormat;
  entries: KeystoreEntry[];
  /** Things a reader skipped or could not do, one short sentence each (never key material). */
  notes?: string[];
}

/** No candidate password opened the keystore: the user should fix the configured password. */
export class KeystorePasswordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeystorePasswordError';
  }
}

/** Not a keystore, truncated, corrupt or using something we cannot read; the message says which. */
export class KeystoreFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeystoreFormatError';
  }
}
