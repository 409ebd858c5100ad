/**
 * A minimal DER reader: just enough to pull out what node:crypto's X509Certificate does not expose
 * (signature algorithm, exact validity, serial bytes, a few extensions) without a full ASN.1
 * library on the inventory hot path. Every TLV is read within its parent's bounds, and every
 * defect throws a DerError that names the field, the defect and its byte offset.
 */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte (the whole TLV is header..end). */
  header: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset one past the last content byte. */
  end: number;
}

/** Malformed DER: `<field> at byte <offset>: <defect>`, the offset into the DER given to the parser. */
export class DerError extends Error {
  constructor(
    readonly field: string,
    readonly offset: number,
    readonly defect: string,
  ) {
    super(`${field} at byte ${offset}: ${defect}`);
    this.name = 'DerError';
  }
}

/** One TLV starting at `offset`, which must end by `limit` (its parent's end). */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length, field = 'DER value'): Tlv {
  if (offset + 2 > limit) {
    throw new DerError(field, offset, offset >= limit ? 'missing (the enclosing structure ends here)' : 'truncated: a tag without a length');
  }
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(field, offset, `multi-byte tag 0x${hex2(tag)} (not used in certificates)`);
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError(field, offset, 'indefinite length (BER, not DER)');
    if (n > 4) throw new DerError(field, offset, `a ${n}-byte length field (longer than DER's shortest form, or past any certificate's size)`);
    if (pos + n > limit) throw new DerError(field, offset, 'truncated inside its length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    if (buf[pos] === 0 || len < 0x80) throw new DerError(field, offset, 'length not in its shortest form (BER, not DER)');
    pos += n;
  }
  const end = pos + len;
  if (end > limit) {
    throw new DerError(field, offset, `length ${len} runs past ${limit === buf.length ? 'the end of the data' : `the end of its enclosing structure (byte ${limit})`}`);
  }
  return { tag, header: offset, start: pos, end };
}

/** A TLV that must have one tag. */
export function expectTlv(buf: Uint8Array, offset: number, limit: number, tag: number, field: string): Tlv {
  const t = readTlv(buf, offset, limit, field);
  if (t.tag !== tag) throw new DerError(field, offset, `expected ${tagName(tag)}, found ${tagName(t.tag)}`);
  return t;
}

/** The children of a constructed TLV, each bounded by it. */
export function children(buf: Uint8Array, parent: Tlv, field = 'DER value'): Tlv[] {
  if (!(parent.tag & 0x20)) throw new DerError(field, parent.header, `expected a constructed value, found ${tagName(parent.tag)}`);
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const t = readTlv(buf, pos, parent.end, field);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** The one TLV that fills a parent exactly (an OCTET STRING's or an EXPLICIT tag's content). */
export function onlyChild(buf: Uint8Array, parent: Tlv, field: string): Tlv {
  const t = readTlv(buf, parent.start, parent.end, field);
  if (t.end !== parent.end) throw new DerError(field, t.end, `${parent.end - t.end} unexpected bytes after the value`);
  return t;
}

/** Dotted OID text; rejects what OpenSSL rejects (empty, a 0x80 leading byte, a cut-off last arc). */
export function decodeOid(buf: Uint8Array, tlv: Tlv, field = 'OBJECT IDENTIFIER'): string {
  if (tlv.tag !== 0x06) throw new DerError(field, tlv.header, `expected OBJECT IDENTIFIER, found ${tagName(tlv.tag)}`);
  if (tlv.end === tlv.start) throw new DerError(field, tlv.header, 'empty OBJECT IDENTIFIER');
  if (buf[tlv.end - 1]! & 0x80) throw new DerError(field, tlv.end - 1, 'OBJECT IDENTIFIER ends inside an arc');
  let text = '';
  let value = 0;
  let big: bigint | undefined;
  let arcStart = true;
  let first = true;
  for (let i = tlv.start; i < tlv.end; i++) {
    const b = buf[i]!;
    if (arcStart && b === 0x80) throw new DerError(field, i, 'OBJECT IDENTIFIER arc with a leading 0x80 byte (not minimal)');
    if (big !== undefined) big = big * 128n + BigInt(b & 0x7f);
    else if (value > 0x3fffffff) big = BigInt(value) * 128n + BigInt(b & 0x7f);
    else value = value * 128 + (b & 0x7f);
    arcStart = !(b & 0x80);
    if (!arcStart) continue;
    if (first) {
      // The first subidentifier holds two arcs (X.690 8.19.4).
      if (big === undefined) {
        const top = value < 80 ? Math.floor(value / 40) : 2;
        text = `${top}.${value - top * 40}`;
      } else {
        text = `2.${big - 80n}`;
      }
      first = false;
    } else {
      text += `.${big ?? value}`;
    }
    value = 0;
    big = undefined;
  }
  return text;
}

/** INTEGER content checks OpenSSL makes (c2i_ASN1_INTEGER): not empty, no padding byte. */
export function checkInteger(buf: Uint8Array, tlv: Tlv, field: string): void {
  if (tlv.tag !== 0x02) throw new DerError(field, tlv.header, `expected INTEGER, found ${tagName(tlv.tag)}`);
  if (tlv.end === tlv.start) throw new DerError(field, tlv.header, 'empty INTEGER');
  if (tlv.end - tlv.start > 1) {
    const a = buf[tlv.start]!;
    const b = buf[tlv.start + 1]! & 0x80;
    if ((a === 0 && !b) || (a === 0xff && b)) throw new DerError(field, tlv.start, 'INTEGER with a redundant leading byte (not minimal)');
  }
}

/** Bit length of a positive INTEGER's value. */
export function integerBits(buf: Uint8Array, tlv: Tlv): number {
  let start = tlv.start;
  while (start < tlv.end && buf[start] === 0) start++;
  if (start === tlv.end) return 0;
  return (tlv.end - start) * 8 - (Math.clz32(buf[start]!) - 24);
}

/** BIT STRING checks OpenSSL makes, plus DER's zero padding bits. */
export function checkBitString(buf: Uint8Array, tlv: Tlv, field: string): void {
  if (tlv.tag !== 0x03) throw new DerError(field, tlv.header, `expected BIT STRING, found ${tagName(tlv.tag)}`);
  if (tlv.end === tlv.start) throw new DerError(field, tlv.header, 'empty BIT STRING (no unused-bits byte)');
  const unused = buf[tlv.start]!;
  if (unused > 7) throw new DerError(field, tlv.start, `BIT STRING with ${unused} unused bits (at most 7)`);
  if (unused && tlv.end === tlv.start + 1) throw new DerError(field, tlv.start, 'empty BIT STRING with unused bits');
  if (unused && buf[tlv.end - 1]! & ((1 << unused) - 1)) throw new DerError(field, tlv.end - 1, 'BIT STRING padding bits not zero (not DER)');
}

/**
 * A value of type ANY (AlgorithmIdentifier parameters): the content checks OpenSSL applies to the
 * universal primitive types when it decodes one. Constructed strings are BER, not DER.
 */
export function checkAny(buf: Uint8Array, tlv: Tlv, field: string): void {
  const t = tlv.tag;
  if (t & 0xc0) return; // context, application, private: opaque to OpenSSL too
  if (t & 0x20) {
    if (t === 0x30 || t === 0x31) return;
    throw new DerError(field, tlv.header, `constructed ${tagName(t & 0x1f)} (BER, not DER)`);
  }
  const len = tlv.end - tlv.start;
  switch (t) {
    case 0x01:
      if (len !== 1) throw new DerError(field, tlv.header, `BOOLEAN of ${len} bytes`);
      return;
    case 0x02:
    case 0x0a:
      checkInteger(buf, { ...tlv, tag: 0x02 }, field);
      return;
    case 0x03:
      checkBitString(buf, tlv, field);
      return;
    case 0x05:
      if (len !== 0) throw new DerError(field, tlv.header, `NULL with ${len} content bytes`);
      return;
    case 0x06:
      decodeOid(buf, tlv, field);
      return;
    case 0x10:
    case 0x11:
      throw new DerError(field, tlv.header, tagName(t));
    case 0x1c:
      if (len % 4) throw new DerError(field, tlv.header, `UniversalString of ${len} bytes (not a multiple of 4)`);
      return;
    case 0x1e:
      if (len % 2) throw new DerError(field, tlv.header, `BMPString of ${len} bytes (odd)`);
      return;
    default:
      if (t === 0) throw new DerError(field, tlv.header, 'tag 0 (end-of-contents) outside BER');
  }
}

const tagNames: Record<number, string> = {
  0x01: 'BOOLEAN', 0x02: 'INTEGER', 0x03: 'BIT STRING', 0x04: 'OCTET STRING', 0x05: 'NULL', 0x06: 'OBJECT IDENTIFIER',
  0x0a: 'ENUMERATED', 0x0c: 'UTF8String', 0x12: 'NumericString', 0x13: 'PrintableString',
  0x14: 'T61String', 0x16: 'IA5String', 0x17: 'UTCTime', 0x18: 'GeneralizedTime', 0x1a: 'VisibleString',
  0x1c: 'UniversalString', 0x1e: 'BMPString', 0x30: 'SEQUENCE', 0x31: 'SET',
};
tagNames[0x10] = 'primitive SEQUENCE (0x10; SEQUENCE is constructed, 0x30)';
tagNames[0x11] = 'primitive SET (0x11; SET is constructed, 0x31)';

export function tagName(tag: number): string {
  const known = tagNames[tag];
  if (known) return known;
  if ((tag & 0xe0) === 0x20 && tagNames[tag & 0x1f]) return `constructed ${tagNames[tag & 0x1f]} (BER, not DER)`;
  const cls = ['universal', 'application', 'context', 'private'][tag >> 6]!;
  return `${cls}${tag & 0x20 ? ' constructed' : ''} tag ${tag & 0x1f} (0x${hex2(tag)})`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

const MIN = [0, 0, 1, 1, 0, 0, 0, 0, 0];
const MAX = [99, 99, 12, 31, 23, 59, 59, 12, 59];
const MDAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const fieldNames = ['century', 'year', 'month', 'day', 'hour', 'minute', 'second', 'zone hours', 'zone minutes'];

/**
 * UTCTime (0x17) or GeneralizedTime (0x18) to epoch milliseconds, by OpenSSL 3's rules
 * (ossl_asn1_time_to_tm, non-strict as when it reads a certificate): seconds optional, a `Z` or a
 * +hhmm/-hhmm zone, fractional seconds in GeneralizedTime (read, then dropped as OpenSSL does),
 * UTCTime years 50-99 as 19xx, every field range-checked. What OpenSSL prints as "Bad time value"
 * throws, naming the defect.
 */
export function decodeTime(buf: Uint8Array, tlv: Tlv, field: string): number {
  const utc = tlv.tag === 0x17;
  if (!utc && tlv.tag !== 0x18) throw new DerError(field, tlv.header, `expected UTCTime or GeneralizedTime, found ${tagName(tlv.tag)}`);
  const a = buf;
  const l = tlv.end;
  const bad = (at: number, why: string): DerError =>
    new DerError(field, at, `${why} in ${utc ? 'UTCTime' : 'GeneralizedTime'} "${Buffer.from(buf.subarray(tlv.start, tlv.end)).toString('latin1').replace(/[^\x20-\x7e]/g, '?')}"`);
  const end = utc ? 6 : 7;
  const btz = utc ? 5 : 6;
  if (l - tlv.start < (utc ? 11 : 13)) throw bad(tlv.header, 'too short');
  let o = tlv.start;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (let i = 0; i < end; i++) {
    const c = a[o]!;
    if (i === btz && (c === 0x5a || c === 0x2b || c === 0x2d)) break; // seconds left out
    if (!isDigit(c)) throw bad(o, `"${String.fromCharCode(c)}" where a digit belongs`);
    if (++o === l) throw bad(o, 'ends inside a field');
    if (!isDigit(a[o]!)) throw bad(o, `"${String.fromCharCode(a[o]!)}" where a digit belongs`);
    const n = (c - 48) * 10 + a[o]! - 48;
    if (++o === l) throw bad(o, 'no time zone (Z or +hhmm/-hhmm)');
    const i2 = utc ? i + 1 : i;
    if (n < MIN[i2]! || n > MAX[i2]!) throw bad(o - 2, `${fieldNames[i2]} ${n} out of range`);
    switch (i2) {
      case 0:
        year = n * 100;
        break;
      case 1:
        year = utc ? (n < 50 ? 2000 + n : 1900 + n) : year + n;
        break;
      case 2:
        month = n;
        break;
      case 3: {
        const md = month === 2 ? 28 + (isLeap(year) ? 1 : 0) : MDAYS[month - 1]!;
        if (n > md) throw bad(o - 2, `day ${n} out of range for month ${month}`);
        day = n;
        break;
      }
      case 4:
        hour = n;
        break;
      case 5:
        minute = n;
        break;
      case 6:
        second = n;
        break;
    }
  }
  if (!utc && a[o] === 0x2e) {
    if (++o === l) throw bad(o, 'no digits after the decimal point');
    const digits = o;
    while (o < l && isDigit(a[o]!)) o++;
    if (o === digits) throw bad(o, 'no digits after the decimal point');
    if (o === l) throw bad(o, 'no time zone (Z or +hhmm/-hhmm)');
  }
  let offsetSeconds = 0;
  if (a[o] === 0x5a) {
    o++;
  } else if (a[o] === 0x2b || a[o] === 0x2d) {
    const sign = a[o] === 0x2d ? 1 : -1; // -0600 is six hours behind UTC: add them back
    o++;
    if (o + 4 !== l) throw bad(o, 'zone offset not exactly hhmm at the end');
    for (let i = end; i < end + 2; i++) {
      if (!isDigit(a[o]!) || !isDigit(a[o + 1]!)) throw bad(o, 'non-digit in the zone offset');
      const n = (a[o]! - 48) * 10 + a[o + 1]! - 48;
      const i2 = utc ? i + 1 : i;
      if (n < MIN[i2]! || n > MAX[i2]!) throw bad(o, `${fieldNames[i2]} ${n} out of range`);
      offsetSeconds += i === end ? n * 3600 : n * 60;
      o += 2;
    }
    offsetSeconds *= sign;
  } else {
    throw bad(o, o < l ? `"${String.fromCharCode(a[o]!)}" where the time zone (Z or +hhmm/-hhmm) belongs` : 'no time zone (Z or +hhmm/-hhmm)');
  }
  if (o !== l) throw bad(o, `${l - o} bytes after the time zone`);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear keeps years below 100 as they are
  date.setUTCHours(hour, minute, second, 0);
  const ms = date.getTime() + offsetSeconds * 1000;
  if (offsetSeconds !== 0) {
    // OPENSSL_gmtime_adj gives up outside 1900-9999 after applying a zone offset
    const y = new Date(ms).getUTCFullYear();
    if (y < 1900 || y > 9999) throw bad(tlv.header, `year ${y} after applying the zone offset is outside 1900-9999`);
  }
  return ms;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isLeap(y: number): boolean {
  return y % 400 === 0 || (y % 100 !== 0 && y % 4 === 0);
}

export function toHex(buf: Uint8Array, tlv: Tlv): string {
  return Buffer.from(buf.buffer, buf.byteOffset + tlv.start, tlv.end - tlv.start).toString('hex');
}
