/**
 * What `openssl x509` says about a DER certificate, field by field, in certfleet's notation: the
 * reference the X.509 differential and mutation tests hold certfleet's parser to.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The -nameopt that prints names the way certfleet shows them (see src/x509/der-names.ts). */
export const NAMEOPT = 'utf8,sep_comma_plus_space,sname,esc_ctrl,dump_nostr,dump_der';

export interface OpensslView {
  /** false: `openssl x509` could not load the certificate at all. */
  loaded: boolean;
  serial?: string;
  subject?: string;
  issuer?: string;
  /** ISO instant, or 'bad' where OpenSSL prints "Bad time value". */
  notBefore?: string;
  notAfter?: string;
  /** One list per subjectAltName extension; undefined where OpenSSL could not decode it. */
  sanExtensions: Array<string[] | undefined>;
  keyType?: string;
  keyBits?: number;
  /** false when OpenSSL could not load the public key itself (an EC point off the curve, say). */
  keyLoaded: boolean;
  signatureAlgorithm?: string;
}

export function opensslView(der: Uint8Array, dir: string): OpensslView {
  const file = join(dir, 'view.der');
  writeFileSync(file, der);
  const r = spawnSync('openssl', ['x509', '-inform', 'DER', '-in', file, '-noout', '-serial', '-subject', '-issuer', '-dates', '-ext', 'subjectAltName',
    '-nameopt', NAMEOPT, '-dateopt', 'iso_8601', '-text', '-certopt', 'no_header,no_version,no_serial,no_issuer,no_validity,no_subject,no_aux,no_extensions,no_sigdump'], { encoding: 'latin1' });
  const view: OpensslView = { loaded: r.status === 0, sanExtensions: [], keyLoaded: true };
  if (!view.loaded) return view;
  const out = r.stdout.replace(/\\\n/g, ''); // i2a_ASN1_INTEGER breaks serials every 35 bytes
  const lines = out.split('\n');
  const utf8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const value = line.slice(line.indexOf('=') + 1);
    if (line.startsWith('serial=') && view.serial === undefined) view.serial = value.toLowerCase();
    else if (line.startsWith('subject=') && view.subject === undefined) view.subject = utf8(value);
    else if (line.startsWith('issuer=') && view.issuer === undefined) view.issuer = utf8(value);
    else if (line.startsWith('notBefore=')) view.notBefore = isoTime(value);
    else if (line.startsWith('notAfter=')) view.notAfter = isoTime(value);
    else if (/^X509v3 Subject Alternative Name:/.test(line)) view.sanExtensions.push(sanList(lines[i + 1] ?? ''));
    else if (/^\s+Signature Algorithm: /.test(line) && view.signatureAlgorithm === undefined) view.signatureAlgorithm = line.replace(/^\s+Signature Algorithm: /, '').trim();
    else if (/^\s+Public Key Algorithm: /.test(line)) view.keyType = keyTypes[line.trim().slice('Public Key Algorithm: '.length)] ?? 'unknown';
    else if (/^\s+(RSA )?Public-Key: \((\d+) bit\)/.test(line)) view.keyBits = Number(/\((\d+) bit\)/.exec(line)![1]);
    else if (/^\s+ED25519 Public-Key:/.test(line)) view.keyBits = 256;
    else if (/^\s+ED448 Public-Key:/.test(line)) view.keyBits = 456;
    else if (/Unable to load Public Key/.test(line)) view.keyLoaded = false;
  }
  return view;
}

const keyTypes: Record<string, string> = {
  rsaEncryption: 'RSA', rsassaPss: 'RSA', 'id-ecPublicKey': 'EC', ED25519: 'Ed25519', ED448: 'Ed448', dsaEncryption: 'DSA',
};

function isoTime(text: string): string {
  if (text === 'Bad time value') return 'bad';
  const m = /^\s*(\d+)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.\d+)?Z?$/.exec(text);
  if (!m) throw new Error(`unexpected openssl time ${text}`);
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  return d.toISOString();
}

/** OpenSSL's `DNS:a, IP Address:1.2.3.4, ...` in certfleet's notation; undefined for an undecodable extension. */
function sanList(line: string): string[] | undefined {
  const text = line.trim();
  if (text === '<EMPTY>' || text === '') return text === '<EMPTY>' ? [] : undefined;
  const out: string[] = [];
  for (const entry of text.split(', ')) {
    const colon = entry.indexOf(':');
    if (colon < 0) return undefined; // a hex/raw dump: OpenSSL could not decode the extension
    const kind = entry.slice(0, colon);
    const value = entry.slice(colon + 1);
    switch (kind) {
      case 'DNS':
        out.push(value);
        break;
      case 'IP Address': {
        const bad = /^<invalid length=(\d+)>$/.exec(value);
        out.push(bad ? `ip:#len${bad[1]}` : value.includes(':') ? compressIpv6(value) : value);
        break;
      }
      case 'email':
        out.push(`email:${value}`);
        break;
      case 'URI':
        out.push(`uri:${value}`);
        break;
      case 'Registered ID':
        out.push(`rid:${value}`);
        break;
      case 'othername':
        out.push(`othername:${/^ ?(.*?)::/.exec(value)?.[1] ?? value}`);
        break;
      case 'DirName':
        out.push(`dirname:${value}`);
        break;
      case 'X400Name':
        out.push('x400name');
        break;
      case 'EdiPartyName':
        out.push('edipartyname');
        break;
      default:
        return undefined;
    }
  }
  return out;
}

function compressIpv6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** certfleet's SAN list in the notation sanList() produces (odd IP lengths as a length, dirName as OpenSSL's /A=b form). */
export function comparableSans(sans: readonly string[]): string[] {
  return sans.map((s) => {
    if (s.startsWith('ip:#')) return `ip:#len${(s.length - 4) / 2}`;
    if (s.startsWith('dirname:')) return `dirname:/${s.slice(8).split(', ').join('/')}`;
    return s;
  });
}
