/**
 * Read Java keystores: JKS (magic FEEDFEED) and JCEKS (CECECECE), versions 1 and 2. There is no
 * well-kept library for this, and the format is small:
 *
 *   magic u32, version u32, count u32, then per entry: tag u32, alias (Java modified UTF-8 with a
 *   u16 length), creation date u64, and
 *     tag 1 private key:  u32 length + EncryptedPrivateKeyInfo DER, u32 chain length, per certificate
 *                         [v2: type string] u32 length + DER (leaf first)
 *     tag 2 trusted cert: [v2: type string] u32 length + DER
 *     tag 3 secret key (JCEKS only): a Java-serialised SealedObject, skipped (java-serialization.ts)
 *   then SHA-1(password as UTF-16BE || "Mighty Aphrodite" || every preceding byte).
 *
 * Password policy: trusted certificates could be read without any password, but a keystore whose
 * integrity no candidate password verifies is refused with KeystorePasswordError, so the user
 * fixes the configured password instead of getting an unverified (possibly tampered) listing.
 *
 * Private keys are decrypted only to learn their public key: JKS's Sun KeyProtector (a SHA-1 XOR
 * stream) and JCEKS's PBEWithMD5AndTripleDES (jks-key-protection.ts). When no candidate opens a key
 * (its key password differs from the store password), the facts come from the entry's leaf
 * certificate instead.
 */
import { createHash } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import { JavaDataReader, utf16be } from './java-data-stream.js';
import { skipJavaObject } from './java-serialization.js';
import { protectedKeyFacts } from './jks-key-protection.js';
import {
  KeystoreFormatError,
  KeystorePasswordError,
  type KeystoreContents,
  type KeystoreEntry,
  type KeystoreFormat,
  type KeystorePrivateKey,
} from './keystore-types.js';

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const INTEGRITY_WHITENER = Buffer.from('Mighty Aphrodite', 'utf8');

export function looksLikeJks(data: Uint8Array): boolean {
  if (data.length < 4) return false;
  const magic = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
  return magic === JKS_MAGIC || magic === JCEKS_MAGIC;
}

/**
 * Read a JKS or JCEKS keystore. The store password is the first of `passwords` (then "") that
 * verifies the integrity digest; throws KeystorePasswordError when none does, KeystoreFormatError
 * when the data is not a keystore or is truncated.
 */
export function readJks(data: Uint8Array, passwords: readonly string[]): KeystoreContents {
  try {
    return readKeystore(data, passwords);
  } catch (err) {
    if (err instanceof KeystorePasswordError || err instanceof KeystoreFormatError) throw err;
    // A path the checks missed (or a stack overflow): still one short line.
    throw new KeystoreFormatError(`corrupt keystore: ${err instanceof Error ? err.message.split('\n')[0] : 'unreadable'}`);
  }
}

function readKeystore(data: Uint8Array, passwords: readonly string[]): KeystoreContents {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const parsed = parseKeystore(bytes);
  const candidates = [...new Set([...passwords, ''])];
  const body = bytes.subarray(0, parsed.digestOffset);
  const expected = bytes.subarray(parsed.digestOffset, parsed.digestOffset + 20);
  const storePassword = candidates.find((p) => integrityDigest(p, body).equals(expected));
  if (storePassword === undefined) throw new KeystorePasswordError(`wrong keystore password (tried ${candidates.length})`);

  // Keys usually share the store password; other candidates cover a separate key password.
  const keyPasswords = [storePassword, ...candidates.filter((p) => p !== storePassword)];
  const notes = [...parsed.notes];
  const entries = parsed.entries.map((raw): KeystoreEntry => {
    const entry: KeystoreEntry = { alias: raw.alias, certificates: raw.certificates };
    if (!raw.protectedKey) return entry;
    const fromKey = protectedKeyFacts(raw.protectedKey, keyPasswords);
    const facts = fromKey.facts ?? leafFacts(raw.certificates[0]);
    if (facts) {
      entry.privateKey = facts;
      entry.privateKeyFrom = fromKey.facts ? 'private-key' : 'leaf-certificate';
    }
    if (fromKey.problem) notes.push(`entry "${raw.alias}": ${fromKey.problem}${facts ? '; key facts taken from its certificate' : ''}`);
    return entry;
  });
  if (bytes.length > parsed.digestOffset + 20) notes.push(`${bytes.length - parsed.digestOffset - 20} bytes after the integrity digest ignored`);
  return notes.length ? { format: parsed.format, entries, notes } : { format: parsed.format, entries };
}

function integrityDigest(password: string, body: Buffer): Buffer {
  return createHash('sha1').update(utf16be(password)).update(INTEGRITY_WHITENER).update(body).digest();
}

// ---------------------------------------------------------------------------------------------
// Structure

interface RawEntry {
  alias: string;
  certificates: Uint8Array[];
  /** EncryptedPrivateKeyInfo DER of a private-key entry. */
  protectedKey?: Buffer;
}

interface ParsedKeystore {
  format: KeystoreFormat;
  entries: RawEntry[];
  notes: string[];
  digestOffset: number;
}

function parseKeystore(bytes: Buffer): ParsedKeystore {
  if (!looksLikeJks(bytes)) throw new KeystoreFormatError('not a Java keystore: no JKS/JCEKS magic number');
  const format: KeystoreFormat = bytes.readUInt32BE(0) === JKS_MAGIC ? 'jks' : 'jceks';
  const name = format.toUpperCase();
  const reader = new JavaDataReader(bytes, 4, name);
  const version = reader.u32();
  if (version !== 1 && version !== 2) throw new KeystoreFormatError(`unsupported ${name} version ${version}`);
  const count = reader.u32();
  // The smallest entry (tag, empty alias, date, empty certificate) takes 18 bytes.
  if (count > reader.remaining() / 18) throw new KeystoreFormatError(`corrupt ${name}: ${count} entries cannot fit in ${bytes.length} bytes`);
  const entries: RawEntry[] = [];
  const notes: string[] = [];
  const readCertificate = (alias: string, into: Uint8Array[]): void => {
    const type = version === 2 ? reader.utf() : 'X.509';
    const der = reader.block();
    if (type === 'X.509') into.push(new Uint8Array(der));
    else notes.push(`entry "${alias}": skipped a certificate of type ${type}`);
  };
  for (let i = 0; i < count; i++) {
    const tag = reader.u32();
    const alias = reader.utf();
    reader.skip(8); // creation date
    if (tag === 1) {
      const protectedKey = Buffer.from(reader.block());
      const chainLength = reader.u32();
      if (chainLength > reader.remaining() / 4) throw new KeystoreFormatError(`corrupt ${name}: entry "${alias}" claims ${chainLength} certificates`);
      const certificates: Uint8Array[] = [];
      for (let j = 0; j < chainLength; j++) readCertificate(alias, certificates);
      entries.push({ alias, certificates, protectedKey });
    } else if (tag === 2) {
      const certificates: Uint8Array[] = [];
      readCertificate(alias, certificates);
      entries.push({ alias, certificates });
    } else if (tag === 3 && format === 'jceks') {
      skipJavaObject(reader);
      notes.push(`skipped secret-key entry "${alias}"`);
    } else {
      throw new KeystoreFormatError(`corrupt ${name}: unknown entry tag ${tag} at entry ${i + 1}`);
    }
  }
  if (reader.remaining() < 20) throw new KeystoreFormatError(`truncated ${name}: the integrity digest is missing`);
  return { format, entries, notes, digestOffset: reader.offset };
}

function leafFacts(leaf: Uint8Array | undefined): KeystorePrivateKey | undefined {
  if (!leaf) return undefined;
  try {
    const { info } = parseCertificate(leaf);
    return { publicKeyFingerprintSha256: info.publicKeyFingerprintSha256, keyType: info.keyType, keyBits: info.keyBits };
  } catch {
    return undefined;
  }
}
