/**
 * The dns-persist-01 validation record as data: its name, its text, and reading it back, as
 * draft-ietf-acme-dns-persist-02 (20 September 2026) defines them:
 *   _validation-persist.<FQDN> TXT "<issuer-domain-name>; accounturi=<uri>[; policy=wildcard][; persistUntil=<unix time>]"
 * The text is an RFC 8659 issue-value (section 4.1 item 1): an issuer domain name, then `tag=value`
 * parameters separated by ";". accounturi is, in -02, a hashed URI
 * `<accountHashPrefix>sha-256/<base64url SHA-256(len(domain) || domain || thumbprint || account URL)>`
 * (section 4.1 item 3), advertised through the directory's meta.accountHashPrefix; in -01 it was
 * the account URL itself. A CA that advertises accountHashPrefix gets the -02 form; one that does
 * not (deployed against -00/-01) gets the account URL. Pure functions: no DNS, no clock.
 */
import { createHash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { ChallengeError } from '../errors.js';

export const PERSIST_LABEL = '_validation-persist';
/** Section 3.1: at most 10 issuer domain names, each at most 253 octets. */
export const MAX_ISSUER_DOMAIN_NAMES = 10;
/** RFC 1035 3.3.14: one character-string of a TXT record holds at most 255 octets. */
const TXT_STRING_OCTETS = 255;

/** `_validation-persist.example.com.` for `example.com` and `*.example.com` (a wildcard is validated at its base name). */
export function persistRecordName(domain: string): string {
  return `${PERSIST_LABEL}.${normalizeDomainName(domain.replace(/^\*\./, ''))}.`;
}

/**
 * Section 9.2: case-folded, NFC, A-labels (Punycode), no trailing dot. The form issuer domain
 * names are compared in, and the domain_name the -02 hash is computed over.
 */
export function normalizeDomainName(name: string): string {
  const folded = name.trim().normalize('NFC').toLowerCase().replace(/\.$/, '');
  // domainToASCII lowercases and punycodes each label; it returns '' for a name it cannot convert.
  const ascii = /^[\x21-\x7e]*$/.test(folded) ? folded : domainToASCII(folded);
  if (ascii === '' || ascii.length > 253 || ascii.split('.').some((label) => label === '' || label.length > 63)) {
    throw new ChallengeError(`not a domain name: ${JSON.stringify(name)}`);
  }
  return ascii;
}

/** Section 3.1: the challenge's (or directory's) issuer domain names, checked and normalised. */
export function issuerDomainNames(values: readonly unknown[], where: string): string[] {
  if (values.length === 0 || values.length > MAX_ISSUER_DOMAIN_NAMES) {
    throw new ChallengeError(`${where} has ${values.length} issuer domain names; draft-ietf-acme-dns-persist allows 1 to ${MAX_ISSUER_DOMAIN_NAMES}`, {
      hint: 'the CA sent a malformed dns-persist-01 challenge; report it to the CA',
    });
  }
  return values.map((value) => {
    if (typeof value !== 'string') throw new ChallengeError(`${where} has an issuer domain name that is not a string: ${JSON.stringify(value)}`);
    return normalizeDomainName(value);
  });
}

export interface HashedUriInput {
  /** The CA's meta.accountHashPrefix, e.g. `https://ca.example/account-hash/`. */
  accountHashPrefix: string;
  /** The FQDN the record is published for, or `*` for the domain-omitted form (section 4.1 item 3.2). */
  domain: string;
  /** The account key's RFC 7638 thumbprint, unpadded base64url (43 characters for SHA-256). */
  thumbprint: string;
  accountUrl: string;
}

/** Section 4.1 item 3: `<prefix>sha-256/<base64url SHA-256(length_of_domain || domain_name || key || account_URL)>`. */
export function hashedAccountUri(input: HashedUriInput): string {
  const domain = input.domain === '*' ? '*' : normalizeDomainName(input.domain);
  const domainOctets = Buffer.from(domain, 'ascii');
  const digest = createHash('sha256')
    .update(Buffer.from([domainOctets.length]))
    .update(domainOctets)
    .update(Buffer.from(input.thumbprint, 'ascii'))
    .update(Buffer.from(input.accountUrl, 'ascii'))
    .digest('base64url');
  return `${input.accountHashPrefix}sha-256/${digest}`;
}

export interface AccountBinding {
  accountUrl: string;
  thumbprint: string;
  /** The CA's meta.accountHashPrefix: the -02 hashed form; absent: the -01 form (the account URL). */
  accountHashPrefix?: string;
}

/** The accounturi to publish for `domain` (the record's own FQDN). */
export function accountUriFor(binding: AccountBinding, domain: string): string {
  if (binding.accountHashPrefix === undefined) return binding.accountUrl;
  return hashedAccountUri({ accountHashPrefix: binding.accountHashPrefix, domain: domain.replace(/^\*\./, ''), thumbprint: binding.thumbprint, accountUrl: binding.accountUrl });
}

/** Every accounturi a CA accepts from this account for `domain`: -02 the domain's and the domain-omitted hash; -01 the URL. */
export function acceptedAccountUris(binding: AccountBinding, domain: string): string[] {
  if (binding.accountHashPrefix === undefined) return [binding.accountUrl];
  const base = { accountHashPrefix: binding.accountHashPrefix, thumbprint: binding.thumbprint, accountUrl: binding.accountUrl };
  return [hashedAccountUri({ ...base, domain: domain.replace(/^\*\./, '') }), hashedAccountUri({ ...base, domain: '*' })];
}

export interface PersistRecordFields {
  issuerDomainName: string;
  accountUri: string;
  /** `policy=wildcard`: also the wildcard and subdomains (sections 5, 6). */
  wildcard?: boolean;
  /** persistUntil, written as whole seconds since the epoch. */
  persistUntil?: Date;
}

/** The record's text: `authority.example; accounturi=...; policy=wildcard; persistUntil=1721952000`. */
export function persistRecordValue(fields: PersistRecordFields): string {
  if (/[\s;=]/.test(fields.accountUri) || fields.accountUri === '') throw new ChallengeError(`an accounturi cannot hold spaces, ";" or "=": ${JSON.stringify(fields.accountUri)}`);
  const parts = [normalizeDomainName(fields.issuerDomainName), `accounturi=${fields.accountUri}`];
  if (fields.wildcard) parts.push('policy=wildcard');
  if (fields.persistUntil !== undefined) parts.push(`persistUntil=${Math.floor(fields.persistUntil.getTime() / 1000)}`);
  return parts.join('; ');
}

/**
 * The value as zone-file RDATA: quoted character-strings of at most 255 octets each (section 9.1),
 * `"` and `\` escaped. A resolver joins them back into one value.
 */
export function zoneFileStrings(value: string): string {
  const octets = Buffer.from(value, 'utf8');
  const chunks: string[] = [];
  for (let start = 0; start < octets.length || chunks.length === 0; start += TXT_STRING_OCTETS) {
    chunks.push(octets.subarray(start, start + TXT_STRING_OCTETS).toString('utf8'));
  }
  return chunks.map((chunk) => `"${chunk.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(' ');
}

/** What a published record says, as read back (RFC 8659 4.2 issue-value). */
export interface ParsedPersistRecord {
  issuerDomainName: string;
  /** Tags as written, values as written; the draft's tags are matched case-insensitively. */
  parameters: Map<string, string>;
  accountUri: string | undefined;
  wildcard: boolean;
  /** Seconds since the epoch, when the record has persistUntil. */
  persistUntil: number | undefined;
}

const TAG = /^[A-Za-z0-9](?:-*[A-Za-z0-9])*$/;
const VALUE = /^[\x21-\x3a\x3c-\x7e]*$/;

/**
 * Read a TXT value as an issue-value. A syntax error (no issuer, a parameter without "=", a
 * duplicate tag, a persistUntil that is not a base-10 integer) is a ChallengeError naming it
 * (the CA answers `malformed` for those, section 9.3.1). Unknown tags are kept and ignored.
 */
export function parsePersistRecord(text: string): ParsedPersistRecord {
  const [issuerPart = '', ...parameterParts] = text.split(';');
  const issuer = issuerPart.trim();
  if (issuer === '') throw new ChallengeError(`no issuer domain name before the first ";" in ${JSON.stringify(text)}`);
  const parameters = new Map<string, string>();
  const seen = new Set<string>();
  for (const raw of parameterParts) {
    const part = raw.trim();
    // A trailing ";" leaves an empty part, which the grammar allows.
    if (part === '') continue;
    const eq = part.indexOf('=');
    const tag = eq < 0 ? part : part.slice(0, eq).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (eq < 0 || !TAG.test(tag) || !VALUE.test(value)) throw new ChallengeError(`not a tag=value parameter: ${JSON.stringify(part)} in ${JSON.stringify(text)}`);
    if (seen.has(tag.toLowerCase())) throw new ChallengeError(`parameter ${tag} appears twice in ${JSON.stringify(text)}`);
    seen.add(tag.toLowerCase());
    parameters.set(tag, value);
  }
  const get = (name: string) => [...parameters].find(([tag]) => tag.toLowerCase() === name.toLowerCase())?.[1];
  const until = get('persistUntil');
  if (until !== undefined && !/^\d+$/.test(until)) throw new ChallengeError(`persistUntil=${until} is not a base-10 UNIX time in ${JSON.stringify(text)}`);
  return {
    issuerDomainName: normalizeDomainName(issuer),
    parameters,
    accountUri: get('accounturi'),
    wildcard: get('policy')?.toLowerCase() === 'wildcard',
    persistUntil: until === undefined ? undefined : Number(until),
  };
}
