/**
 * The records a certificate needs published for dns-persist-01 (what `certfleet dns persist-record`
 * prints): one per base name (a wildcard is validated at its base name, so `*.example.com` and
 * `example.com` share `_validation-persist.example.com`), each with policy=wildcard when a wildcard
 * rides on it or the config asks for it. As data: the command renders it as zone-file lines or JSON.
 */
import { ChallengeError } from '../errors.js';
import type { PersistChallengeData } from '../types.js';
import { accountUriFor, issuerDomainNames, normalizeDomainName, persistRecordName, persistRecordValue, zoneFileStrings } from './record.js';

export interface PersistRecordRequest {
  domains: readonly string[];
  /** The account and the CA's accountHashPrefix; issuer names come from `issuerDomainName` or `caIssuerDomainNames`. */
  account: Omit<PersistChallengeData, 'issuerDomainNames'>;
  /** The directory's meta.issuerDomainNames (draft -02 3.2); absent on CAs on draft -01. */
  caIssuerDomainNames: readonly string[] | undefined;
  /** The config's choice (challenge.issuerDomainName). */
  issuerDomainName?: string;
  policy?: 'wildcard';
  persistUntil?: Date;
  ttl: number;
}

export interface PersistRecord {
  /** The FQDN the record authorises (a wildcard's base name). */
  domain: string;
  name: string;
  ttl: number;
  value: string;
  /** The value as zone-file RDATA: quoted strings of at most 255 octets. */
  rdata: string;
  wildcard: boolean;
}

export interface PersistRecordSet {
  issuerDomainName: string;
  /** draft-ietf-acme-dns-persist-02 (hashed accounturi) or -01 (the account URL), by what the CA advertises. */
  accountUriForm: 'hashed' | 'account-url';
  records: PersistRecord[];
}

/** Which issuer domain name to publish: the configured one (when the CA names it too), else the CA's first. */
function chooseIssuer(request: PersistRecordRequest): string {
  const ca = request.caIssuerDomainNames === undefined || request.caIssuerDomainNames.length === 0 ? undefined : issuerDomainNames(request.caIssuerDomainNames, "the CA's directory");
  if (request.issuerDomainName !== undefined) {
    const chosen = normalizeDomainName(request.issuerDomainName);
    if (ca !== undefined && !ca.includes(chosen)) {
      throw new ChallengeError(`challenge.issuerDomainName ${chosen} is not one of the CA's issuer domain names (${ca.join(', ')})`, { hint: 'use one the CA names, or leave issuerDomainName out' });
    }
    return chosen;
  }
  if (ca === undefined) {
    throw new ChallengeError("the CA's directory names no issuer domain names for dns-persist-01 (meta.issuerDomainNames)", {
      hint: "set challenge.issuerDomainName to the name the CA's documentation gives for dns-persist-01",
    });
  }
  return ca[0] as string;
}

export function persistRecordsFor(request: PersistRecordRequest): PersistRecordSet {
  const issuerDomainName = chooseIssuer(request);
  const byBase = new Map<string, boolean>();
  for (const domain of request.domains) {
    const base = normalizeDomainName(domain.replace(/^\*\./, ''));
    byBase.set(base, (byBase.get(base) ?? false) || domain.startsWith('*.'));
  }
  const records = [...byBase].map(([domain, hasWildcard]): PersistRecord => {
    const wildcard = hasWildcard || request.policy === 'wildcard';
    const value = persistRecordValue({ issuerDomainName, accountUri: accountUriFor(request.account, domain), wildcard, ...(request.persistUntil === undefined ? {} : { persistUntil: request.persistUntil }) });
    return { domain, name: persistRecordName(domain), ttl: request.ttl, value, rdata: zoneFileStrings(value), wildcard };
  });
  return { issuerDomainName, accountUriForm: request.account.accountHashPrefix === undefined ? 'account-url' : 'hashed', records };
}
