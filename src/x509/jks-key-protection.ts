/**
 * Decrypt a Java keystore's private key, only to learn its public key: JKS protects keys with Sun's
 * KeyProtector (a SHA-1 XOR stream), JCEKS with SunJCE's PBEWithMD5AndTripleDES. Neither is in
 * node:crypto or any maintained library, and both are small. The key bytes go no further than
 * node:crypto's createPrivateKey.
 */
import { createDecipheriv, createHash, createPrivateKey } from 'node:crypto';
import { children, decodeOid, readTlv, type Tlv } from './der.js';
import { utf16be } from './java-data-stream.js';
import type { KeystorePrivateKey } from './keystore-types.js';
import { describeKeyObject } from './private-key.js';

const SUN_JKS_KEY_PROTECTOR = '1.3.6.1.4.1.42.2.17.1.1';
const SUN_JCE_PBE_MD5_3DES = '1.3.6.1.4.1.42.2.19.1';
/** Java 17 protects JCEKS keys with 200,000 iterations; a cap keeps crafted files cheap. */
const MAX_JCE_ITERATIONS = 2_000_000;

/**
 * The facts of a keystore entry's protected key (an EncryptedPrivateKeyInfo), decrypted with the
 * first of `passwords` that opens it; otherwise a one-line `problem` saying why not.
 */
export function protectedKeyFacts(encryptedKeyInfo: Buffer, passwords: readonly string[]): { facts?: KeystorePrivateKey; problem?: string } {
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
