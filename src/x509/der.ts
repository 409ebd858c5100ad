/**
 * A minimal DER reader: just enough to pull out what node:crypto's X509Certificate does not expose
 * (signature algorithm, exact validity, serial bytes, a few extensions) without a full ASN.1
 * library on the inventory hot path. Throws on malformed input; callers turn that into an error.
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

export function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Error('truncated DER');
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || pos + n > buf.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  const end = pos + len;
  if (end > buf.length) throw new Error('truncated DER');
  return { tag, header: offset, start: pos, end };
}

/** The children of a constructed TLV. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const t = readTlv(buf, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

export function decodeOid(buf: Uint8Array, tlv: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const b = buf[i]!;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join('.');
}

/** UTCTime (0x17) or GeneralizedTime (0x18) to epoch milliseconds. */
export function decodeTime(buf: Uint8Array, tlv: Tlv): number {
  const s = Buffer.from(buf.subarray(tlv.start, tlv.end)).toString('latin1');
  let year: number;
  let rest: string;
  if (tlv.tag === 0x17) {
    const yy = Number(s.slice(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 4.1.2.5.1
    rest = s.slice(2);
  } else if (tlv.tag === 0x18) {
    year = Number(s.slice(0, 4));
    rest = s.slice(4);
  } else {
    throw new Error('bad DER time');
  }
  const ms = Date.UTC(year, Number(rest.slice(0, 2)) - 1, Number(rest.slice(2, 4)), Number(rest.slice(4, 6)),
    Number(rest.slice(6, 8)), Number(rest.slice(8, 10)));
  if (Number.isNaN(ms)) throw new Error('bad DER time');
  return ms;
}

export function toHex(buf: Uint8Array, tlv: Tlv): string {
  return Buffer.from(buf.subarray(tlv.start, tlv.end)).toString('hex');
}
