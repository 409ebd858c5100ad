/**
 * Read Java keystores: JKS (magic FEEDFEED) and JCEKS (CECECECE), versions 1 and 2. There is no
 * well-kept library for this, and the format is small:
 *
 *   magic u32, version u32, count u32, then per entry: tag u32, alias (Java modified UTF-8 with a
 *   u16 length), creation date u64, and
 *     tag 1 private key:  u32 length + EncryptedPrivateKeyInfo DER, u32 chain length, per certificate
 *                         [v2: type string] u32 length + DER (leaf first)
 *     tag 2 trusted cert: [v2: type string] u32 length + DER
 *     tag 3 secret key (JCEKS only): a Java-serialised SealedObject, skipped (see skipJavaObject)
 *   then SHA-1(password as UTF-16BE || "Mighty Aphrodite" || every preceding byte).
 *
 * Password policy: trusted certificates could be read without any password, but a keystore whose
 * integrity no candidate password verifies is refused with KeystorePasswordError, so the user
 * fixes the configured password instead of getting an unverified (possibly tampered) listing.
 *
 * Private keys are decrypted only to learn their public key: JKS's Sun KeyProtector (a SHA-1 XOR
 * stream) and JCEKS's PBEWithMD5AndTripleDES. When no candidate opens a key (its key password
 * differs from the store password), the facts come from the entry's leaf certificate instead.
 */
import { createDecipheriv, createHash, createPrivateKey } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import { children, decodeOid, readTlv, type Tlv } from './der.js';
import {
  KeystoreFormatError,
  KeystorePasswordError,
  type KeystoreContents,
  type KeystoreEntry,
  type KeystoreFormat,
  type KeystorePrivateKey,
} from './keystore-types.js';
import { describeKeyObject } from './private-key.js';

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const INTEGRITY_WHITENER = Buffer.from('Mighty Aphrodite', 'utf8');
const SUN_JKS_KEY_PROTECTOR = '1.3.6.1.4.1.42.2.17.1.1';
const SUN_JCE_PBE_MD5_3DES = '1.3.6.1.4.1.42.2.19.1';
/** Java 17 protects JCEKS keys with 200,000 iterations; a cap keeps crafted files cheap. */
const MAX_JCE_ITERATIONS = 2_000_000;
/** Nesting limit for the Java serialisation skipper (a SealedObject needs 3). */
const MAX_JAVA_OBJECT_DEPTH = 32;

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
    const fromKey = keyFacts(raw.protectedKey, keyPasswords);
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

/** Java chars as big-endian 16-bit units, no terminator: how JKS hashes a password. */
function utf16be(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
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
  const reader = new Reader(bytes, 4, name);
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

/** Bounds-checked big-endian reads: truncation becomes a KeystoreFormatError, never a RangeError. */
class Reader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    private readonly name: string,
  ) {}

  remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(n: number): Buffer {
    if (n < 0 || n > this.remaining()) throw new KeystoreFormatError(`truncated ${this.name} at byte ${this.offset}`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  /** u32 length, then that many bytes. */
  block(): Buffer {
    return this.take(this.u32());
  }

  /** DataOutputStream.writeUTF: u16 length, then modified UTF-8. */
  utf(): string {
    return decodeModifiedUtf8(this.take(this.u16()), this.name);
  }
}

/** Java's modified UTF-8: at most three bytes per UTF-16 unit (surrogates encoded separately), NUL as C0 80. */
function decodeModifiedUtf8(bytes: Buffer, name: string): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if ((b & 0xe0) === 0xc0 && i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80) {
      units.push(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if ((b & 0xf0) === 0xe0 && i + 2 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80) {
      units.push(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new KeystoreFormatError(`corrupt ${name}: malformed string`);
    }
  }
  let out = '';
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Java serialisation, just enough to step over a JCEKS secret-key entry. The entry has no length
// field: its end is found only by walking the object stream (grammar: Java Object Serialization
// Specification, chapter 6). Every length is checked against the buffer and nesting is capped.

const TC = {
  NULL: 0x70, REFERENCE: 0x71, CLASSDESC: 0x72, OBJECT: 0x73, STRING: 0x74, ARRAY: 0x75, CLASS: 0x76,
  BLOCKDATA: 0x77, ENDBLOCKDATA: 0x78, RESET: 0x79, BLOCKDATALONG: 0x7a, EXCEPTION: 0x7b, LONGSTRING: 0x7c,
  PROXYCLASSDESC: 0x7d, ENUM: 0x7e,
} as const;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const SC_BLOCK_DATA = 0x08;
const primitiveBytes: Record<string, number> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1 };

interface JavaClassDesc {
  name: string;
  flags: number;
  /** Field type codes in stream order ('L' and '[' are objects). */
  fieldTypes: string[];
  superDesc: JavaClassDesc | null;
}

/** Handles are numbered in the order objects appear; only class descriptors are ever looked up. */
type Handle = JavaClassDesc | 'other';

function skipJavaObject(reader: Reader): void {
  if (reader.u16() !== 0xaced || reader.u16() !== 5) throw new KeystoreFormatError('corrupt JCEKS: secret-key entry is not a Java object stream');
  const handles: Handle[] = [];
  const fail = (why: string): never => {
    throw new KeystoreFormatError(`corrupt JCEKS: secret-key entry: ${why}`);
  };

  const content = (depth: number): Handle | null => {
    if (depth > MAX_JAVA_OBJECT_DEPTH) fail('objects nested too deeply');
    const tc = reader.u8();
    switch (tc) {
      case TC.NULL:
        return null;
      case TC.REFERENCE: {
        const handle = handles[reader.u32() - 0x7e0000];
        if (handle === undefined) fail('reference to an unknown handle');
        return handle!;
      }
      case TC.CLASSDESC:
      case TC.PROXYCLASSDESC:
        return classDescBody(tc, depth);
      case TC.OBJECT: {
        const desc = classDesc(depth);
        handles.push('other');
        objectData(desc, depth);
        return 'other';
      }
      case TC.STRING:
        reader.skip(reader.u16());
        handles.push('other');
        return 'other';
      case TC.LONGSTRING: {
        const high = reader.u32();
        if (high !== 0) fail('string too long');
        reader.skip(reader.u32());
        handles.push('other');
        return 'other';
      }
      case TC.ARRAY: {
        const desc = classDesc(depth);
        handles.push('other');
        const length = reader.u32();
        const elementType = desc?.name[1] ?? fail('array without a class');
        const width = primitiveBytes[elementType];
        if (width !== undefined) reader.skip(length * width);
        else for (let i = 0; i < length; i++) content(depth + 1);
        return 'other';
      }
      case TC.CLASS:
        classDesc(depth);
        handles.push('other');
        return 'other';
      case TC.ENUM:
        classDesc(depth);
        handles.push('other');
        content(depth + 1); // the constant's name
        return 'other';
      case TC.BLOCKDATA:
        reader.skip(reader.u8());
        return 'other';
      case TC.BLOCKDATALONG:
        reader.skip(reader.u32());
        return 'other';
      case TC.RESET:
        handles.length = 0;
        return content(depth + 1);
      default:
        return fail(`unexpected type code 0x${tc.toString(16)}`);
    }
  };

  const classDesc = (depth: number): JavaClassDesc | null => {
    const desc = content(depth + 1);
    if (desc === 'other') return fail('expected a class descriptor');
    return desc;
  };

  const classDescBody = (tc: number, depth: number): JavaClassDesc => {
    const desc: JavaClassDesc = { name: '', flags: SC_SERIALIZABLE, fieldTypes: [], superDesc: null };
    if (tc === TC.CLASSDESC) {
      desc.name = decodeModifiedUtf8(reader.take(reader.u16()), 'JCEKS');
      reader.skip(8); // serialVersionUID
      handles.push(desc);
      desc.flags = reader.u8();
      const fields = reader.u16();
      for (let i = 0; i < fields; i++) {
        const type = String.fromCharCode(reader.u8());
        reader.skip(reader.u16()); // field name
        if (type === 'L' || type === '[') content(depth + 1); // the field's class name, a string
        else if (primitiveBytes[type] === undefined) fail(`unknown field type ${type}`);
        desc.fieldTypes.push(type);
      }
    } else {
      handles.push(desc);
      const interfaces = reader.u32();
      if (interfaces > reader.remaining() / 2) fail('too many proxy interfaces');
      for (let i = 0; i < interfaces; i++) reader.skip(reader.u16());
    }
    annotation(depth);
    desc.superDesc = classDesc(depth);
    return desc;
  };

  const annotation = (depth: number): void => {
    for (;;) {
      if (reader.remaining() < 1) fail('truncated');
      if (reader.take(1)[0] === TC.ENDBLOCKDATA) return;
      reader.offset -= 1;
      content(depth + 1);
    }
  };

  const objectData = (desc: JavaClassDesc | null, depth: number): void => {
    const hierarchy: JavaClassDesc[] = [];
    for (let d = desc; d; d = d.superDesc) {
      if (hierarchy.includes(d) || hierarchy.length > MAX_JAVA_OBJECT_DEPTH) fail('class hierarchy loops');
      hierarchy.unshift(d);
    }
    for (const d of hierarchy) {
      if (d.flags & SC_SERIALIZABLE) {
        for (const type of d.fieldTypes) {
          const width = primitiveBytes[type];
          if (width !== undefined) reader.skip(width);
          else content(depth + 1);
        }
        if (d.flags & SC_WRITE_METHOD) annotation(depth);
      } else if (d.flags & SC_EXTERNALIZABLE) {
        if (!(d.flags & SC_BLOCK_DATA)) fail('old-protocol externalizable data');
        annotation(depth);
      }
    }
  };

  content(0);
}

// ---------------------------------------------------------------------------------------------
// Private keys

function keyFacts(encryptedKeyInfo: Buffer, passwords: readonly string[]): { facts?: KeystorePrivateKey; problem?: string } {
  let algorithm: string;
  let params: Tlv | undefined;
  let encrypted: Buffer;
  try {
    const [algorithmId, data] = children(encryptedKeyInfo, readTlv(encryptedKeyInfo, 0));
    const [oidTlv, paramsTlv] = children(encryptedKeyInfo, algorithmId!);
    if (oidTlv?.tag !== 0x06 || data?.tag !== 0x04) throw new Error('not an EncryptedPrivateKeyInfo');
    algorithm = decodeOid(encryptedKeyInfo, oidTlv);
    params = paramsTlv;
    encrypted = encryptedKeyInfo.subarray(data.start, data.end);
  } catch {
    return { problem: 'unreadable protected private key' };
  }
  let decrypt: (password: string) => Buffer | undefined;
  if (algorithm === SUN_JKS_KEY_PROTECTOR) {
    decrypt = (password) => sunKeyProtectorDecrypt(encrypted, password);
  } else if (algorithm === SUN_JCE_PBE_MD5_3DES && params) {
    const pbe = readPbeParameters(encryptedKeyInfo, params);
    if (!pbe) return { problem: 'unreadable PBEWithMD5AndTripleDES parameters' };
    if (pbe.iterations > MAX_JCE_ITERATIONS) return { problem: `key protection iteration count ${pbe.iterations} is above the ${MAX_JCE_ITERATIONS} this reader accepts` };
    decrypt = (password) => pbeWithMd5AndTripleDesDecrypt(encrypted, password, pbe.salt, pbe.iterations);
  } else {
    return { problem: `unsupported key protection ${algorithm}` };
  }
  for (const password of passwords) {
    const pkcs8 = decrypt(password);
    if (!pkcs8) continue;
    try {
      return { facts: describeKeyObject(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })) };
    } catch {
      // decrypted to something that is not a key we can read: try the next password
    }
  }
  return { problem: `no password decrypts the private key (tried ${passwords.length})` };
}

/**
 * Sun's JKS KeyProtector: salt (20 bytes) || key XOR stream || SHA-1(password || key), where the
 * stream is SHA-1(password || previous block), starting from the salt. The password is UTF-16BE.
 */
function sunKeyProtectorDecrypt(encrypted: Buffer, password: string): Buffer | undefined {
  if (encrypted.length < 40) return undefined;
  const passwordBytes = utf16be(password);
  const salt = encrypted.subarray(0, 20);
  const cipher = encrypted.subarray(20, encrypted.length - 20);
  const check = encrypted.subarray(encrypted.length - 20);
  const plain = Buffer.alloc(cipher.length);
  let block: Buffer = salt;
  for (let i = 0; i < cipher.length; i += 20) {
    block = createHash('sha1').update(passwordBytes).update(block).digest();
    for (let j = 0; j < 20 && i + j < cipher.length; j++) plain[i + j] = cipher[i + j]! ^ block[j]!;
  }
  const digest = createHash('sha1').update(passwordBytes).update(plain).digest();
  return digest.equals(check) ? plain : undefined;
}

function readPbeParameters(der: Buffer, params: Tlv): { salt: Buffer; iterations: number } | undefined {
  try {
    const [salt, count] = children(der, params);
    if (params.tag !== 0x30 || salt?.tag !== 0x04 || count?.tag !== 0x02 || count.end - count.start > 4) return undefined;
    return { salt: der.subarray(salt.start, salt.end), iterations: der.readUIntBE(count.start, count.end - count.start) };
  } catch {
    return undefined;
  }
}

/**
 * SunJCE's PBEWithMD5AndTripleDES (JCEKS keys): each salt half (the first reversed if both are
 * equal) is hashed with the password `iterations` times with MD5; the two digests give the 3DES key
 * (24 bytes) and the CBC IV (8 bytes). Java only allows ASCII passwords here, one byte per char.
 */
function pbeWithMd5AndTripleDesDecrypt(encrypted: Buffer, password: string, salt: Buffer, iterations: number): Buffer | undefined {
  if (salt.length !== 8 || iterations < 1) return undefined;
  for (let i = 0; i < password.length; i++) if (password.charCodeAt(i) > 0x7f) return undefined;
  const passwordBytes = Buffer.from(password, 'latin1');
  const halves = [Buffer.from(salt.subarray(0, 4)), Buffer.from(salt.subarray(4, 8))];
  if (halves[0]!.equals(halves[1]!)) halves[0]!.reverse();
  const derived = halves.map((half) => {
    let digest: Buffer = half;
    for (let i = 0; i < iterations; i++) digest = createHash('md5').update(digest).update(passwordBytes).digest();
    return digest;
  });
  const keyAndIv = Buffer.concat(derived);
  try {
    const decipher = createDecipheriv('des-ede3-cbc', keyAndIv.subarray(0, 24), keyAndIv.subarray(24, 32));
    return Buffer.concat([decipher.update(encrypted), decipher.final()]);
  } catch {
    return undefined; // bad padding: not this password
  }
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
