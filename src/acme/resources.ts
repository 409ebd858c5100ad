/**
 * ACME orders, authorizations and challenges (RFC 8555 7.1.3-7.1.5) as plain data, read from the
 * server's JSON. Each challenge of a type certfleet can solve carries the ChallengeTask a solver
 * needs (src/challenges/types.ts), with the key authorization already computed.
 */
import type { ChallengeTask, ChallengeType } from '../challenges/types.js';
import { AcmeError, type AcmeProblem } from './errors.js';
import { optionalProblem } from './http-values.js';
import { issuerDomainNames as normalizeIssuerNames } from '../challenges/dns-persist-01/record.js';
import { dnsTxtValue, keyAuthorization } from './key-authorization.js';

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';

export interface AcmeOrder {
  url: string;
  status: OrderStatus;
  /** Identifier values (DNS names, IP addresses), wildcards as `*.example.com`. */
  identifiers: string[];
  authorizationUrls: string[];
  finalizeUrl: string;
  /** Present once the order is valid. */
  certificateUrl: string | undefined;
  expires: string | undefined;
  /** The profile the CA applied, when it says (profiles draft). */
  profile: string | undefined;
  /** The ARI identifier this order replaces, as the CA echoes it (RFC 9773). */
  replaces: string | undefined;
  error: AcmeProblem | undefined;
  /** From the response's Retry-After header (orders still processing). */
  retryAfterSeconds: number | undefined;
}

export interface AcmeChallenge {
  type: ChallengeType;
  url: string;
  status: ChallengeStatus;
  /** What a solver needs to make this challenge answerable. */
  task: ChallengeTask;
  error: AcmeProblem | undefined;
}

export interface AcmeAuthorization {
  url: string;
  status: AuthorizationStatus;
  /** The identifier without a wildcard prefix. */
  identifier: string;
  wildcard: boolean;
  expires: string | undefined;
  /** Challenges certfleet can solve (http-01, dns-01, tls-alpn-01); others are left out. */
  challenges: AcmeChallenge[];
  /** Types the CA offered that certfleet cannot solve (for error messages). */
  otherChallengeTypes: string[];
  retryAfterSeconds: number | undefined;
}

/** An order just created, with its authorizations fetched. */
export interface NewOrder extends AcmeOrder {
  authorizations: AcmeAuthorization[];
}

const solvableTypes = new Set<string>(['http-01', 'dns-01', 'tls-alpn-01']);

/** What a dns-persist-01 challenge needs besides its own fields: the account it binds and the CA's hash prefix. */
export interface PersistAccount {
  accountUrl: string;
  /** The directory's meta.accountHashPrefix (draft -02); absent: the -01 accounturi (the account URL). */
  accountHashPrefix?: string;
  /** The directory's meta.issuerDomainNames (D) and caaIdentities (I), for the consistency rules of draft -02 3.2. */
  directoryIssuerDomainNames?: readonly string[];
  caaIdentities?: readonly string[];
}

/**
 * A dns-persist-01 challenge has no token; its issuer domain names are `issuerDomainNames`
 * (draft-ietf-acme-dns-persist-02 3.1) or `issuer-domain-names` (-00/-01). Checked here: an empty
 * or over-long list makes the challenge malformed (3.1), so it is left for another type.
 */
function persistChallenge(raw: Record<string, unknown>, identifier: string, wildcard: boolean, thumbprint: string, account: PersistAccount | undefined): AcmeChallenge | undefined {
  const names = raw.issuerDomainNames ?? raw['issuer-domain-names'];
  if (account === undefined || typeof raw.url !== 'string' || !Array.isArray(names)) return undefined;
  let issuerDomainNames: string[];
  try {
    issuerDomainNames = normalizeIssuerNames(names, `the dns-persist-01 challenge ${raw.url}`);
    // Draft -02 3.2: every directory name (D) is in the challenge (C), and C is within caaIdentities (I) when given; else malformed.
    const d = account.directoryIssuerDomainNames?.length ? normalizeIssuerNames(account.directoryIssuerDomainNames, 'the directory') : [];
    const i = account.caaIdentities?.length ? account.caaIdentities.map((n) => n.toLowerCase().replace(/\.$/, '')) : undefined;
    if (d.some((n) => !issuerDomainNames.includes(n)) || (i !== undefined && issuerDomainNames.some((n) => !i.includes(n)))) return undefined;
  } catch {
    return undefined;
  }
  return {
    type: 'dns-persist-01',
    url: raw.url,
    status: (str(raw.status) ?? 'pending') as ChallengeStatus,
    task: {
      type: 'dns-persist-01',
      domain: identifier,
      wildcard,
      token: '',
      keyAuthorization: '',
      dnsTxtValue: '',
      persist: { issuerDomainNames, accountUrl: account.accountUrl, thumbprint, ...(account.accountHashPrefix === undefined ? {} : { accountHashPrefix: account.accountHashPrefix }) },
    },
    error: optionalProblem(raw.error),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function malformed(what: string, url: string): AcmeError {
  return new AcmeError(`the CA sent a malformed ${what} for ${url}`, { code: 'acme-malformed' });
}

function identifierValue(value: unknown): string | undefined {
  return isRecord(value) && typeof value.value === 'string' ? value.value : undefined;
}

export function parseOrder(body: unknown, url: string, retryAfterSeconds?: number): AcmeOrder {
  if (!isRecord(body) || typeof body.status !== 'string' || typeof body.finalize !== 'string') throw malformed('order', url);
  return {
    url,
    status: body.status as OrderStatus,
    identifiers: Array.isArray(body.identifiers) ? body.identifiers.map(identifierValue).filter((v): v is string => v !== undefined) : [],
    authorizationUrls: Array.isArray(body.authorizations) ? body.authorizations.filter((v): v is string => typeof v === 'string') : [],
    finalizeUrl: body.finalize,
    certificateUrl: str(body.certificate),
    expires: str(body.expires),
    profile: str(body.profile),
    replaces: str(body.replaces),
    error: optionalProblem(body.error),
    retryAfterSeconds,
  };
}

export function parseAuthorization(body: unknown, url: string, thumbprint: string, retryAfterSeconds?: number, persistAccount?: PersistAccount): AcmeAuthorization {
  if (!isRecord(body) || typeof body.status !== 'string') throw malformed('authorization', url);
  const identifier = identifierValue(body.identifier);
  if (identifier === undefined) throw malformed('authorization', url);
  const wildcard = body.wildcard === true;
  const challenges: AcmeChallenge[] = [];
  const otherChallengeTypes: string[] = [];
  for (const raw of Array.isArray(body.challenges) ? body.challenges : []) {
    if (!isRecord(raw) || typeof raw.type !== 'string' || typeof raw.url !== 'string') continue;
    if (raw.type === 'dns-persist-01') {
      const persist = persistChallenge(raw, identifier, wildcard, thumbprint, persistAccount);
      if (persist) challenges.push(persist);
      else otherChallengeTypes.push(raw.type);
      continue;
    }
    const token = str(raw.token);
    if (!solvableTypes.has(raw.type) || token === undefined) {
      otherChallengeTypes.push(raw.type);
      continue;
    }
    const type = raw.type as ChallengeType;
    const keyAuth = keyAuthorization(token, thumbprint);
    challenges.push({
      type,
      url: raw.url,
      status: (str(raw.status) ?? 'pending') as ChallengeStatus,
      task: { type, domain: identifier, wildcard, token, keyAuthorization: keyAuth, dnsTxtValue: dnsTxtValue(keyAuth) },
      error: optionalProblem(raw.error),
    });
  }
  return {
    url,
    status: body.status as AuthorizationStatus,
    identifier,
    wildcard,
    expires: str(body.expires),
    challenges,
    otherChallengeTypes,
    retryAfterSeconds,
  };
}
