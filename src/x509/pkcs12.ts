/**
 * Read PKCS#12 (.p12/.pfx) files: OpenSSL 3's default (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256,
 * SHA-256 MAC), OpenSSL's `-legacy` (RC2-40 and 3DES, SHA-1 MAC), Java keytool's PKCS12 (with
 * trusted-certificate entries that have no key) and Windows exports (BER, indefinite lengths).
 *
 * This is the only module that imports node-forge, and it uses it for two things Node cannot do:
 * BER-tolerant ASN.1 parsing and RC2 (only in OpenSSL's legacy provider, which Node does not load).
 * It hands both to the pkcs12-* modules as plain functions. The rest runs on node:crypto, because
 * walking the structure ourselves gives us:
 *  - each certificate's exact DER bytes (forge re-encodes the certificates it parses, and parses
 *    only RSA ones), so fingerprints equal those of the same certificate read from PEM;
 *  - the right password encoding per scheme: the MAC and PKCS#12 PBE use BMPString (UTF-16BE),
 *    PBES2 uses UTF-8 (forge passes one string to both, which breaks non-ASCII passwords);
 *  - a clean "wrong password" signal from the MAC, checked with native hashing, before any decryption;
 *  - caps on iteration counts, so a crafted file cannot keep us busy for minutes.
 *
 * The parts: pkcs12-asn1 (checked access to forge's tree), pkcs12-passwords (encodings, try order),
 * pkcs12-encryption (MAC and decryption schemes), pkcs12-bags (the walk down to keys and
 * certificates) and pkcs12-entries (pairing keys with their chains).
 */
import forge from 'node-forge';
import { KeystoreFormatError, KeystorePasswordError, type KeystoreContents } from './keystore-types.js';
import { Asn1Reader, type Asn1Codec } from './pkcs12-asn1.js';
import { PKCS7_DATA_OID, readAuthenticatedSafe } from './pkcs12-bags.js';
import { macMatches, parseMacData, type MacData, type Rc2CbcDecrypt } from './pkcs12-encryption.js';
import { groupEntries } from './pkcs12-entries.js';
import { Keyring, passwordVariants } from './pkcs12-passwords.js';

export { MAX_PKCS12_ITERATIONS } from './pkcs12-encryption.js';

const forgeAsn1: Asn1Codec = {
  fromDer: (bytes) =>
    forge.asn1.fromDer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), {
      strict: true,
      parseAllBytes: false,
      decodeBitStrings: false,
    } as unknown as boolean),
  toDer: (node) => Buffer.from(forge.asn1.toDer(node as forge.asn1.Asn1).getBytes(), 'latin1'),
  oidText: (content) => forge.asn1.derToOid(content),
};

/** RC2-CBC through forge, padding left in place: forge's own padding check is lax, so pkcs12-encryption checks it. */
const forgeRc2CbcDecrypt: Rc2CbcDecrypt = (key, iv, ciphertext) => {
  const cipher = forge.rc2.createDecryptionCipher(key.toString('latin1'), key.length * 8);
  cipher.start(iv.toString('latin1'));
  cipher.update(forge.util.createBuffer(ciphertext.toString('latin1')));
  if (!cipher.finish(() => true)) return undefined;
  return Buffer.from(cipher.output.getBytes(), 'latin1');
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
  const asn1 = new Asn1Reader(forgeAsn1);
  const pfx = parsePfx(data, asn1);
  const keyring = new Keyring(candidates);
  if (pfx.mac) {
    const mac = pfx.mac;
    const opener = candidates.flatMap(passwordVariants).find((p) => macMatches(mac, pfx.authSafeBytes, p));
    if (!opener) throw new KeystorePasswordError(`wrong PKCS#12 password (tried ${candidates.length})`);
    keyring.prefer(opener);
  }
  const bags = readAuthenticatedSafe(pfx.authSafeBytes, { asn1, keyring, rc2CbcDecrypt: forgeRc2CbcDecrypt });
  // Without a MAC, decryption is the only password test: if nothing encrypted opened, the password
  // is wrong, even though unencrypted certificates (openssl -nomac) could still be listed.
  if (!pfx.mac && keyring.sawEncrypted && !keyring.opened) {
    throw new KeystorePasswordError(`wrong PKCS#12 password (tried ${candidates.length})`);
  }
  return { format: 'pkcs12', ...groupEntries(bags) };
}

interface Pfx {
  authSafeBytes: Buffer;
  mac: MacData | undefined;
}

function parsePfx(data: Uint8Array, asn1: Asn1Reader): Pfx {
  const root = asn1.parse(data, 'PKCS#12 file');
  const [version, authSafe, macData] = asn1.sequence(root, 'PFX');
  if (asn1.integer(version, 'PFX version') !== 3) throw new KeystoreFormatError('not a PKCS#12 file: PFX version is not 3');
  const [contentType, content] = asn1.sequence(authSafe, 'PFX authSafe');
  const type = asn1.oid(contentType, 'authSafe content type');
  if (type !== PKCS7_DATA_OID) {
    throw new KeystoreFormatError(`unsupported PKCS#12: public-key integrity mode (authSafe ${type}) is not supported`);
  }
  const authSafeBytes = asn1.octets(asn1.explicitZero(content, 'authSafe content'), 'authSafe content');
  return { authSafeBytes, mac: macData ? parseMacData(macData, asn1) : undefined };
}
