/**
 * The byte formats of Java's DataOutputStream, which both Java keystores (JKS, JCEKS) and Java's
 * object serialisation are written with: big-endian integers, length-prefixed modified UTF-8
 * strings, and chars as UTF-16BE. Reading is bounds-checked so that a truncated or crafted file
 * becomes a KeystoreFormatError, never a RangeError.
 */
import { KeystoreFormatError } from './keystore-types.js';

/** Bounds-checked big-endian reads; `name` (say "JKS") goes into the error messages. */
export class JavaDataReader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
    private readonly name: string,
  ) {}

  remaining(): number {
    return this.bytes.length - this.offset;
  }

  take(n: number): Buffer {
    if (n < 0 || n > this.remaining()) throw new KeystoreFormatError(`truncated ${this.name} at byte ${this.offset}`);
    const out = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  /** u32 length, then that many bytes. */
  block(): Buffer {
    return this.take(this.u32());
  }

  /** DataOutputStream.writeUTF: u16 length, then modified UTF-8. */
  utf(): string {
    return decodeModifiedUtf8(this.take(this.u16()), this.name);
  }
}

/** Java's modified UTF-8: at most three bytes per UTF-16 unit (surrogates encoded separately), NUL as C0 80. */
export function decodeModifiedUtf8(bytes: Buffer, name: string): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if ((b & 0xe0) === 0xc0 && i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80) {
      units.push(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else if ((b & 0xf0) === 0xe0 && i + 2 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80) {
      units.push(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    } else {
      throw new KeystoreFormatError(`corrupt ${name}: malformed string`);
    }
  }
  let out = '';
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096));
  return out;
}

/** Java chars as big-endian 16-bit units, no terminator (DataOutputStream.writeChars): how JKS hashes a password. */
export function utf16be(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return out;
}
