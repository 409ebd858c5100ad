/**
 * Read one file and parse it, deciding first whether it is worth reading: a file found in a
 * directory is sniffed (first bytes) unless its name promises a certificate; a huge file is never
 * read whole. Synchronous on purpose: it runs inside a worker thread, one file at a time.
 */
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';
import { describeFsError } from './fs-errors.js';
import { hasCertificateExtension, parseFileContent, type FileReadResult } from './file-content.js';
import type { WalkedFile } from './walk.js';

export interface ReadLimits {
  /** Largest file read when its name promises a certificate or it was named explicitly. */
  maxFileBytes: number;
  /** Largest file sniffed when found in a directory with an unpromising name. */
  maxSniffBytes: number;
}

export const defaultReadLimits: ReadLimits = { maxFileBytes: 16 * 1024 * 1024, maxSniffBytes: 1024 * 1024 };

const SNIFF_BYTES = 4096;

/** Undefined: nothing worth reporting (a directory walk met a file that is not a certificate). */
export function readCertificateFile(file: WalkedFile, passwords: readonly string[], limits: ReadLimits): FileReadResult | undefined {
  const result = readFileOnce(file, passwords, limits);
  if (result && file.linkTarget !== undefined) result.linkTarget = file.linkTarget;
  return result;
}

function readFileOnce(file: WalkedFile, passwords: readonly string[], limits: ReadLimits): FileReadResult | undefined {
  const promised = file.explicit || hasCertificateExtension(file.path);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that slipped through must not block the worker.
    fd = openSync(file.path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return promised ? failed(file.path, describeFsError(err)) : undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return promised ? failed(file.path, 'not a regular file; not read') : undefined;
    const mode = info.mode & 0o7777;
    if (info.size > (promised ? limits.maxFileBytes : limits.maxSniffBytes)) {
      if (!promised) return undefined;
      return failed(file.path, `${formatBytes(info.size)}: too large for a certificate file (limit ${formatBytes(limits.maxFileBytes)}); not read`, mode);
    }
    if (!promised) {
      const head = Buffer.alloc(Math.min(SNIFF_BYTES, info.size));
      readSync(fd, head, 0, head.length, 0);
      if (!mightHoldCertificates(head)) return undefined;
    }
    const data = Buffer.alloc(info.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, read);
      if (n === 0) break;
      read += n;
    }
    const result = parseFileContent(file.path, data.subarray(0, read), passwords, mode);
    if (!promised && result.unrecognised && result.certificates.length === 0 && result.keys.length === 0) return undefined;
    // A name like rndc.key or root.crt promises a certificate, but text with no PEM block in it is
    // plainly something else: passed over in a directory walk, an error only when named on purpose.
    if (!file.explicit && result.foreign) return undefined;
    return result;
  } catch (err) {
    return promised ? failed(file.path, describeFsError(err)) : undefined;
  } finally {
    closeSync(fd);
  }
}

/** PEM text, DER (a SEQUENCE with a long-form length), or a Java keystore magic. */
function mightHoldCertificates(head: Buffer): boolean {
  if (head.includes('-----BEGIN ', 0, 'latin1')) return true;
  if (head[0] === 0x30 && (head[1] === 0x82 || head[1] === 0x83)) return true;
  if (head.length < 4) return false;
  const magic = head.readUInt32BE(0);
  return magic === 0xfeedfeed || magic === 0xcececece;
}

function failed(path: string, message: string, mode?: number): FileReadResult {
  const result: FileReadResult = { path, certificates: [], keys: [], errors: [message], unrecognised: true };
  if (mode !== undefined) result.mode = mode;
  return result;
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}
