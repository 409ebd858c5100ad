/**
 * Which ACME server: presets for the public CAs (production directory URLs, plus their staging
 * twins for dry runs), any https URL, and reading a directory object (RFC 8555 7.1.1) with the
 * extensions certfleet uses: `renewalInfo` (RFC 9773 ARI) and `meta.profiles` (ACME profiles draft).
 */
import { ConfigError } from '../errors.js';
import { AcmeError } from './errors.js';

export const caPresets = {
  letsencrypt: 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
  zerossl: 'https://acme.zerossl.com/v2/DV90',
  google: 'https://dv.acme-v02.api.pki.goog/directory',
  'google-staging': 'https://dv.acme-v02.test-api.pki.goog/directory',
  buypass: 'https://api.buypass.com/acme/directory',
  'buypass-staging': 'https://api.test4.buypass.no/acme/directory',
} as const;

export type CaPreset = keyof typeof caPresets;

/** The staging preset of a production preset, for `renew --dry-run` (ZeroSSL has none). */
export const stagingPresets: Partial<Record<CaPreset, CaPreset>> = {
  letsencrypt: 'letsencrypt-staging',
  google: 'google-staging',
  buypass: 'buypass-staging',
};

export function isCaPreset(name: string): name is CaPreset {
  return Object.hasOwn(caPresets, name);
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A preset name or a directory URL -> the directory URL. RFC 8555 requires HTTPS; plain http is
 * accepted for loopback only (a local test server).
 */
export function resolveDirectoryUrl(server: string): string {
  const name = server.trim();
  if (isCaPreset(name)) return caPresets[name];
  let url: URL;
  try {
    url = new URL(name);
  } catch {
    throw new ConfigError(
      `acme.server "${server}" is neither a CA preset nor a URL`,
      `use one of ${Object.keys(caPresets).join(', ')}, or the CA's directory URL (https://...)`,
    );
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname))) return url.href;
  throw new ConfigError(`acme.server "${server}" must be an https:// URL`, 'ACME (RFC 8555) runs over HTTPS only');
}

/** Directory entries certfleet reads; the three RFC 8555 requires are checked. */
export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert: string | undefined;
  keyChange: string | undefined;
  /** RFC 9773 ARI base URL; absent on CAs without ARI (Pebble 2.4). */
  renewalInfo: string | undefined;
  meta: DirectoryMeta;
}

export interface DirectoryMeta {
  termsOfService: string | undefined;
  website: string | undefined;
  caaIdentities: string[];
  externalAccountRequired: boolean;
  /** Profile name -> description (text or URL), or undefined when the CA offers no profiles. */
  profiles: Record<string, string> | undefined;
  /** Whether the CA offers ACME Renewal Information. */
  renewalInfo: boolean;
  /** dns-persist-01 (draft-ietf-acme-dns-persist-02 3.2, 4.1): the issuer domain names to pre-provision with, and the hashed accounturi's prefix. */
  issuerDomainNames: string[] | undefined;
  accountHashPrefix: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function parseDirectory(body: unknown, directoryUrl: string): AcmeDirectory {
  if (!isRecord(body) || typeof body.newNonce !== 'string' || typeof body.newAccount !== 'string' || typeof body.newOrder !== 'string') {
    throw new AcmeError(`${directoryUrl} is not an ACME directory (no newNonce/newAccount/newOrder)`, {
      code: 'acme-directory',
      hint: 'check acme.server: it must be the CA\'s directory URL',
    });
  }
  const meta = isRecord(body.meta) ? body.meta : {};
  let profiles: Record<string, string> | undefined;
  if (isRecord(meta.profiles)) {
    profiles = {};
    for (const [name, description] of Object.entries(meta.profiles)) profiles[name] = typeof description === 'string' ? description : '';
  }
  const renewalInfo = stringOrUndefined(body.renewalInfo);
  return {
    newNonce: body.newNonce,
    newAccount: body.newAccount,
    newOrder: body.newOrder,
    revokeCert: stringOrUndefined(body.revokeCert),
    keyChange: stringOrUndefined(body.keyChange),
    renewalInfo,
    meta: {
      termsOfService: stringOrUndefined(meta.termsOfService),
      website: stringOrUndefined(meta.website),
      caaIdentities: Array.isArray(meta.caaIdentities) ? meta.caaIdentities.filter((v): v is string => typeof v === 'string') : [],
      externalAccountRequired: meta.externalAccountRequired === true,
      profiles,
      renewalInfo: renewalInfo !== undefined,
      issuerDomainNames: Array.isArray(meta.issuerDomainNames) ? meta.issuerDomainNames.filter((v): v is string => typeof v === 'string') : undefined,
      accountHashPrefix: stringOrUndefined(meta.accountHashPrefix),
    },
  };
}
