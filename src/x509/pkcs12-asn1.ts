/**
 * Checked access to the ASN.1 tree that node-forge parses a PKCS#12 file into: every step checks a
 * node's class, tag and shape, so corrupt data gives a short KeystoreFormatError naming the part,
 * never a TypeError from deep inside the reader.
 *
 * node-forge stays in pkcs12.ts, the one module allowed to import it: this file sees forge's nodes
 * only through the `Asn1` shape below, and forge's parser, encoder and OID decoder only through the
 * `Asn1Codec` that pkcs12.ts hands in.
 */
import { KeystoreFormatError } from './keystore-types.js';

/**
 * The fields of node-forge's `asn1.Asn1` this reader looks at; forge's nodes fit it as they are.
 * A primitive node's value is its content octets as a latin1 string, a constructed node's its children.
 */
export interface Asn1 {
  tagClass: number;
  type: number;
  value: string | Asn1[];
}

/** What the reader needs node-forge's ASN.1 code for (BER tolerance: Windows writes indefinite lengths). */
export interface Asn1Codec {
  /** Parse BER or DER; throws forge's own error on malformed input. */
  fromDer(bytes: Uint8Array): Asn1;
  /** Encode a node that `fromDer` produced back to DER. */
  toDer(node: Asn1): Buffer;
  /** The dotted form of an OBJECT IDENTIFIER's content octets. */
  oidText(content: string): string;
}

/** The universal tag numbers used here (X.680); the same values as forge's asn1.Type. */
export const asn1Tag = {
  INTEGER: 2,
  OCTET_STRING: 4,
  OID: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
} as const;

const UNIVERSAL = 0x00;
const CONTEXT_SPECIFIC = 0x80;

export class Asn1Reader {
  constructor(private readonly codec: Asn1Codec) {}

  parse(bytes: Uint8Array, what: string): Asn1 {
    try {
      return this.codec.fromDer(bytes);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/\.$/, '') : 'unreadable';
      throw new KeystoreFormatError(`corrupt ${what}: ${reason.includes('bytes') ? 'truncated or malformed ASN.1' : reason}`);
    }
  }

  /** For decrypted data, where malformed ASN.1 means "wrong password", not "corrupt file". */
  tryParse(bytes: Buffer): Asn1 | undefined {
    try {
      return this.parse(bytes, 'decrypted data');
    } catch {
      return undefined;
    }
  }

  toDer(node: Asn1): Buffer {
    return this.codec.toDer(node);
  }

  sequence(node: Asn1 | undefined, what: string): Asn1[] {
    if (!isUniversal(node, asn1Tag.SEQUENCE) || !Array.isArray(node.value)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not a SEQUENCE`);
    return node.value;
  }

  setOf(node: Asn1, what: string): Asn1[] {
    if (!isUniversal(node, asn1Tag.SET) || !Array.isArray(node.value)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not a SET`);
    return node.value;
  }

  oid(node: Asn1 | undefined, what: string): string {
    if (!isUniversal(node, asn1Tag.OID) || typeof node.value !== 'string') throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an OID`);
    return this.codec.oidText(node.value);
  }

  integer(node: Asn1 | undefined, what: string): number {
    if (!isUniversal(node, asn1Tag.INTEGER) || typeof node.value !== 'string' || node.value.length === 0) {
      throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an INTEGER`);
    }
    const bytes = Buffer.from(node.value, 'latin1');
    if (bytes[0]! & 0x80) return -1; // negative: never valid here
    let value = 0;
    for (const b of bytes) {
      value = value * 256 + b;
      if (value > Number.MAX_SAFE_INTEGER / 256) return Number.MAX_SAFE_INTEGER;
    }
    return value;
  }

  /** The content of an OCTET STRING, including BER's constructed (chunked) form. */
  octets(node: Asn1 | undefined, what: string): Buffer {
    if (!isUniversal(node, asn1Tag.OCTET_STRING)) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not an OCTET STRING`);
    return this.concatChunks(node, what);
  }

  /** `[0] IMPLICIT OCTET STRING`: context tag 0, primitive or constructed. */
  implicitOctets(node: Asn1, what: string): Buffer {
    if (node.tagClass !== CONTEXT_SPECIFIC || node.type !== 0) throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not [0]`);
    return this.concatChunks(node, what);
  }

  explicitZero(node: Asn1 | undefined, what: string): Asn1 {
    if (!node || node.tagClass !== CONTEXT_SPECIFIC || node.type !== 0 || !Array.isArray(node.value) || !node.value[0]) {
      throw new KeystoreFormatError(`corrupt PKCS#12: ${what} is not [0] EXPLICIT`);
    }
    return node.value[0];
  }

  private concatChunks(node: Asn1, what: string): Buffer {
    if (typeof node.value === 'string') return Buffer.from(node.value, 'latin1');
    return Buffer.concat(node.value.map((chunk) => this.octets(chunk, what)));
  }
}

function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return node !== undefined && node.tagClass === UNIVERSAL && node.type === type;
}
