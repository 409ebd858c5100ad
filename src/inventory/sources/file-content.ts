/**
 * Turn one file's bytes into certificates, keys and errors. Pure (no I/O), so the same code runs
 * in a worker thread and in-process, and unit tests can feed it any bytes.
 */
import { extname } from 'node:path';
import { parseCertificate, type CertificateInfo } from '../../x509/certificate.js';
import { DerError, readTlv } from '../../x509/der.js';
import { certificatePemTypes, findPemBlocks, privateKeyPemTypes, type PemBlock } from '../../x509/pem.js';
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
  /**
   * Plainly another kind of file: text with no PEM block in it (a BIND rndc.key, a placeholder
   * root.crt that explains itself in prose). A directory walk passes over it quietly even when its
   * name promises a certificate; only a file named on purpose makes it an error.
   */
  foreign?: boolean;
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
  } else if (isPlainText(data)) {
    result.unrecognised = true;
    result.foreign = true;
    result.errors.push('not a certificate: text with no PEM block in it');
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

/**
 * Text: no control bytes but tab, line feed, form feed and carriage return. DER never passes
 * (its tags and lengths are control bytes), nor do keystores.
 */
function isPlainText(data: Buffer): boolean {
  for (const byte of data) {
    if (byte >= 0x20 ? byte === 0x7f : byte !== 0x09 && byte !== 0x0a && byte !== 0x0c && byte !== 0x0d) return false;
  }
  return true;
}

/**
 * A PEM boundary starts a line (RFC 7468; indentation allowed, as in YAML). A BEGIN elsewhere is
 * a mention, not a block: a MIME database's magic strings, a PEM inside a JSON string.
 */
function startsLine(lines: readonly string[], block: PemBlock): boolean {
  return /^[ \t]*-----BEGIN /.test(lines[block.line - 1] ?? '');
}

/** Cheap first look (no allocation): whether any BEGIN follows something other than indentation on its line. */
function hasBeginMidLine(text: string): boolean {
  for (let at = text.indexOf('-----BEGIN '); at >= 0; at = text.indexOf('-----BEGIN ', at + 1)) {
    let i = at - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    if (i >= 0 && text[i] !== '\n' && text[i] !== '\r') return true;
  }
  return false;
}

function readPem(result: FileReadResult, text: string, passwords: readonly string[]): void {
  const found = findPemBlocks(text);
  let blocks = found;
  if (found.length && hasBeginMidLine(text)) {
    const lines = text.split('\n');
    blocks = found.filter((b) => startsLine(lines, b));
  }
  let certIndex = 0;
  for (const block of blocks) {
    if (!block.text) {
      // Only a certificate or key that breaks off is an error: a truncated PGP block is not inventory.
      if (certificatePemTypes.has(block.type) || privateKeyPemTypes.has(block.type)) {
        result.errors.push(`truncated PEM: "-----BEGIN ${block.type}-----" at line ${block.line} has no END line`);
      }
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
  if (found.length > 0 && result.certificates.length === 0 && result.keys.length === 0 && result.errors.length === 0) {
    result.unrecognised = true;
  }
  if (found.length === 0) {
    result.unrecognised = true;
    result.errors.push('not a certificate: "-----BEGIN" without a PEM block');
  }
}

function readDer(result: FileReadResult, path: string, data: Buffer, passwords: readonly string[]): void {
  const ext = extname(path).toLowerCase();
  const pkcs12First = ext === '.p12' || ext === '.pfx';
  let certificateError: unknown;
  if (!pkcs12First) {
    try {
      result.certificates.push({ info: parseCertificate(data).info, format: 'der' });
      return;
    } catch (err) {
      certificateError = err; // not a DER certificate: maybe a key or a PKCS#12
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
  if (certificateError instanceof DerError && startsLikeCertificate(data)) {
    // The bytes begin as a certificate does: say what is wrong with it and where.
    result.errors.push(`corrupt certificate: ${certificateError.message}`);
    return;
  }
  result.unrecognised = true;
  const why = certificateError instanceof DerError ? `read as a certificate, ${certificateError.message}` : describeGarbage(data);
  result.errors.push(`not a certificate: DER data that is neither a certificate, a private key nor PKCS#12 (${why})`);
}

/**
 * The bytes open as only a certificate opens: tbsCertificate starting with the [0] version (v2/v3),
 * or a v1 serial, AlgorithmIdentifier, issuer and validity (a CRL has a time where validity is, a
 * CSR a key). A malformed file of that shape is a corrupt certificate, not an unknown file.
 */
function startsLikeCertificate(data: Buffer): boolean {
  try {
    const outer = readTlv(data, 0);
    const tbs = readTlv(data, outer.start, outer.end);
    if (tbs.tag !== 0x30) return false;
    if (data[tbs.start] === 0xa0) return true;
    const tags: number[] = [];
    for (let pos = tbs.start; tags.length < 4 && pos < tbs.end; ) {
      const t = readTlv(data, pos, tbs.end);
      tags.push(t.tag);
      pos = t.end;
    }
    return tags.join() === [0x02, 0x30, 0x30, 0x30].join();
  } catch {
    return false;
  }
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
