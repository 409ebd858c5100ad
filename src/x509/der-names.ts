/**
 * Distinguished names and subjectAltNames straight from DER. Doing this ourselves instead of
 * through node:crypto's X509Certificate makes a certificate ~20x cheaper to inventory (OpenSSL's
 * object construction dominates otherwise); tests hold the output to Node's for the same bytes.
 */
import { children, decodeOid, readTlv, type Tlv } from './der.js';

/** OpenSSL's short names, so names read the way `openssl x509 -subject` and Node print them. */
const attributeNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

export interface DecodedName {
  /** `C=US, O=Example, CN=www.example.com`, in DER order. */
  text: string;
  /** The last (most specific) CN, if any. */
  commonName: string | undefined;
}

export function decodeName(der: Uint8Array, name: Tlv): DecodedName {
  const parts: string[] = [];
  let commonName: string | undefined;
  for (const rdn of children(der, name)) {
    const values: string[] = [];
    for (const atv of children(der, rdn)) {
      const [typeTlv, valueTlv] = children(der, atv);
      if (!typeTlv || !valueTlv) throw new Error('bad name attribute');
      const oid = decodeOid(der, typeTlv);
      const value = decodeString(der, valueTlv);
      if (oid === '2.5.4.3') commonName = value;
      values.push(`${attributeNames[oid] ?? oid}=${value}`);
    }
    parts.push(values.join(' + '));
  }
  return { text: parts.join(', '), commonName };
}

function decodeString(der: Uint8Array, tlv: Tlv): string {
  const bytes = Buffer.from(der.buffer, der.byteOffset + tlv.start, tlv.end - tlv.start);
  switch (tlv.tag) {
    case 0x0c: // UTF8String
      return bytes.toString('utf8');
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x12: // NumericString
    case 0x1a: // VisibleString
      return bytes.toString('latin1');
    case 0x14: // T61String: in practice Latin-1
      return bytes.toString('latin1');
    case 0x1e: // BMPString: UTF-16BE
      return Buffer.from(bytes).swap16().toString('utf16le');
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < bytes.length; i += 4) s += String.fromCodePoint(bytes.readUInt32BE(i));
      return s;
    }
    default:
      return `#${bytes.toString('hex')}`;
  }
}

/**
 * GeneralNames of a subjectAltName extension value (the OCTET STRING's content). DNS names and
 * IP addresses come out bare (IPv6 compressed), other kinds with a prefix: `email:`, `uri:`.
 */
export function decodeSubjectAltNames(der: Uint8Array, octetString: Tlv): string[] {
  const seq = readTlv(der, octetString.start);
  const out: string[] = [];
  for (const gn of children(der, seq)) {
    const bytes = Buffer.from(der.buffer, der.byteOffset + gn.start, gn.end - gn.start);
    switch (gn.tag) {
      case 0x82:
        out.push(bytes.toString('latin1'));
        break;
      case 0x87:
        out.push(formatIp(bytes));
        break;
      case 0x81:
        out.push(`email:${bytes.toString('latin1')}`);
        break;
      case 0x86:
        out.push(`uri:${bytes.toString('latin1')}`);
        break;
      case 0xa4:
        out.push(`dirname:${decodeName(der, readTlv(der, gn.start)).text}`);
        break;
      default:
        out.push(`othername:${gn.tag.toString(16)}`);
    }
  }
  return out;
}

function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return `#${bytes.toString('hex')}`;
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
