/**
 * A tiny DER writer for tests: certificates with any field, valid or not, built byte by byte so a
 * test can make exactly the oddity it is about (a zone-offset time, a negative serial, an empty
 * RDN, an extension whose OCTET STRING is empty). Signatures are dummies: `openssl x509` and
 * certfleet read certificates without verifying them.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export type Der = Uint8Array;

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One TLV; `tag` is the whole identifier byte. */
export function tlv(tag: number, ...content: Der[]): Der {
  const body = Buffer.concat(content);
  return new Uint8Array([tag, ...lengthBytes(body.length), ...body]);
}

export const seq = (...c: Der[]): Der => tlv(0x30, ...c);
export const set = (...c: Der[]): Der => tlv(0x31, ...c);
export const raw = (hex: string): Der => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
export const octets = (...c: Der[]): Der => tlv(0x04, ...c);
export const nul = (): Der => tlv(0x05);
export const bool = (v: boolean): Der => tlv(0x01, new Uint8Array([v ? 0xff : 0]));
export const bits = (bytes: Der, unused = 0): Der => tlv(0x03, new Uint8Array([unused]), bytes);
export const ctx = (n: number, ...c: Der[]): Der => tlv(0xa0 | n, ...c);
export const ctxPrim = (n: number, bytes: Der): Der => tlv(0x80 | n, bytes);
export const str = (tag: number, s: string | Der): Der => tlv(tag, typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
export const utf8 = (s: string): Der => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Der => str(0x13, s);
export const bmp = (s: string): Der => tlv(0x1e, Buffer.from(s, 'utf16le').swap16());
export const utc = (s: string): Der => str(0x17, s);
export const gen = (s: string): Der => str(0x18, s);

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map((p) => BigInt(p));
  const values = [parts[0]! * 40n + parts[1]!, ...parts.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const chunk: number[] = [v & 0x7fn].map(Number);
    for (let x = v >> 7n; x > 0n; x >>= 7n) chunk.unshift(Number((x & 0x7fn) | 0x80n));
    out.push(...chunk);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** An INTEGER from a bigint, minimal two's complement. */
export function int(value: bigint | number): Der {
  let v = BigInt(value);
  const out: number[] = [];
  if (v === 0n) return tlv(0x02, new Uint8Array([0]));
  if (v > 0n) {
    while (v > 0n) {
      out.unshift(Number(v & 0xffn));
      v >>= 8n;
    }
    if (out[0]! & 0x80) out.unshift(0);
  } else {
    while (v < -1n || out.length === 0 || !(out[0]! & 0x80)) {
      out.unshift(Number(v & 0xffn));
      v >>= 8n;
      if (v === -1n && out[0]! & 0x80) break;
    }
  }
  return tlv(0x02, new Uint8Array(out));
}

/** A Name from [type OID, value TLV] attributes; each inner array is one RDN. */
export function name(...rdns: Array<Array<[string, Der]>>): Der {
  return seq(...rdns.map((rdn) => set(...rdn.map(([type, value]) => seq(oid(type), value)))));
}

export const cn = (s: string): Der => name([['2.5.4.3', utf8(s)]]);

export function extension(oidText: string, value: Der, critical = false): Der {
  return seq(oid(oidText), ...(critical ? [bool(true)] : []), octets(value));
}

/** GeneralNames of a subjectAltName: [context tag number, content] pairs, e.g. [2, 'host'] for a dNSName. */
export function sanValue(...names: Array<[number, string | Der]>): Der {
  return seq(
    ...names.map(([n, v]) =>
      n === 0 || n === 4 || n === 5 ? ctx(n, typeof v === 'string' ? raw(v) : v) : ctxPrim(n, typeof v === 'string' ? Buffer.from(v, 'latin1') : v),
    ),
  );
}

export interface CertificateFields {
  /** Explicit version field ([0] INTEGER); undefined writes v3, null writes none (v1). */
  version?: number | null;
  serial?: Der;
  signature?: Der;
  /** The outer signatureAlgorithm; the TBS one unless given. */
  outerSignature?: Der;
  issuer?: Der;
  notBefore?: Der;
  notAfter?: Der;
  subject?: Der;
  spki?: Der;
  /** Extension TLVs (see extension()); empty or undefined writes no [3]. */
  extensions?: Der[];
}

export const sha256WithRsa = (): Der => seq(oid('1.2.840.113549.1.1.11'), nul());
export const ecdsaSha256 = (): Der => seq(oid('1.2.840.10045.4.3.2'));

let defaultSpki: Der | undefined;

/** SubjectPublicKeyInfo DER of a key object. */
export function spkiOf(key: KeyObject): Der {
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

export function certificate(fields: CertificateFields = {}): Der {
  defaultSpki ??= spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const sigAlg = fields.signature ?? ecdsaSha256();
  const tbs = seq(
    ...(fields.version === null ? [] : [ctx(0, int(fields.version ?? 2))]),
    fields.serial ?? int(0x1234),
    sigAlg,
    fields.issuer ?? cn('Test Issuer'),
    seq(fields.notBefore ?? utc('250101000000Z'), fields.notAfter ?? utc('260101000000Z')),
    fields.subject ?? cn('leaf.test'),
    fields.spki ?? defaultSpki,
    ...(fields.extensions?.length ? [ctx(3, seq(...fields.extensions))] : []),
  );
  return seq(tbs, fields.outerSignature ?? sigAlg, bits(new Uint8Array(64).fill(0x5a)));
}
