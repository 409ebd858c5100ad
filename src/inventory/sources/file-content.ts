/**
 * Turn one file's bytes into certificates, keys and errors. Pure (no I/O), so the same code runs
 * in a worker thread and in-process, and unit tests can feed it any bytes.
 */
import { extname } from 'node:path';
import { parseCertificate, type CertificateInfo } from '../../x509/certificate.js';
import { certificatePemTypes, findPemBlocks, privateKeyPemTypes } from '../../x509/pem.js';
import { describeDerPrivateKey, describePemPrivateKey, type PrivateKeyInfo } from '../../x509/private-key.js';
import { looksLikeJks, readJks } from '../../x509/jks.js';
import { looksLikePkcs12, readPkcs12 } from '../../x509/pkcs12.js';
import { KeystoreFormatError, KeystorePasswordError, type KeystoreContents } from '../../x509/keystore-types.js';
import type { FileFormat, KeyRecord } from '../model.js';

export interface FileCertificate {
  info: CertificateInfo;
  format: FileFormat;
  /** Bundle position (0-based) or keystore alias. */
  entry?: string;
}

export interface FileKey extends Omit<PrivateKeyInfo, 'format'> {
  format: KeyRecord['format'];
  entry?: string;
}

export interface FileReadResult {
  path: string;
  /** When the path is a symlink: the path its text names (the walker's WalkedFile.linkTarget). */
  linkTarget?: string;
  mode?: number;
  certificates: FileCertificate[];
  keys: FileKey[];
  /** Messages about this file; the file is the source. */
  errors: string[];
  /** Nothing recognisable: a directory walk passes over such files without an error. */
  unrecognised: boolean;
}

/** File name endings that promise a certificate or key: an unreadable one is an error, not noise. */
export const certificateExtensions = new Set([
  '.pem', '.crt', '.cer', '.der', '.key', '.p12', '.pfx', '.jks', '.keystore', '.ks', '.jceks', '.ca-bundle', '.cert',
]);

export function hasCertificateExtension(path: string): boolean {
  return certificateExtensions.has(extname(path).toLowerCase());
}

export function parseFileContent(path: string, data: Buffer, passwords: readonly string[], mode?: number): FileReadResult {
  const result: FileReadResult = { path, certificates: [], keys: [], errors: [], unrecognised: false };
  if (mode !== undefined) result.mode = mode;
  if (data.length === 0) {
    result.errors.push('empty file');
    result.unrecognised = true;
    return result;
  }
  if (looksLikeJks(data)) {
    readKeystore(result, () => readJks(data, passwords), 'keystore');
  } else if (isProbablyPem(data)) {
    readPem(result, data.toString('latin1'), passwords);
  } else if (data[0] === 0x30) {
    readDer(result, path, data, passwords);
  } else {
    result.unrecognised = true;
    result.errors.push(`not a certificate: ${describeGarbage(data)}`);
  }
  return result;
}

function isProbablyPem(data: Buffer): boolean {
  return data.includes('-----BEGIN ', 0, 'latin1');
}

function readPem(result: FileReadResult, text: string, passwords: readonly string[]): void {
  const blocks = findPemBlocks(text);
  let certIndex = 0;
  for (const block of blocks) {
    if (!block.text) {
      result.errors.push(`truncated PEM: "-----BEGIN ${block.type}-----" at line ${block.line} has no END line`);
      continue;
    }
    if (certificatePemTypes.has(block.type)) {
      const index = certIndex++;
      try {
        result.certificates.push({ info: parseCertificate(block.der).info, format: 'pem', entry: String(index) });
      } catch (err) {
        result.errors.push(`corrupt certificate in PEM block at line ${block.line}: ${shortReason(err)}`);
      }
    } else if (privateKeyPemTypes.has(block.type)) {
      try {
        const key = describePemPrivateKey(block.type, block.headers, block.text, passwords);
        result.keys.push({ ...key, entry: `line ${block.line}` });
      } catch (err) {
        result.errors.push(`corrupt private key in PEM block at line ${block.line}: ${shortReason(err)}`);
      }
    }
    // Other blocks (CSRs, CRLs, DH parameters, public keys) are not inventory.
  }
  if (blocks.length > 0 && result.certificates.length === 0 && result.keys.length === 0 && result.errors.length === 0) {
    result.unrecognised = true;
  }
  if (blocks.length === 0) {
    result.unrecognised = true;
    result.errors.push('not a certificate: "-----BEGIN" without a PEM block');
  }
}

function readDer(result: FileReadResult, path: string, data: Buffer, passwords: readonly string[]): void {
  const ext = extname(path).toLowerCase();
  const pkcs12First = ext === '.p12' || ext === '.pfx';
  if (!pkcs12First) {
    try {
      result.certificates.push({ info: parseCertificate(data).info, format: 'der' });
      return;
    } catch {
      // not a DER certificate: maybe a key or a PKCS#12
    }
    const key = describeDerPrivateKey(data);
    if (key) {
      result.keys.push(key);
      return;
    }
  }
  if (looksLikePkcs12(data)) {
    readKeystore(result, () => readPkcs12(data, passwords), 'PKCS#12');
    return;
  }
  result.unrecognised = true;
  result.errors.push(`not a certificate: DER data that is neither a certificate, a private key nor PKCS#12 (${describeGarbage(data)})`);
}

function readKeystore(result: FileReadResult, read: () => KeystoreContents, what: string): void {
  let contents: KeystoreContents;
  try {
    contents = read();
  } catch (err) {
    if (err instanceof KeystorePasswordError || err instanceof KeystoreFormatError) result.errors.push(err.message);
    else result.errors.push(`corrupt ${what}: ${shortReason(err)}`);
    return;
  }
  const format: FileFormat = contents.format;
  contents.entries.forEach((entry, i) => {
    const name = entry.alias ?? String(i);
    for (const [j, der] of entry.certificates.entries()) {
      try {
        result.certificates.push({ info: parseCertificate(der).info, format, entry: j === 0 ? name : `${name}/${j}` });
      } catch (err) {
        result.errors.push(`corrupt certificate in ${what} entry "${name}": ${shortReason(err)}`);
      }
    }
    if (entry.privateKey) {
      result.keys.push({
        format: contents.format === 'pkcs12' ? 'pkcs12' : 'jks',
        encrypted: true,
        entry: name,
        ...entry.privateKey,
      });
    }
  });
}

/** "garbage at byte 0", naming what was found there when it is recognisable. */
function describeGarbage(data: Buffer): string {
  const head = data.subarray(0, 4).toString('latin1');
  if (head.startsWith('PK')) return 'garbage at byte 0 (a ZIP archive?)';
  if (data[0] === 0x1f && data[1] === 0x8b) return 'garbage at byte 0 (gzip data)';
  if (head === '\x7fELF') return 'garbage at byte 0 (an executable)';
  return 'garbage at byte 0';
}

function shortReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/, '').trim() || 'unreadable';
}
