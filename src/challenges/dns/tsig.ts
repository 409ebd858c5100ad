/**
 * TSIG (RFC 8945), which dns-packet does not implement: sign a request, and verify the server's
 * signed response. The MAC covers the message without its TSIG record, then the "TSIG variables"
 * (key name, class ANY, TTL 0, algorithm name, time signed, fudge, error, other data); a response's
 * MAC also covers the request's MAC first (section 5.3), which ties the answer to our question.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TsigAlgorithmName } from '../config.js';
import { CLASS, TYPE, encodeName, encodeRecord, lastAdditional, writeUint16, writeUint32 } from './wire.js';

export interface TsigKey {
  /** The key's name as the server knows it (`key "NAME" { ... }` in BIND). */
  name: string;
  algorithm: TsigAlgorithmName;
  secret: Buffer;
}

/** Seconds of clock difference either side that we allow, as BIND and nsupdate do. */
const FUDGE = 300;

const HMAC_HASH: Record<TsigAlgorithmName, string> = { 'hmac-sha256': 'sha256', 'hmac-sha512': 'sha512', 'hmac-sha1': 'sha1' };

export const TSIG_ERRORS: Record<number, string> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

interface TsigFields {
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function uint48(value: number): Buffer {
  const buf = Buffer.alloc(6);
  buf.writeUIntBE(value, 0, 6);
  return buf;
}

function variables(key: TsigKey, fields: Omit<TsigFields, 'mac' | 'originalId'>): Buffer {
  return Buffer.concat([
    encodeName(key.name),
    writeUint16(CLASS.ANY),
    writeUint32(0),
    encodeName(fields.algorithm),
    uint48(fields.timeSigned),
    writeUint16(fields.fudge),
    writeUint16(fields.error),
    writeUint16(fields.other.length),
    fields.other,
  ]);
}

function hmac(key: TsigKey, ...parts: Buffer[]): Buffer {
  const h = createHmac(HMAC_HASH[key.algorithm], key.secret);
  for (const part of parts) h.update(part);
  return h.digest();
}

export interface SignedRequest {
  message: Buffer;
  /** Needed to verify the response. */
  mac: Buffer;
}

/** Append a TSIG record to `message` (which must not have one) and bump ARCOUNT. */
export function signRequest(message: Buffer, key: TsigKey, now: Date = new Date()): SignedRequest {
  const fields = { algorithm: key.algorithm, timeSigned: Math.floor(now.getTime() / 1000), fudge: FUDGE, error: 0, other: Buffer.alloc(0) };
  const mac = hmac(key, message, variables(key, fields));
  const rdata = Buffer.concat([
    encodeName(fields.algorithm),
    uint48(fields.timeSigned),
    writeUint16(fields.fudge),
    writeUint16(mac.length),
    mac,
    writeUint16(message.readUInt16BE(0)),
    writeUint16(fields.error),
    writeUint16(0),
  ]);
  const signed = Buffer.concat([message, encodeRecord(key.name, TYPE.TSIG, CLASS.ANY, 0, rdata)]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { message: signed, mac };
}

function parseFields(rdata: Buffer): TsigFields {
  // The algorithm name is never compressed in TSIG RDATA (RFC 8945 section 4.2).
  let offset = 0;
  const labels: string[] = [];
  for (;;) {
    const length = rdata[offset];
    if (length === undefined) throw new Error('truncated TSIG record');
    offset += 1;
    if (length === 0) break;
    labels.push(rdata.subarray(offset, offset + length).toString('ascii'));
    offset += length;
  }
  const timeSigned = rdata.readUIntBE(offset, 6);
  const fudge = rdata.readUInt16BE(offset + 6);
  const macSize = rdata.readUInt16BE(offset + 8);
  const mac = rdata.subarray(offset + 10, offset + 10 + macSize);
  offset += 10 + macSize;
  const originalId = rdata.readUInt16BE(offset);
  const error = rdata.readUInt16BE(offset + 2);
  const otherLength = rdata.readUInt16BE(offset + 4);
  const other = rdata.subarray(offset + 6, offset + 6 + otherLength);
  if (other.length !== otherLength) throw new Error('truncated TSIG record');
  return { algorithm: `${labels.join('.').toLowerCase()}.`, timeSigned, fudge, mac, originalId, error, other };
}

export type ResponseTsig =
  | { status: 'unsigned' }
  /** The server reports a TSIG error (BADKEY...): its response carries no usable MAC. */
  | { status: 'error'; error: number; errorName: string }
  | { status: 'verified' };

/**
 * Check the TSIG record of a response to a request we signed with `key` and `requestMac`.
 * Throws when the MAC or the time does not check out: that response cannot be trusted.
 */
export function verifyResponse(response: Buffer, key: TsigKey, requestMac: Buffer, now: Date = new Date()): ResponseTsig {
  const record = lastAdditional(response);
  if (!record || record.type !== TYPE.TSIG) return { status: 'unsigned' };
  const fields = parseFields(record.rdata);
  if (fields.error !== 0) return { status: 'error', error: fields.error, errorName: TSIG_ERRORS[fields.error] ?? `TSIG error ${fields.error}` };
  if (record.name.replace(/\.$/, '').toLowerCase() !== key.name.replace(/\.$/, '').toLowerCase() || fields.algorithm !== `${key.algorithm}.`) {
    throw new Error(`response signed with another key (${record.name}, ${fields.algorithm})`);
  }
  // The MAC covers the response as it was before the TSIG record was added: ARCOUNT one less and
  // the original ID (a forwarder may have changed the header's).
  const unsigned = Buffer.from(response.subarray(0, record.offset));
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  unsigned.writeUInt16BE(fields.originalId, 0);
  const expected = hmac(key, writeUint16(requestMac.length), requestMac, unsigned, variables(key, fields));
  if (fields.mac.length !== expected.length || !timingSafeEqual(fields.mac, expected)) {
    throw new Error('response TSIG MAC does not verify (BADSIG)');
  }
  const skew = Math.abs(Math.floor(now.getTime() / 1000) - fields.timeSigned);
  if (skew > fields.fudge) throw new Error(`response TSIG time is ${skew} s away from ours (BADTIME)`);
  return { status: 'verified' };
}
