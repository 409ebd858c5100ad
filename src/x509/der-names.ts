/**
 * Distinguished names and subjectAltNames straight from DER. Doing this ourselves instead of
 * through node:crypto's X509Certificate makes a certificate ~20x cheaper to inventory (OpenSSL's
 * object construction dominates otherwise).
 *
 * A name reads as `openssl x509 -subject -nameopt utf8,sep_comma_plus_space,sname,esc_ctrl,
 * dump_nostr,dump_der` prints it: RDNs in DER order joined by ", ", multi-valued RDNs by " + ",
 * OpenSSL's short attribute names (the OID where OpenSSL has none), control characters as \XX and
 * a backslash as \\ (so a name cannot rewrite a terminal), values of non-string types as # and the
 * hex of their DER. Values OpenSSL refuses to load (a surrogate in a BMPString, invalid UTF-8, an
 * INTEGER where a string belongs) are errors here too.
 */
import { checkBitString, children, decodeOid, DerError, onlyChild, tagName, type Tlv } from './der.js';
import { opensslObject } from './openssl-objects.js';

/** The attribute names certificates use most, to skip the table lookup on the hot path. */
const commonAttributeNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

export function attributeName(oid: string): string {
  return commonAttributeNames[oid] ?? opensslObject(oid)?.sn ?? oid.slice(0, 79); // OpenSSL's 80-byte buffer
}

export interface DecodedName {
  /** `C=US, O=Example, CN=www.example.com`, in DER order. */
  text: string;
  /** The last (most specific) CN, if any, unescaped. */
  commonName: string | undefined;
}

export function decodeName(der: Uint8Array, name: Tlv, field: string): DecodedName {
  if (name.tag !== 0x30) throw new DerError(field, name.header, `expected a Name (SEQUENCE), found ${tagName(name.tag)}`);
  let text = '';
  let commonName: string | undefined;
  for (const rdn of children(der, name, field)) {
    if (rdn.tag !== 0x31) throw new DerError(field, rdn.header, `expected an RDN (SET), found ${tagName(rdn.tag)}`);
    let first = true;
    // An empty RDN holds no attribute, and OpenSSL prints nothing for it.
    for (const atv of children(der, rdn, field)) {
      if (atv.tag !== 0x30) throw new DerError(field, atv.header, `expected an attribute (SEQUENCE), found ${tagName(atv.tag)}`);
      const parts = children(der, atv, field);
      if (parts.length !== 2) throw new DerError(field, atv.header, `attribute with ${parts.length} parts (a type and a value expected)`);
      const oid = decodeOid(der, parts[0]!, field);
      const value = decodeAttributeValue(der, parts[1]!, field);
      if (oid === '2.5.4.3') commonName = value.plain;
      if (text) text += first ? ', ' : ' + ';
      text += `${attributeName(oid)}=${value.shown}`;
      first = false;
    }
  }
  return { text, commonName };
}

/**
 * The string types OpenSSL accepts as an attribute value (B_ASN1_PRINTABLE in its X509_NAME_ENTRY
 * template) and how it prints them: 'text' decodes to characters, 'dump' prints # and the DER hex.
 */
const valueKinds: Record<number, 'text' | 'dump'> = {
  0x0c: 'text', // UTF8String
  0x12: 'text', // NumericString
  0x13: 'text', // PrintableString
  0x14: 'text', // T61String (OpenSSL reads it as Latin-1)
  0x16: 'text', // IA5String
  0x1c: 'text', // UniversalString
  0x1e: 'text', // BMPString
  0x03: 'dump', // BIT STRING
  0x07: 'dump', // ObjectDescriptor
  0x08: 'dump', // EXTERNAL
  0x09: 'dump', // REAL
  0x0b: 'dump', // EMBEDDED PDV
  0x0d: 'dump', // RELATIVE-OID
  0x0e: 'dump',
  0x0f: 'dump',
  0x1d: 'dump', // CHARACTER STRING
  0x30: 'dump', // SEQUENCE
};

function decodeAttributeValue(der: Uint8Array, tlv: Tlv, field: string): { plain: string; shown: string } {
  const kind = valueKinds[tlv.tag];
  if (!kind) {
    const why = (tlv.tag & 0x20) && valueKinds[tlv.tag & 0x1f] ? ' (a constructed string: BER, not DER)' : ', which OpenSSL does not accept in a name';
    throw new DerError(field, tlv.header, `attribute value of type ${tagName(tlv.tag)}${why}`);
  }
  if (kind === 'dump') {
    if (tlv.tag === 0x03) checkBitString(der, tlv, field);
    const shown = `#${Buffer.from(der.buffer, der.byteOffset + tlv.header, tlv.end - tlv.header).toString('hex').toUpperCase()}`;
    return { plain: shown, shown };
  }
  const plain = decodeString(der, tlv, field);
  return { plain, shown: escapeControls(plain) };
}

/** Characters of a string-typed value, validated as OpenSSL validates them when it loads a name. */
export function decodeString(der: Uint8Array, tlv: Tlv, field: string): string {
  const bytes = Buffer.from(der.buffer, der.byteOffset + tlv.start, tlv.end - tlv.start);
  switch (tlv.tag) {
    case 0x0c:
      return decodeUtf8(bytes, tlv, field);
    case 0x1e: {
      if (bytes.length % 2) throw new DerError(field, tlv.header, `BMPString of ${bytes.length} bytes (odd)`);
      let s = '';
      for (let i = 0; i < bytes.length; i += 2) {
        const unit = bytes.readUInt16BE(i);
        // OpenSSL reads a BMPString as UCS-2: a surrogate is not a character, and the name fails to load.
        if (unit >= 0xd800 && unit <= 0xdfff) throw new DerError(field, tlv.start + i, `BMPString holds surrogate U+${unit.toString(16).toUpperCase()} (UCS-2 has no surrogates)`);
        s += String.fromCharCode(unit);
      }
      return s;
    }
    case 0x1c: {
      if (bytes.length % 4) throw new DerError(field, tlv.header, `UniversalString of ${bytes.length} bytes (not a multiple of 4)`);
      let s = '';
      for (let i = 0; i < bytes.length; i += 4) {
        const cp = bytes.readUInt32BE(i);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new DerError(field, tlv.start + i, `UniversalString holds 0x${cp.toString(16).toUpperCase()}, not a Unicode character`);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      // PrintableString, IA5String, NumericString, T61String: one byte a character, as OpenSSL prints them.
      return bytes.toString('latin1');
  }
}

function decodeUtf8(bytes: Buffer, tlv: Tlv, field: string): string {
  const bad = utf8ErrorAt(bytes);
  if (bad >= 0) throw new DerError(field, tlv.start + bad, 'invalid UTF-8 in a UTF8String');
  return bytes.toString(bytes.length && isAscii(bytes) ? 'latin1' : 'utf8');
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! & 0x80) return false;
  return true;
}

/** Offset of the first malformed sequence, or -1: OpenSSL's rules (no overlong forms, no surrogates, at most U+10FFFF). */
function utf8ErrorAt(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (n < 0 || c > 0xf4 || i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k]!;
      if ((cc & 0xc0) !== 0x80) return i;
      cp = cp * 64 + (cc & 0x3f);
    }
    if (cp < [0, 0x80, 0x800, 0x10000][n]! || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}


/** OpenSSL's esc_ctrl: control characters as \XX, and then the backslash itself as \\. */
export function escapeControls(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length && clean; i++) {
    const c = s.charCodeAt(i);
    clean = c >= 0x20 && c !== 0x7f && c !== 0x5c;
  }
  if (clean) return s;
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '\\') out += '\\\\';
    else if (c < 0x20 || c === 0x7f) out += `\\${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * GeneralNames of a subjectAltName extension value (the OCTET STRING). DNS names and IP addresses
 * come out bare (IPv6 compressed), other kinds with a prefix: `email:`, `uri:`, `dirname:`,
 * `rid:`, `othername:<type>`, `x400name`, `edipartyname`; an IP address of a length other than 4
 * or 16 as `ip:#<hex>`. Throws a DerError for a malformed value (the caller keeps the certificate).
 */
export function decodeSubjectAltNames(der: Uint8Array, octetString: Tlv, field = 'subjectAltName'): string[] {
  const seq = onlyChild(der, octetString, field);
  if (seq.tag !== 0x30) throw new DerError(field, seq.header, `expected GeneralNames (SEQUENCE), found ${tagName(seq.tag)}`);
  const out: string[] = [];
  for (const gn of children(der, seq, field)) {
    const bytes = Buffer.from(der.buffer, der.byteOffset + gn.start, gn.end - gn.start);
    switch (gn.tag) {
      case 0x82:
        out.push(escapeControls(bytes.toString('latin1')));
        break;
      case 0x87:
        out.push(formatIp(bytes));
        break;
      case 0x81:
        out.push(`email:${escapeControls(bytes.toString('latin1'))}`);
        break;
      case 0x86:
        out.push(`uri:${escapeControls(bytes.toString('latin1'))}`);
        break;
      case 0xa4:
        out.push(`dirname:${decodeName(der, onlyChild(der, gn, field), field).text}`);
        break;
      case 0x88:
        out.push(`rid:${objectLongName(decodeOid(der, { ...gn, tag: 0x06 }, field))}`);
        break;
      case 0xa0: {
        // OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
        const parts = children(der, gn, field);
        if (parts.length !== 2 || parts[1]!.tag !== 0xa0) throw new DerError(field, gn.header, 'otherName is not a type and an [0] value');
        onlyChild(der, parts[1]!, field);
        const oid = decodeOid(der, parts[0]!, field);
        out.push(`othername:${otherNameLabels[oid] ?? objectLongName(oid)}`);
        break;
      }
      case 0xa3:
        children(der, gn, field);
        out.push('x400name');
        break;
      case 0xa5:
        children(der, gn, field);
        out.push('edipartyname');
        break;
      default:
        throw new DerError(field, gn.header, `GeneralName of unknown kind ${tagName(gn.tag)}`);
    }
  }
  return out;
}

/** The labels `openssl x509 -ext subjectAltName` gives the otherName types it knows. */
const otherNameLabels: Record<string, string> = {
  '1.3.6.1.4.1.311.20.2.3': 'UPN',
  '1.3.6.1.5.5.7.8.9': 'SmtpUTF8Mailbox',
  '1.3.6.1.5.5.7.8.5': 'XmppAddr',
  '1.3.6.1.5.5.7.8.7': 'SRVName',
  '1.3.6.1.5.5.7.8.8': 'NAIRealm',
};

function objectLongName(oid: string): string {
  return opensslObject(oid)?.ln ?? oid;
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) return `ip:#${bytes.toString('hex')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
