/**
 * Read PKCS#12 (.p12/.pfx) files: OpenSSL 3's default (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256,
 * SHA-256 MAC), OpenSSL's `-legacy` (RC2-40 and 3DES, SHA-1 MAC), Java keytool's PKCS12 (with
 * trusted-certificate entries that have no key) and Windows exports (BER, indefinite lengths).
 *
 * This is the only module that imports node-forge, and it uses it for two things Node cannot do:
 * BER-tolerant ASN.1 parsing and RC2 (only in OpenSSL's legacy provider, which Node does not load).
 * The rest runs on node:crypto, because walking the structure ourselves gives us:
 *  - each certificate's exact DER bytes (forge re-encodes the certificates it parses, and parses
 *    only RSA ones), so fingerprints equal those of the same certificate read from PEM;
 *  - the right password encoding per scheme: the MAC and PKCS#12 PBE use BMPString (UTF-16BE),
 *    PBES2 uses UTF-8 (forge passes one string to both, which breaks non-ASCII passwords);
 *  - a clean "wrong password" signal from the MAC, checked with native hashing, before any decryption;
 *  - caps on iteration counts, so a crafted file cannot keep us busy for minutes.
 */
import forge from 'node-forge';
import { createDecipheriv, createHash, createHmac, createPrivateKey, pbkdf2Sync, timingSafeEqual, X509Certificate } from 'node:crypto';
import { parseCertificate } from './certificate.js';
import { KeystoreFormatError, KeystorePasswordError, type KeystoreContents, type KeystoreEntry, type KeystorePrivateKey } from './keystore-types.js';
import { describeKeyObject } from './private-key.js';

type Asn1 = forge.asn1.Asn1;

/** More than any tool writes (OpenSSL 2,048, Java 10,000, OWASP's PBKDF2 advice 600,000); a cap keeps crafted files cheap. */
export const MAX_PKCS12_ITERATIONS = 2_000_000;

const oids = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  envelopedData: '1.2.840.113549.1.7.3',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  /** Java's PKCS12KeyStore marks trusted-certificate entries with this attribute. */
  oracleTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14',
} as const;

/** Digest OIDs (MAC) and HMAC OIDs (PBKDF2 PRF) to node hash names. */
const digestNames: Record<string, string> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '2.16.840.1.101.3.4.2.5': 'sha512-224',
  '2.16.840.1.101.3.4.2.6': 'sha512-256',
};
const hmacNames: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
  '1.2.840.113549.2.12': 'sha512-224',
  '1.2.840.113549.2.13': 'sha512-256',
};
/** Hash input block size in bytes, which RFC 7292's key derivation needs. */
const hashBlockBytes: Record<string, number> = {
  md5: 64, sha1: 64, sha224: 64, sha256: 64, sha384: 128, sha512: 128, 'sha512-224': 128, 'sha512-256': 128,
};
const pbes2Ciphers: Record<string, { name: string; keyBytes: number; ivBytes: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyBytes: 16, ivBytes: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyBytes: 24, ivBytes: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyBytes: 32, ivBytes: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyBytes: 24, ivBytes: 8 },
};
/** RFC 7292 appendix C: the PKCS#12 PBE schemes (SHA-1 key derivation). RC4 ones are not supported. */
const pkcs12PbeCiphers: Record<string, { cipher: 'des-ede3-cbc' | 'rc2'; keyBytes: number }> = {
  '1.2.840.113549.1.12.1.3': { cipher: 'des-ede3-cbc', keyBytes: 24 },
  '1.2.840.113549.1.12.1.4': { cipher: 'des-ede3-cbc', keyBytes: 16 },
  '1.2.840.113549.1.12.1.5': { cipher: 'rc2', keyBytes: 16 },
  '1.2.840.113549.1.12.1.6': { cipher: 'rc2', keyBytes: 5 },
};

/** Cheap sniff: SEQUENCE { INTEGER 3, SEQUENCE ... } with any DER or BER (indefinite) outer length. */
export function looksLikePkcs12(data: Uint8Array): boolean {
  if (data.length < 8 || data[0] !== 0x30) return false;
  const first = data[1]!;
  let pos = 2;
  if (first > 0x80) {
    const n = first & 0x7f;
    if (n > 4) return false;
    pos += n;
  }
  return data[pos] === 0x02 && data[pos + 1] === 0x01 && data[pos + 2] === 0x03 && data[pos + 3] === 0x30;
}

/**
 * Read a PKCS#12 file with the first password that opens it. `passwords` are tried in order, then
 * the empty password. Throws KeystorePasswordError when none opens it, KeystoreFormatError when the
 * data is not a PKCS#12 file we can read.
 */
export function readPkcs12(data: Uint8Array, passwords: readonly string[]): KeystoreContents {
  try {
    return readPfx(data, passwords);
  } catch (err) {
    if (err instanceof KeystorePasswordError || err instanceof KeystoreFormatError) throw err;
    // A path the checks above missed: still one short line, never a library's stack.
    throw new KeystoreFormatError(`corrupt PKCS#12: ${err instanceof Error ? err.message.split('\n')[0] : 'unreadable'}`);
  }
}

function readPfx(data: Uint8Array, passwords: readonly string[]): KeystoreContents {
  const candidates = [...new Set([...passwords, ''])];
  const pfx = parsePfx(data);
  const keyring = new Keyring(candidates);
  if (pfx.mac) {
    const mac = pfx.mac;
    const opener = candidates.flatMap(passwordVariants).find((p) => macMatches(mac, pfx.authSafeBytes, p));
    if (!opener) throw new KeystorePasswordError(`wrong PKCS#12 password (tried ${candidates.length})`);
    keyring.prefer(opener);
  }
  const bags = readAuthenticatedSafe(pfx.authSafeBytes, keyring);
  // Without a MAC, decryption is the only password test: if nothing encrypted opened, the password
  // is wrong, even though unencrypted certificates (openssl -nomac) could still be listed.
  if (!pfx.mac && keyring.sawEncrypted && !keyring.opened) {
    throw new KeystorePasswordError(`wrong PKCS#12 password (tried ${candidates.length})`);
  }
  return { format: 'pkcs12', ...groupEntries(bags) };
}

// ---------------------------------------------------------------------------------------------
// Passwords

/**
 * One candidate password in the encodings the schemes use. OpenSSL writes an empty password as
 * the two-byte BMP terminator, but some tools (and OpenSSL itself for a NULL password) use no bytes
 * at all, so "" has two variants.
 */
interface Password {
  text: string;
  /** BMPString with its 00 00 terminator (RFC 7292 B.1), or no bytes for the "absent" variant. */
  bmp: Buffer;
  utf8: Buffer;
}

function passwordVariants(text: string): Password[] {
  const utf8 = Buffer.from(text, 'utf8');
  const withTerminator: Password = { text, bmp: bmpBytes(text), utf8 };
  return text === '' ? [withTerminator, { text, bmp: Buffer.alloc(0), utf8 }] : [withTerminator];
}

function bmpBytes(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2 + 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}

/**
 * The candidates in the order to try them: whatever opened something last goes first, so a file
 * with one password costs one attempt per encrypted part, and `-twopass` files (MAC and
 * encryption passwords differ) still open when both passwords are configured.
 */
class Keyring {
  private order: Password[];
  readonly triedCount: number;
  /** Whether any encrypted part was met, and whether any password decrypted one. */
  sawEncrypted = false;
  opened = false;

  constructor(texts: readonly string[]) {
    this.order = texts.flatMap(passwordVariants);
    this.triedCount = texts.length;
  }

  prefer(password: Password): void {
    this.order = [password, ...this.order.filter((p) => p !== password && !(p.text === password.text && p.bmp.equals(password.bmp)))];
  }

  /** Run `attempt` with each password until one returns a value; undefined when none does. */
  tryEach<T>(attempt: (password: Password) => T | undefined): T | undefined {
    this.sawEncrypted = true;
    for (const password of this.order) {
      const result = attempt(password);
      if (result !== undefined) {
        this.opened = true;
        this.prefer(password);
        return result;
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// PFX and MAC

interface MacData {
  hash: string;
  digest: Buffer;
  salt: Buffer;
  iterations: number;
}

interface Pfx {
  authSafeBytes: Buffer;
  mac: MacData | undefined;
}

function parsePfx(data: Uint8Array): Pfx {
  const root = parseAsn1(data, 'PKCS#12 file');
  const [version, authSafe, macData] = sequence(root, 'PFX');
  if (integer(version, 'PFX version') !== 3) throw new KeystoreFormatError('not a PKCS#12 file: PFX version is not 3');
  const [contentType, content] = sequence(authSafe, 'PFX authSafe');
  const type = oid(contentType, 'authSafe content type');
  if (type !== oids.data) {
    throw new KeystoreFormatError(`unsupported PKCS#12: public-key integrity mode (authSafe ${type}) is not supported`);
  }
  const authSafeBytes = octets(explicitZero(content, 'authSafe content'), 'authSafe content');
  return { authSafeBytes, mac: macData ? parseMacData(macData) : undefined };
}

function parseMacData(node: Asn1): MacData {
  const [digestInfo, salt, iterations] = sequence(node, 'MacData');
  const [algorithm, digest] = sequence(digestInfo, 'MAC DigestInfo');
  const [algorithmOid] = sequence(algorithm, 'MAC algorithm');
  const macOid = oid(algorithmOid, 'MAC algorithm');
  if (macOid === oids.pbmac1) throw new KeystoreFormatError('unsupported PKCS#12: PBMAC1 integrity (OpenSSL 3.4 -pbmac1_pbkdf2) is not supported');
  const hash = digestNames[macOid];
  if (!hash) throw new KeystoreFormatError(`unsupported PKCS#12: MAC digest ${macOid}`);
  return {
    hash,
    digest: octets(digest, 'MAC digest'),
    salt: octets(salt, 'MAC salt'),
    iterations: iterations ? iterationCount(iterations, 'MAC') : 1,
  };
}

function macMatches(mac: MacData, authSafe: Buffer, password: Password): boolean {
  const macKey = pkcs12Kdf(mac.hash, password.bmp, mac.salt, 3, mac.iterations, createHash(mac.hash).digest().length);
  const actual = createHmac(mac.hash, macKey).update(authSafe).digest();
  return actual.length === mac.digest.length && timingSafeEqual(actual, mac.digest);
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (id 1 key, 2 IV, 3 MAC key). */
function pkcs12Kdf(hash: string, bmpPassword: Buffer, salt: Buffer, id: number, iterations: number, size: number): Buffer {
  const v = hashBlockBytes[hash]!;
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([repeatTo(salt, v * Math.ceil(salt.length / v)), repeatTo(bmpPassword, v * Math.ceil(bmpPassword.length / v))]);
  const out = Buffer.alloc(size);
  let filled = 0;
  for (;;) {
    let a = createHash(hash).update(diversifier).update(input).digest();
    for (let i = 1; i < iterations; i++) a = createHash(hash).update(a).digest();
    filled += a.copy(out, filled, 0, Math.min(a.length, size - filled));
    if (filled >= size) return out;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block of I
    const b = repeatTo(a, v);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k]! + b[k]! + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
}

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (source.length === 0) return out;
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

// ---------------------------------------------------------------------------------------------
// AuthenticatedSafe, SafeContents and bags

interface KeyBag {
  localKeyId?: string;
  friendlyName?: string;
  /** Absent when no password decrypted the key or node cannot read its type; `problem` says which. */
  facts?: KeystorePrivateKey;
  problem?: string;
}

interface CertBag {
  localKeyId?: string;
  friendlyName?: string;
  trusted: boolean;
  der: Buffer;
}

interface Bags {
  keys: KeyBag[];
  certs: CertBag[];
  notes: string[];
}

function readAuthenticatedSafe(authSafeBytes: Buffer, keyring: Keyring): Bags {
  const bags: Bags = { keys: [], certs: [], notes: [] };
  const contentInfos = sequence(parseAsn1(authSafeBytes, 'AuthenticatedSafe'), 'AuthenticatedSafe');
  for (const contentInfo of contentInfos) {
    const [contentType, content] = sequence(contentInfo, 'AuthenticatedSafe ContentInfo');
    const type = oid(contentType, 'ContentInfo type');
    if (type === oids.data) {
      readSafeContents(parseAsn1(octets(explicitZero(content, 'SafeContents data'), 'SafeContents data'), 'SafeContents'), keyring, bags);
    } else if (type === oids.encryptedData) {
      const safeContents = decryptEncryptedData(explicitZero(content, 'EncryptedData'), keyring);
      readSafeContents(safeContents, keyring, bags);
    } else if (type === oids.envelopedData) {
      throw new KeystoreFormatError('unsupported PKCS#12: public-key privacy mode (envelopedData) is not supported');
    } else {
      throw new KeystoreFormatError(`unsupported PKCS#12: ContentInfo type ${type}`);
    }
  }
  return bags;
}

/** EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT OCTET STRING } } */
function decryptEncryptedData(node: Asn1, keyring: Keyring): Asn1 {
  const [, encryptedContentInfo] = sequence(node, 'EncryptedData');
  const [, algorithm, encrypted] = sequence(encryptedContentInfo, 'EncryptedContentInfo');
  if (!algorithm) throw new KeystoreFormatError('corrupt PKCS#12: EncryptedContentInfo has no algorithm');
  const scheme = readEncryptionScheme(algorithm);
  const ciphertext = encrypted ? implicitOctets(encrypted, 'encrypted content') : Buffer.alloc(0);
  const safeContents = keyring.tryEach((password) => {
    const plain = scheme.decrypt(ciphertext, password);
    // A wrong password can leave valid-looking padding (about 1 in 256); parsing catches it.
    return plain ? tryParseAsn1(plain) : undefined;
  });
  if (!safeContents) throw new KeystorePasswordError(`wrong PKCS#12 password: no password decrypts its contents (tried ${keyring.triedCount})`);
  return safeContents;
}

function readSafeContents(node: Asn1, keyring: Keyring, bags: Bags): void {
  for (const safeBag of sequence(node, 'SafeContents')) {
    const [bagId, bagValue, attributes] = sequence(safeBag, 'SafeBag');
    const type = oid(bagId, 'SafeBag type');
    const value = explicitZero(bagValue, 'SafeBag value');
    const attrs = readAttributes(attributes);
    switch (type) {
      case oids.keyBag:
        bags.keys.push({ ...attrs, ...keyFactsOf(toDer(value)) });
        break;
      case oids.shroudedKeyBag:
        bags.keys.push({ ...attrs, ...decryptShroudedKey(value, keyring) });
        break;
      case oids.certBag: {
        const [certId, certValue] = sequence(value, 'CertBag');
        const certType = oid(certId, 'CertBag type');
        if (certType !== oids.x509Certificate) {
          bags.notes.push(`skipped a certificate bag of type ${certType} (only X.509 is read)`);
          break;
        }
        bags.certs.push({ ...attrs, der: octets(explicitZero(certValue, 'CertBag value'), 'CertBag value') });
        break;
      }
      case oids.safeContentsBag:
        readSafeContents(value, keyring, bags);
        break;
      case oids.crlBag:
        bags.notes.push('skipped a CRL bag');
        break;
      case oids.secretBag:
        bags.notes.push('skipped a secret bag');
        break;
      default:
        bags.notes.push(`skipped a bag of unknown type ${type}`);
    }
  }
}

function readAttributes(node: Asn1 | undefined): { localKeyId?: string; friendlyName?: string; trusted: boolean } {
  const out: { localKeyId?: string; friendlyName?: string; trusted: boolean } = { trusted: false };
  if (!node) return out;
  for (const attribute of setOf(node, 'bag attributes')) {
    const [typeNode, values] = sequence(attribute, 'bag attribute');
    const type = oid(typeNode, 'bag attribute type');
    const first = values ? setOf(values, 'bag attribute values')[0] : undefined;
    if (type === oids.oracleTrustedKeyUsage) out.trusted = true;
    if (!first || typeof first.value !== 'string') continue;
    if (type === oids.localKeyId) out.localKeyId = Buffer.from(first.value, 'latin1').toString('hex');
    else if (type === oids.friendlyName) out.friendlyName = decodeName(first);
  }
  return out;
}

/** friendlyName is a BMPString, which forge already decodes; tolerate a UTF8String too. */
function decodeName(node: Asn1): string {
  const text = node.value as string;
  return node.type === forge.asn1.Type.UTF8 ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

function decryptShroudedKey(node: Asn1, keyring: Keyring): Pick<KeyBag, 'facts' | 'problem'> {
  const [algorithm, encrypted] = sequence(node, 'EncryptedPrivateKeyInfo');
  if (!algorithm || !encrypted) throw new KeystoreFormatError('corrupt PKCS#12: incomplete EncryptedPrivateKeyInfo');
  const scheme = readEncryptionScheme(algorithm);
  const ciphertext = octets(encrypted, 'encrypted private key');
  const facts = keyring.tryEach((password) => {
    const plain = scheme.decrypt(ciphertext, password);
    return plain ? keyFactsOf(plain).facts : undefined;
  });
  return facts ? { facts } : { problem: `no password decrypts the private key (tried ${keyring.triedCount})` };
}

/** Facts of a PKCS#8 PrivateKeyInfo; the bytes themselves go no further than node:crypto. */
function keyFactsOf(pkcs8: Buffer): Pick<KeyBag, 'facts' | 'problem'> {
  try {
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    return { facts: describeKeyObject(key) };
  } catch {
    return { problem: 'unreadable private key (unsupported key type or corrupt)' };
  }
}

// ---------------------------------------------------------------------------------------------
// Encryption schemes

interface EncryptionScheme {
  /** The plaintext, or undefined when this password does not decrypt it (bad padding). */
  decrypt(ciphertext: Buffer, password: Password): Buffer | undefined;
}

function readEncryptionScheme(algorithm: Asn1): EncryptionScheme {
  const [algorithmOid, params] = sequence(algorithm, 'encryption algorithm');
  const schemeOid = oid(algorithmOid, 'encryption algorithm');
  if (schemeOid === oids.pbes2) return readPbes2(params);
  const pbe = pkcs12PbeCiphers[schemeOid];
  if (pbe) {
    const [salt, iterations] = sequence(params, 'PKCS#12 PBE parameters');
    return pkcs12PbeScheme(pbe, octets(salt, 'PBE salt'), iterationCount(iterations, 'PBE'));
  }
  throw new KeystoreFormatError(`unsupported PKCS#12 encryption algorithm ${schemeOid}`);
}

function readPbes2(params: Asn1 | undefined): EncryptionScheme {
  const [kdf, encryption] = sequence(params, 'PBES2 parameters');
  const [kdfOid, kdfParams] = sequence(kdf, 'PBES2 key derivation');
  const kdfName = oid(kdfOid, 'PBES2 key derivation');
  if (kdfName !== oids.pbkdf2) throw new KeystoreFormatError(`unsupported PKCS#12 key derivation ${kdfName}`);
  const pbkdf2Fields = sequence(kdfParams, 'PBKDF2 parameters');
  const salt = octets(pbkdf2Fields[0], 'PBKDF2 salt');
  const iterations = iterationCount(pbkdf2Fields[1], 'PBKDF2');
  // keyLength (INTEGER) and prf (SEQUENCE) are both optional and told apart by their tags.
  const prfNode = pbkdf2Fields.slice(2).find((f) => f.type === forge.asn1.Type.SEQUENCE);
  const prfOid = prfNode ? oid(sequence(prfNode, 'PBKDF2 PRF')[0], 'PBKDF2 PRF') : '1.2.840.113549.2.7';
  const prf = hmacNames[prfOid];
  if (!prf) throw new KeystoreFormatError(`unsupported PKCS#12 PBKDF2 PRF ${prfOid}`);
  const [cipherOid, ivNode] = sequence(encryption, 'PBES2 encryption scheme');
  const cipherName = oid(cipherOid, 'PBES2 cipher');
  const cipher = pbes2Ciphers[cipherName];
  if (!cipher) throw new KeystoreFormatError(`unsupported PKCS#12 cipher ${cipherName}`);
  const iv = octets(ivNode, 'PBES2 IV');
  if (iv.length !== cipher.ivBytes) throw new KeystoreFormatError(`corrupt PKCS#12: ${cipher.name} IV of ${iv.length} bytes`);
  return {
    decrypt: (ciphertext, password) =>
      nodeDecrypt(cipher.name, pbkdf2Sync(password.utf8, salt, iterations, cipher.keyBytes, prf), iv, ciphertext),
  };
}

function pkcs12PbeScheme(pbe: { cipher: 'des-ede3-cbc' | 'rc2'; keyBytes: number }, salt: Buffer, iterations: number): EncryptionScheme {
  return {
    decrypt: (ciphertext, password) => {
      const key = pkcs12Kdf('sha1', password.bmp, salt, 1, iterations, pbe.keyBytes);
      const iv = pkcs12Kdf('sha1', password.bmp, salt, 2, iterations, 8);
      if (pbe.cipher === 'rc2') return rc2Decrypt(key, iv, ciphertext);
      // Two-key triple DES is K1 K2 K1.
      const desKey = key.length === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : key;
      return nodeDecrypt('des-ede3-cbc', desKey, iv, ciphertext);
    },
  };
}

function nodeDecrypt(name: string, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv(name, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined; // bad padding or a partial block: not this password
  }
}

/** RC2-CBC through forge; forge's own padding check is lax, so PKCS#7 padding is checked here. */
function rc2Decrypt(key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer | undefined {
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) return undefined;
  const cipher = forge.rc2.createDecryptionCipher(key.toString('latin1'), key.length * 8);
  cipher.start(iv.toString('latin1'));
  cipher.update(forge.util.createBuffer(ciphertext.toString('latin1')));
  if (!cipher.finish(() => true)) return undefined;
  return stripPkcs7(Buffer.from(cipher.output.getBytes(), 'latin1'), 8);
}

function stripPkcs7(plain: Buffer, blockBytes: number): Buffer | undefined {
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > blockBytes || pad > plain.length) return undefined;
  for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) return undefined;
  return plain.subarray(0, plain.length - pad);
}

// ---------------------------------------------------------------------------------------------
// Entries: keys with their chains, then certificates that stand alone

interface ParsedCert {
  bag: CertBag;
  x509: X509Certificate | undefined;
  spkiSha256: string | undefined;
}

function groupEntries(bags: Bags): { entries: KeystoreEntry[]; notes?: string[] } {
  const certs: ParsedCert[] = bags.certs.map((bag) => {
    try {
      const x509 = new X509Certificate(bag.der);
      const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
      return { bag, x509, spkiSha256: createHash('sha256').update(spki).digest('hex') };
    } catch {
      return { bag, x509: undefined, spkiSha256: undefined }; // still listed; the caller reports it as corrupt
    }
  });
  const notes = [...bags.notes];
  const inAChain = new Set<ParsedCert>();
  const entries: KeystoreEntry[] = [];
  for (const key of bags.keys) {
    const leaf =
      (key.localKeyId !== undefined ? certs.find((c) => c.bag.localKeyId === key.localKeyId) : undefined) ??
      (key.facts ? certs.find((c) => c.spkiSha256 === key.facts!.publicKeyFingerprintSha256) : undefined);
    const chain = leaf ? chainFrom(leaf, certs) : [];
    for (const c of chain) inAChain.add(c);
    const alias = key.friendlyName ?? leaf?.bag.friendlyName;
    const privateKey = key.facts ?? (leaf ? factsFromCertificate(leaf.bag.der) : undefined);
    if (key.problem) notes.push(`${alias !== undefined ? `entry "${alias}"` : 'a key bag'}: ${key.problem}${privateKey ? '; key facts taken from its certificate' : ''}`);
    if (!privateKey && chain.length === 0) continue; // nothing to list: the note says why
    const entry: KeystoreEntry = { certificates: chain.map((c) => new Uint8Array(c.bag.der)) };
    if (alias !== undefined) entry.alias = alias;
    if (privateKey) {
      entry.privateKey = privateKey;
      entry.privateKeyFrom = key.facts ? 'private-key' : 'leaf-certificate';
    }
    entries.push(entry);
  }
  // A certificate is an entry of its own unless it served in a key's chain. Java names chain
  // certificates after their subject, so a name proves nothing; only its trusted-entry mark does.
  for (const cert of certs) {
    if (inAChain.has(cert) && !cert.bag.trusted) continue;
    const entry: KeystoreEntry = { certificates: [new Uint8Array(cert.bag.der)] };
    if (cert.bag.friendlyName !== undefined) entry.alias = cert.bag.friendlyName;
    entries.push(entry);
  }
  return notes.length ? { entries, notes } : { entries };
}

/**
 * Leaf first, then each issuer found among the file's certificates, until a root or a gap.
 * Java's trusted-certificate entries are entries of their own, not part of any key's chain.
 */
function chainFrom(leaf: ParsedCert, certs: readonly ParsedCert[]): ParsedCert[] {
  const chain = [leaf];
  let current = leaf;
  while (current.x509 && !current.x509.checkIssued(current.x509)) {
    const subject = current.x509;
    const issuer = certs.find((c) => c.x509 && !c.bag.trusted && !chain.includes(c) && subject.checkIssued(c.x509));
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

function factsFromCertificate(der: Buffer): KeystorePrivateKey | undefined {
  try {
    const { info } = parseCertificate(der);
    return { publicKeyFingerprintSha256: info.publicKeyFingerprintSha256, keyType: info.keyType, keyBits: info.keyBits };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// ASN.1 access on forge's tree, every step checked so corrupt data gives a short reason

function parseAsn1(bytes: Uint8Array, what: string): Asn1 {
  try {
    return forge.asn1.fromDer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), {
      strict: true,
      parseAllBytes: false,
      decodeBitStrings: false,
    } as unknown as boolean);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/\.$/, '') : 'unreadable';
    throw new KeystoreFormatError(`corrupt ${what}: ${reason.includes('bytes') ? 'truncated or malformed ASN.1' : reason}`);
  }
}

function tryParseAsn1(bytes: Buffer): Asn1 | undefined {
  try {
    return parseAsn1(bytes, 'decrypted data');
  } catch {
    return undefined;
  }
}

function toDer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'latin1');
}

function isUniversal(node: Asn1 | undefined, type: forge.asn1.Type): node is Asn1 {
  return node !== undefined && node.tagClass === forge.asn1.Class.UNIVERSAL && node.type === type;
}

function sequence(node: Asn1 | undefined, what: string): Asn1[] {
  if (!isUniversal(node, forge.asn1.Type.SEQUENCE) || !Array.isArray(node.value)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not a SEQUENCE`);
  return node.value;
}

function setOf(node: Asn1, what: string): Asn1[] {
  if (!isUniversal(node, forge.asn1.Type.SET) || !Array.isArray(node.value)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not a SET`);
  return node.value;
}

function oid(node: Asn1 | undefined, what: string): string {
  if (!isUniversal(node, forge.asn1.Type.OID) || typeof node.value !== 'string') throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an OID`);
  return forge.asn1.derToOid(node.value);
}

function integer(node: Asn1 | undefined, what: string): number {
  if (!isUniversal(node, forge.asn1.Type.INTEGER) || typeof node.value !== 'string' || node.value.length === 0) {
    throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an INTEGER`);
  }
  const bytes = Buffer.from(node.value, 'latin1');
  if (bytes[0]! & 0x80) return -1; // negative: never valid here
  let value = 0;
  for (const b of bytes) {
    value = value * 256 + b;
    if (value > Number.MAX_SAFE_INTEGER / 256) return Number.MAX_SAFE_INTEGER;
  }
  return value;
}

function iterationCount(node: Asn1 | undefined, what: string): number {
  const n = integer(node, `${what} iteration count`);
  if (n < 1) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} iteration count ${n}`);
  if (n > MAX_PKCS12_ITERATIONS) throw new KeystoreFormatError(`unsupported PKCS#12: ${what} iteration count ${n} is above the ${MAX_PKCS12_ITERATIONS} this reader accepts`);
  return n;
}

/** The content of an OCTET STRING, including BER's constructed (chunked) form. */
function octets(node: Asn1 | undefined, what: string): Buffer {
  if (!isUniversal(node, forge.asn1.Type.OCTETSTRING)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an OCTET STRING`);
  return concatChunks(node, what);
}

/** `[0] IMPLICIT OCTET STRING`: context tag 0, primitive or constructed. */
function implicitOctets(node: Asn1, what: string): Buffer {
  if (node.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || node.type !== 0) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not [0]`);
  return concatChunks(node, what);
}

function concatChunks(node: Asn1, what: string): Buffer {
  if (typeof node.value === 'string') return Buffer.from(node.value, 'latin1');
  return Buffer.concat(node.value.map((chunk) => octets(chunk, what)));
}

function explicitZero(node: Asn1 | undefined, what: string): Asn1 {
  if (!node || node.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || node.type !== 0 || !Array.isArray(node.value) || !node.value[0]) {
    throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not [0] EXPLICIT`);
  }
  return node.value[0];
}
