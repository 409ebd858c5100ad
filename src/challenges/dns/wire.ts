/**
 * DNS messages on the wire: queries and responses through dns-packet, and what dns-packet cannot
 * write itself: RFC 2136 UPDATE messages (class NONE for "delete this RR", opcode 5) and the
 * position of a trailing TSIG record (to verify a response's MAC over its exact bytes).
 */
import dnsPacket from 'dns-packet';

export const TYPE = { SOA: 6, TXT: 16, TSIG: 250 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
const OPCODE_UPDATE = 5;

interface ByteCountingCodec<T> {
  encode: ((value: T, buf?: Buffer, offset?: number) => Buffer) & { bytes: number };
  decode: ((buf: Buffer, offset?: number) => T) & { bytes: number };
}
/** dns-packet exports these codecs at run time; its type definitions leave them out. */
const codecs = dnsPacket as unknown as { name: ByteCountingCodec<string>; question: ByteCountingCodec<dnsPacket.Question> };

export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
};

export function rcodeName(code: number): string {
  return RCODE_NAMES[code] ?? `RCODE${code}`;
}

/** Lower-case, one trailing dot: the form names are compared and signed in. */
export function absoluteName(name: string): string {
  const trimmed = name.replace(/\.+$/, '').toLowerCase();
  return `${trimmed}.`;
}

/** Uncompressed wire form of a name (labels + root); TSIG signs names this way. */
export function encodeName(name: string): Buffer {
  return Buffer.from(codecs.name.encode(absoluteName(name)));
}

export function writeUint16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value);
  return buf;
}

export function writeUint32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value);
  return buf;
}

/** A resource record from parts: name, type, class, TTL, and already-encoded RDATA. */
export function encodeRecord(name: string, type: number, klass: number, ttl: number, rdata: Buffer): Buffer {
  return Buffer.concat([encodeName(name), writeUint16(type), writeUint16(klass), writeUint32(ttl), writeUint16(rdata.length), rdata]);
}

/** TXT RDATA for one value (<= 255 bytes: ACME values are 43). */
export function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > 255) throw new Error(`TXT value longer than 255 bytes: ${value.slice(0, 20)}...`);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
}

export interface UpdateChange {
  action: 'add' | 'delete';
  name: string;
  ttl: number;
  txt: string;
}

/**
 * An RFC 2136 UPDATE: zone section (zone, SOA, IN), no prerequisites, and the changes: an add is
 * the RR in class IN; deleting one exact RR is class NONE, TTL 0, same RDATA (section 2.5.4), so a
 * second TXT value at the same name (wildcard + base domain) stays.
 */
export function encodeUpdate(id: number, zone: string, changes: UpdateChange[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2);
  header.writeUInt16BE(1, 4); // ZOCOUNT
  header.writeUInt16BE(0, 6); // PRCOUNT
  header.writeUInt16BE(changes.length, 8); // UPCOUNT
  header.writeUInt16BE(0, 10); // ADCOUNT
  const zoneSection = Buffer.concat([encodeName(zone), writeUint16(TYPE.SOA), writeUint16(CLASS.IN)]);
  const updates = changes.map((c) =>
    c.action === 'add' ? encodeRecord(c.name, TYPE.TXT, CLASS.IN, c.ttl, txtRdata(c.txt)) : encodeRecord(c.name, TYPE.TXT, CLASS.NONE, 0, txtRdata(c.txt)),
  );
  return Buffer.concat([header, zoneSection, ...updates]);
}

/**
 * A query; without recursion unless asked for: authoritative servers are asked plainly, and only a
 * resolver (to find a zone's name servers) is asked to recurse.
 */
export function encodeQuery(id: number, name: string, type: 'SOA' | 'TXT' | 'NS' | 'A' | 'AAAA', recursionDesired = false): Buffer {
  const flags = recursionDesired ? dnsPacket.RECURSION_DESIRED : 0;
  return Buffer.from(dnsPacket.encode({ type: 'query', id, flags, questions: [{ type, name: absoluteName(name).slice(0, -1), class: 'IN' }] }));
}

export function messageId(message: Buffer): number {
  return message.readUInt16BE(0);
}

export function isTruncated(message: Buffer): boolean {
  return message.length >= 4 && (message.readUInt16BE(2) & 0x0200) !== 0;
}

/** The 4-bit RCODE from the header (TSIG errors are in the TSIG record, see parseTsigRecord). */
export function headerRcode(message: Buffer): number {
  return message.readUInt16BE(2) & 0x000f;
}

export interface TrailingRecord {
  /** Offset where the last additional record starts. */
  offset: number;
  name: string;
  type: number;
  klass: number;
  rdata: Buffer;
}

/** The last record of the additional section (where TSIG must be), or undefined if there is none. */
export function lastAdditional(message: Buffer): TrailingRecord | undefined {
  const counts = [message.readUInt16BE(4), message.readUInt16BE(6), message.readUInt16BE(8), message.readUInt16BE(10)] as const;
  if (counts[3] === 0) return undefined;
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) {
    codecs.question.decode(message, offset);
    offset += codecs.question.decode.bytes;
  }
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records - 1; i++) offset = skipRecord(message, offset);
  const start = offset;
  const name = codecs.name.decode(message, offset);
  offset += codecs.name.decode.bytes;
  const type = message.readUInt16BE(offset);
  const klass = message.readUInt16BE(offset + 2);
  const length = message.readUInt16BE(offset + 8);
  const rdata = message.subarray(offset + 10, offset + 10 + length);
  if (rdata.length !== length) throw new Error('truncated DNS message');
  return { offset: start, name, type, klass, rdata };
}

function skipRecord(message: Buffer, offset: number): number {
  codecs.name.decode(message, offset);
  const after = offset + codecs.name.decode.bytes;
  return after + 10 + message.readUInt16BE(after + 8);
}

export type DecodedMessage = dnsPacket.DecodedPacket;
export type DecodedRecord = dnsPacket.Answer;

export function decodeMessage(message: Buffer): DecodedMessage {
  return dnsPacket.decode(message);
}

/** The string data of A, AAAA, NS (and other name/address) records of `type` in a section. */
export function stringRecords(records: DecodedRecord[] | undefined, type: dnsPacket.StringRecordType): Array<{ name: string; data: string }> {
  return (records ?? []).filter((r): r is dnsPacket.StringAnswer => r.type === type).map((r) => ({ name: r.name, data: r.data }));
}

/** TXT strings at `name` in a response's answer section (multi-string TXT joined, as validators do). */
export function txtValues(message: DecodedMessage, name: string): string[] {
  const wanted = absoluteName(name);
  return (message.answers ?? [])
    .filter((a): a is dnsPacket.TxtAnswer => a.type === 'TXT' && absoluteName(a.name) === wanted)
    .map((a) => {
      const data = a.data;
      const parts = Array.isArray(data) ? data : [data];
      return parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
    });
}
