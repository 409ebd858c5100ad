/**
 * The password-based cryptography of PKCS#12: the MAC check (which tells a wrong password apart
 * before anything is decrypted) and the encryption schemes that protect its contents and keys:
 * PBES2 (PBKDF2 with AES or 3DES, OpenSSL 3's default) and RFC 7292's own PBE (3DES and RC2,
 * OpenSSL's -legacy and Windows). It all runs on node:crypto except RC2, which Node lacks without
 * OpenSSL's legacy provider; pkcs12.ts passes in node-forge's RC2 for that.
 */
import { createDecipheriv, createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { KeystoreFormatError } from './keystore-types.js';
import { asn1Tag, type Asn1, type Asn1Reader } from './pkcs12-asn1.js';
import type { Password } from './pkcs12-passwords.js';

/** More than any tool writes (OpenSSL 2,048, Java 10,000, OWASP's PBKDF2 advice 600,000); a cap keeps crafted files cheap. */
export const MAX_PKCS12_ITERATIONS = 2_000_000;

/** RC2-CBC decryption that leaves the padding in place; undefined when the cipher refuses the input. */
export type Rc2CbcDecrypt = (key: Buffer, iv: Buffer, ciphertext: Buffer) => Buffer | undefined;

const oids = {
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

// ---------------------------------------------------------------------------------------------
// MAC

export interface MacData {
  hash: string;
  digest: Buffer;
  salt: Buffer;
  iterations: number;
}

export function parseMacData(node: Asn1, asn1: Asn1Reader): MacData {
  const [digestInfo, salt, iterations] = asn1.sequence(node, 'MacData');
  const [algorithm, digest] = asn1.sequence(digestInfo, 'MAC DigestInfo');
  const [algorithmOid] = asn1.sequence(algorithm, 'MAC algorithm');
  const macOid = asn1.oid(algorithmOid, 'MAC algorithm');
  if (macOid === oids.pbmac1) throw new KeystoreFormatError('unsupported PKCS#12: PBMAC1 integrity (OpenSSL 3.4 -pbmac1_pbkdf2) is not supported');
  const hash = digestNames[macOid];
  if (!hash) throw new KeystoreFormatError(`unsupported PKCS#12: MAC digest ${macOid}`);
  return {
    hash,
    digest: asn1.octets(digest, 'MAC digest'),
    salt: asn1.octets(salt, 'MAC salt'),
    iterations: iterations ? iterationCount(iterations, 'MAC', asn1) : 1,
  };
}

export function macMatches(mac: MacData, authSafe: Buffer, password: Password): boolean {
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
// Encryption schemes

export interface EncryptionScheme {
  /** The plaintext, or undefined when this password does not decrypt it (bad padding). */
  decrypt(ciphertext: Buffer, password: Password): Buffer | undefined;
}

export function readEncryptionScheme(algorithm: Asn1, asn1: Asn1Reader, rc2CbcDecrypt: Rc2CbcDecrypt): EncryptionScheme {
  const [algorithmOid, params] = asn1.sequence(algorithm, 'encryption algorithm');
  const schemeOid = asn1.oid(algorithmOid, 'encryption algorithm');
  if (schemeOid === oids.pbes2) return readPbes2(params, asn1);
  const pbe = pkcs12PbeCiphers[schemeOid];
  if (pbe) {
    const [salt, iterations] = asn1.sequence(params, 'PKCS#12 PBE parameters');
    return pkcs12PbeScheme(pbe, asn1.octets(salt, 'PBE salt'), iterationCount(iterations, 'PBE', asn1), rc2CbcDecrypt);
  }
  throw new KeystoreFormatError(`unsupported PKCS#12 encryption algorithm ${schemeOid}`);
}

function readPbes2(params: Asn1 | undefined, asn1: Asn1Reader): EncryptionScheme {
  const [kdf, encryption] = asn1.sequence(params, 'PBES2 parameters');
  const [kdfOid, kdfParams] = asn1.sequence(kdf, 'PBES2 key derivation');
  const kdfName = asn1.oid(kdfOid, 'PBES2 key derivation');
  if (kdfName !== oids.pbkdf2) throw new KeystoreFormatError(`unsupported PKCS#12 key derivation ${kdfName}`);
  const pbkdf2Fields = asn1.sequence(kdfParams, 'PBKDF2 parameters');
  const salt = asn1.octets(pbkdf2Fields[0], 'PBKDF2 salt');
  const iterations = iterationCount(pbkdf2Fields[1], 'PBKDF2', asn1);
  // keyLength (INTEGER) and prf (SEQUENCE) are both optional and told apart by their tags.
  const prfNode = pbkdf2Fields.slice(2).find((f) => f.type === asn1Tag.SEQUENCE);
  const prfOid = prfNode ? asn1.oid(asn1.sequence(prfNode, 'PBKDF2 PRF')[0], 'PBKDF2 PRF') : '1.2.840.113549.2.7';
  const prf = hmacNames[prfOid];
  if (!prf) throw new KeystoreFormatError(`unsupported PKCS#12 PBKDF2 PRF ${prfOid}`);
  const [cipherOid, ivNode] = asn1.sequence(encryption, 'PBES2 encryption scheme');
  const cipherName = asn1.oid(cipherOid, 'PBES2 cipher');
  const cipher = pbes2Ciphers[cipherName];
  if (!cipher) throw new KeystoreFormatError(`unsupported PKCS#12 cipher ${cipherName}`);
  const iv = asn1.octets(ivNode, 'PBES2 IV');
  if (iv.length !== cipher.ivBytes) throw new KeystoreFormatError(`corrupt PKCS#12: ${cipher.name} IV of ${iv.length} bytes`);
  return {
    decrypt: (ciphertext, password) =>
      nodeDecrypt(cipher.name, pbkdf2Sync(password.utf8, salt, iterations, cipher.keyBytes, prf), iv, ciphertext),
  };
}

function pkcs12PbeScheme(
  pbe: { cipher: 'des-ede3-cbc' | 'rc2'; keyBytes: number },
  salt: Buffer,
  iterations: number,
  rc2CbcDecrypt: Rc2CbcDecrypt,
): EncryptionScheme {
  return {
    decrypt: (ciphertext, password) => {
      const key = pkcs12Kdf('sha1', password.bmp, salt, 1, iterations, pbe.keyBytes);
      const iv = pkcs12Kdf('sha1', password.bmp, salt, 2, iterations, 8);
      if (pbe.cipher === 'rc2') return rc2Decrypt(rc2CbcDecrypt, key, iv, ciphertext);
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

/** forge's own padding check is lax, so PKCS#7 padding is checked here. */
function rc2Decrypt(rc2CbcDecrypt: Rc2CbcDecrypt, key: Buffer, iv: Buffer, ciphertext: Buffer): Buffer | undefined {
  if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) return undefined;
  const plain = rc2CbcDecrypt(key, iv, ciphertext);
  return plain ? stripPkcs7(plain, 8) : undefined;
}

function stripPkcs7(plain: Buffer, blockBytes: number): Buffer | undefined {
  const pad = plain[plain.length - 1] ?? 0;
  if (pad < 1 || pad > blockBytes || pad > plain.length) return undefined;
  for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) return undefined;
  return plain.subarray(0, plain.length - pad);
}

function iterationCount(node: Asn1 | undefined, what: string, asn1: Asn1Reader): number {
  const n = asn1.integer(node, `${what} iteration count`);
  if (n < 1) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} iteration count ${n}`);
  if (n > MAX_PKCS12_ITERATIONS) throw new KeystoreFormatError(`unsupported PKCS#12: ${what} iteration count ${n} is above the ${MAX_PKCS12_ITERATIONS} this reader accepts`);
  return n;
}
