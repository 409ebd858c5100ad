/**
 * Walk a PKCS#12 AuthenticatedSafe down to its bags: plain and encrypted SafeContents, nested
 * SafeContents bags, key bags (shrouded or not) and certificate bags with their friendlyName,
 * localKeyId and Java trusted-entry attributes. The result is a flat list of keys and certificates
 * for pkcs12-entries.ts to pair up. Private keys are decrypted here only to learn their facts; the
 * key bytes go no further than node:crypto.
 */
import { createPrivateKey } from 'node:crypto';
import { KeystoreFormatError, KeystorePasswordError, type KeystorePrivateKey } from './keystore-types.js';
import { asn1Tag, type Asn1, type Asn1Reader } from './pkcs12-asn1.js';
import { readEncryptionScheme, type Rc2CbcDecrypt } from './pkcs12-encryption.js';
import type { Keyring } from './pkcs12-passwords.js';
import { describeKeyObject } from './private-key.js';

/** PKCS#7 `data`: the content type of a plain SafeContents and of a password-integrity authSafe. */
export const PKCS7_DATA_OID = '1.2.840.113549.1.7.1';

const oids = {
  data: PKCS7_DATA_OID,
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
} as const;

export interface KeyBag {
  localKeyId?: string;
  friendlyName?: string;
  /** Absent when no password decrypted the key or node cannot read its type; `problem` says which. */
  facts?: KeystorePrivateKey;
  problem?: string;
}

export interface CertBag {
  localKeyId?: string;
  friendlyName?: string;
  trusted: boolean;
  der: Buffer;
}

export interface Bags {
  keys: KeyBag[];
  certs: CertBag[];
  notes: string[];
}

/** What the walk needs besides the bytes; pkcs12.ts builds it (the RC2 comes from node-forge). */
export interface BagReading {
  asn1: Asn1Reader;
  keyring: Keyring;
  rc2CbcDecrypt: Rc2CbcDecrypt;
}

export function readAuthenticatedSafe(authSafeBytes: Buffer, reading: BagReading): Bags {
  const { asn1 } = reading;
  const bags: Bags = { keys: [], certs: [], notes: [] };
  const contentInfos = asn1.sequence(asn1.parse(authSafeBytes, 'AuthenticatedSafe'), 'AuthenticatedSafe');
  for (const contentInfo of contentInfos) {
    const [contentType, content] = asn1.sequence(contentInfo, 'AuthenticatedSafe ContentInfo');
    const type = asn1.oid(contentType, 'ContentInfo type');
    if (type === oids.data) {
      const plain = asn1.octets(asn1.explicitZero(content, 'SafeContents data'), 'SafeContents data');
      readSafeContents(asn1.parse(plain, 'SafeContents'), reading, bags);
    } else if (type === oids.encryptedData) {
      const safeContents = decryptEncryptedData(asn1.explicitZero(content, 'EncryptedData'), reading);
      readSafeContents(safeContents, reading, bags);
    } else if (type === oids.envelopedData) {
      throw new KeystoreFormatError('unsupported PKCS#12: public-key privacy mode (envelopedData) is not supported');
    } else {
      throw new KeystoreFormatError(`unsupported PKCS#12: ContentInfo type ${type}`);
    }
  }
  return bags;
}

/** EncryptedData ::= SEQUENCE { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT OCTET STRING } } */
function decryptEncryptedData(node: Asn1, { asn1, keyring, rc2CbcDecrypt }: BagReading): Asn1 {
  const [, encryptedContentInfo] = asn1.sequence(node, 'EncryptedData');
  const [, algorithm, encrypted] = asn1.sequence(encryptedContentInfo, 'EncryptedContentInfo');
  if (!algorithm) throw new KeystoreFormatError('corrupt PKCS#12: EncryptedContentInfo has no algorithm');
  const scheme = readEncryptionScheme(algorithm, asn1, rc2CbcDecrypt);
  const ciphertext = encrypted ? asn1.implicitOctets(encrypted, 'encrypted content') : Buffer.alloc(0);
  const safeContents = keyring.tryEach((password) => {
    const plain = scheme.decrypt(ciphertext, password);
    // A wrong password can leave valid-looking padding (about 1 in 256); parsing catches it.
    return plain ? asn1.tryParse(plain) : undefined;
  });
  if (!safeContents) throw new KeystorePasswordError(`wrong PKCS#12 password: no password decrypts its contents (tried ${keyring.triedCount})`);
  return safeContents;
}

function readSafeContents(node: Asn1, reading: BagReading, bags: Bags): void {
  const { asn1 } = reading;
  for (const safeBag of asn1.sequence(node, 'SafeContents')) {
    const [bagId, bagValue, attributes] = asn1.sequence(safeBag, 'SafeBag');
    const type = asn1.oid(bagId, 'SafeBag type');
    const value = asn1.explicitZero(bagValue, 'SafeBag value');
    const attrs = readAttributes(attributes, asn1);
    switch (type) {
      case oids.keyBag:
        bags.keys.push({ ...attrs, ...keyFactsOf(asn1.toDer(value)) });
        break;
      case oids.shroudedKeyBag:
        bags.keys.push({ ...attrs, ...decryptShroudedKey(value, reading) });
        break;
      case oids.certBag: {
        const [certId, certValue] = asn1.sequence(value, 'CertBag');
        const certType = asn1.oid(certId, 'CertBag type');
        if (certType !== oids.x509Certificate) {
          bags.notes.push(`skipped a certificate bag of type ${certType} (only X.509 is read)`);
          break;
        }
        bags.certs.push({ ...attrs, der: asn1.octets(asn1.explicitZero(certValue, 'CertBag value'), 'CertBag value') });
        break;
      }
      case oids.safeContentsBag:
        readSafeContents(value, reading, bags);
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

function readAttributes(node: Asn1 | undefined, asn1: Asn1Reader): { localKeyId?: string; friendlyName?: string; trusted: boolean } {
  const out: { localKeyId?: string; friendlyName?: string; trusted: boolean } = { trusted: false };
  if (!node) return out;
  for (const attribute of asn1.setOf(node, 'bag attributes')) {
    const [typeNode, values] = asn1.sequence(attribute, 'bag attribute');
    const type = asn1.oid(typeNode, 'bag attribute type');
    const first = values ? asn1.setOf(values, 'bag attribute values')[0] : undefined;
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
  return node.type === asn1Tag.UTF8_STRING ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

function decryptShroudedKey(node: Asn1, { asn1, keyring, rc2CbcDecrypt }: BagReading): Pick<KeyBag, 'facts' | 'problem'> {
  const [algorithm, encrypted] = asn1.sequence(node, 'EncryptedPrivateKeyInfo');
  if (!algorithm || !encrypted) throw new KeystoreFormatError('corrupt PKCS#12: incomplete EncryptedPrivateKeyInfo');
  const scheme = readEncryptionScheme(algorithm, asn1, rc2CbcDecrypt);
  const ciphertext = asn1.octets(encrypted, 'encrypted private key');
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
