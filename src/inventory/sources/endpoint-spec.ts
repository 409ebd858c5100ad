/**
 * Endpoint specs as users write them: `host:port[,sni=NAME][,starttls=PROTO]`, IPv6 in brackets
 * (`[::1]:443`). The port is always required: guessing it from the STARTTLS protocol would make
 * `mail.example.com,starttls=smtp` mean port 25 to one reader and 587 to another.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { domainToASCII } from 'node:url';
import { UsageError } from '../../errors.js';
import type { StartTlsProtocol } from '../model.js';
import type { EndpointSpec } from './endpoint-types.js';

export const startTlsProtocols: readonly StartTlsProtocol[] = ['smtp', 'imap', 'pop3', 'ftp', 'postgres', 'ldap', 'xmpp'];

const optionKeys = ['sni', 'starttls'] as const;
type OptionKey = (typeof optionKeys)[number];

const EXAMPLE = 'write host:port[,sni=NAME][,starttls=PROTO], e.g. mail.example.com:25,starttls=smtp';

/** Parse one spec. Throws UsageError naming the part that is wrong. */
export function parseEndpointSpec(text: string): EndpointSpec {
  const raw = text.trim();
  if (raw === '') throw new UsageError('empty endpoint spec', EXAMPLE);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    throw new UsageError(`endpoint '${raw}' looks like a URL: drop the scheme and path`, EXAMPLE);
  }
  const [address = '', ...options] = raw.split(',');
  const { host, port } = parseAddress(address.trim(), raw);
  const spec: EndpointSpec = { host, port, raw };
  const seen = new Set<OptionKey>();
  for (const option of options) {
    const { key, value } = parseOption(option.trim(), raw);
    if (seen.has(key)) throw new UsageError(`option '${key}' given twice in endpoint '${raw}'`, EXAMPLE);
    seen.add(key);
    if (key === 'sni') spec.sni = parseSni(value, raw);
    else spec.starttls = parseStartTls(value, raw);
  }
  return spec;
}

/**
 * One spec a line; blank lines and `#` comments (whole-line or trailing) are skipped. A bad line
 * does not stop the others: it becomes an error naming `file:line`.
 */
export function parseEndpointsFile(
  content: string,
  fileName: string,
): { specs: EndpointSpec[]; errors: { source: string; message: string }[] } {
  const specs: EndpointSpec[] = [];
  const errors: { source: string; message: string }[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    // '#' can never be part of a valid spec, so everything after it is a comment.
    const hash = line.indexOf('#');
    const text = (hash >= 0 ? line.slice(0, hash) : line).trim();
    if (text === '') return;
    try {
      specs.push(parseEndpointSpec(text));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      errors.push({ source: `${fileName}:${index + 1}`, message: err.message });
    }
  });
  return { specs, errors };
}

/** The name to send as SNI: the sni option, else the host when it is a DNS name. Never an IP (RFC 6066 3). */
export function serverNameFor(spec: EndpointSpec): string | undefined {
  if (spec.sni !== undefined) return spec.sni;
  if (isIP(spec.host) !== 0) return undefined;
  // SNI carries the name without the root dot.
  return spec.host.replace(/\.$/, '');
}

/** The name the leaf certificate must match: the SNI when given, else the host. */
export function expectedNameFor(spec: EndpointSpec): string {
  return spec.sni ?? spec.host.replace(/\.$/, '');
}

function parseAddress(address: string, raw: string): { host: string; port: number } {
  if (address === '') throw new UsageError(`missing host in endpoint '${raw}'`, EXAMPLE);
  let host: string;
  let portText: string | undefined;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) throw new UsageError(`unclosed '[' in endpoint '${raw}'`, 'write IPv6 addresses as [::1]:443');
    host = address.slice(1, close);
    const rest = address.slice(close + 1);
    if (rest === '') portText = undefined;
    else if (rest.startsWith(':')) portText = rest.slice(1);
    else throw new UsageError(`unexpected '${rest}' after ']' in endpoint '${raw}'`, 'write IPv6 addresses as [::1]:443');
    if (!isIPv6(host)) throw new UsageError(`'${host}' in endpoint '${raw}' is not an IPv6 address`, 'write IPv6 addresses as [::1]:443');
  } else {
    const colons = address.split(':').length - 1;
    if (colons > 1) {
      throw new UsageError(`IPv6 address '${address}' in endpoint '${raw}' needs brackets`, 'write IPv6 addresses as [::1]:443');
    }
    const colon = address.indexOf(':');
    host = colon < 0 ? address : address.slice(0, colon);
    portText = colon < 0 ? undefined : address.slice(colon + 1);
    host = parseHostName(host, raw);
  }
  if (portText === undefined) {
    throw new UsageError(`missing port in endpoint '${raw}'`, `add the port, e.g. ${address}:443`);
  }
  return { host, port: parsePort(portText, raw) };
}

function parseHostName(host: string, raw: string): string {
  if (host === '') throw new UsageError(`missing host in endpoint '${raw}'`, EXAMPLE);
  if (isIPv4(host)) return host;
  // Accept internationalised names and send their ASCII (punycode) form, which is what DNS and SNI carry.
  const ascii = /^[\x21-\x7e]*$/.test(host) ? host.toLowerCase() : domainToASCII(host);
  if (!isDnsName(ascii)) throw new UsageError(`'${host}' in endpoint '${raw}' is not a valid host name or IP address`, EXAMPLE);
  return ascii;
}

/** LDH labels (underscore tolerated: it exists in real internal names), 1-63 octets, 253 in all, optional root dot. */
function isDnsName(name: string): boolean {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare === '' || bare.length > 253) return false;
  // An all-numeric dotted name is a mistyped IPv4 address, not a host name.
  if (/^[\d.]+$/.test(bare)) return false;
  return bare.split('.').every((label) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(label));
}

function parsePort(text: string, raw: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new UsageError(`bad port '${text}' in endpoint '${raw}': expected a number from 1 to 65535`, EXAMPLE);
  }
  return port;
}

function parseOption(option: string, raw: string): { key: OptionKey; value: string } {
  const eq = option.indexOf('=');
  if (option === '') throw new UsageError(`empty option (stray ',') in endpoint '${raw}'`, EXAMPLE);
  if (eq < 0) throw new UsageError(`option '${option}' in endpoint '${raw}' has no value (write key=value)`, EXAMPLE);
  const key = option.slice(0, eq).trim().toLowerCase();
  const value = option.slice(eq + 1).trim();
  if (!(optionKeys as readonly string[]).includes(key)) {
    throw new UsageError(`unknown option '${key}' in endpoint '${raw}' (known: ${optionKeys.join(', ')})`, EXAMPLE);
  }
  if (value === '') throw new UsageError(`option '${key}' in endpoint '${raw}' has an empty value`, EXAMPLE);
  return { key: key as OptionKey, value };
}

function parseSni(value: string, raw: string): string {
  if (isIP(value.replace(/^\[|\]$/g, '')) !== 0) {
    throw new UsageError(`sni '${value}' in endpoint '${raw}' is an IP address; SNI carries DNS names only`, 'leave sni out to connect without SNI');
  }
  const ascii = /^[\x21-\x7e]*$/.test(value) ? value.toLowerCase() : domainToASCII(value);
  if (!isDnsName(ascii)) throw new UsageError(`sni '${value}' in endpoint '${raw}' is not a valid DNS name`, EXAMPLE);
  return ascii.replace(/\.$/, '');
}

function parseStartTls(value: string, raw: string): StartTlsProtocol {
  const proto = value.toLowerCase();
  if (!(startTlsProtocols as readonly string[]).includes(proto)) {
    throw new UsageError(
      `unknown STARTTLS protocol '${value}' in endpoint '${raw}' (known: ${startTlsProtocols.join(', ')})`,
      'for implicit TLS (e.g. SMTPS on 465, IMAPS on 993) leave starttls out',
    );
  }
  return proto as StartTlsProtocol;
}
