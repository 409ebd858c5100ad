/** A managed certificate with everything resolved: what one renewal needs, and nothing to look up. */
import { UsageError } from '../errors.js';
import type { ResolvedChallengeConfig } from '../challenges/config.js';
import type { SpecSource } from '../config/certificate-files.js';
import type { EndpointSpec } from '../inventory/sources/endpoint-types.js';
import type { RateLimits } from '../acme/rate-limit-presets.js';
import type { KeyTypeName } from '../x509/generate-key.js';
import type { RenewalPolicy } from './decision.js';
import type { DeployTargets } from './deploy-files.js';
import type { ResolvedStoreSettings } from '../store/open-store.js';

export interface CaSettings {
  directoryUrl: string;
  caBundlePem?: string;
  profile?: string;
  requestTimeoutMs: number;
  contact: string[];
  acceptTermsOfService: boolean;
  eab?: { kid: string; hmacKey: string };
  /** Where `renew --dry-run` orders: the preset's staging directory, or acme.dryRunServer. */
  dryRunDirectoryUrl?: string;
  /** acme.rateLimits resolved (a preset's figures, or the default for the server): absent, unlimited. */
  rateLimits?: RateLimits;
}

export interface ManagedCertificate {
  name: string;
  domains: string[];
  keyType: KeyTypeName;
  reuseKey: boolean;
  ca: CaSettings;
  challenge: ResolvedChallengeConfig;
  deploy?: { targets: DeployTargets; commands: string[][]; commandTimeoutMs: number };
  pre: string[][];
  post: string[][];
  verify: EndpointSpec[];
  verifyTimeoutMs: number;
  /** Trust for verify handshakes (the private ACME server's roots, --ca). */
  verifyCa: Uint8Array[];
  /** The hosts whose agents deploy it (store.postgres only): the runner orders it and deploys nothing itself. */
  hosts?: string[];
}

export interface RenewSettings {
  stateDir: string;
  /** A PostgreSQL store (the config's `store.postgres`); absent: the state directory. */
  store?: ResolvedStoreSettings;
  /** The top-level acme section, resolved (account commands use it). */
  defaultCa?: CaSettings;
  policy: RenewalPolicy;
  /** Every managed certificate, resolved: the config file's then certificates.d's (empty when resolved with lazyCertificates). */
  certificates: ManagedCertificate[];
  /** Where the certificates come from, entry by entry, for a run that resolves only those it works on. */
  specs: SpecSource;
  /** store.leaseTtl: how long a certificate's lease lasts unless renewed (run.ts LEASE_TTL_MS when absent). */
  leaseTtlMs?: number;
}

/** The configured certificates with these names (all when none is given), in config order. */
export function selectCertificates(settings: RenewSettings, names: readonly string[]): ManagedCertificate[] {
  if (settings.certificates.length === 0) {
    throw new UsageError('no managed certificates: add a `certificates:` list to the config file, or certificate files to certificates.d/ beside it', 'see the "Managed certificates" section of README.md');
  }
  if (names.length === 0) return settings.certificates;
  const known = new Set(settings.certificates.map((c) => c.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new UsageError(`unknown certificate name(s): ${unknown.join(', ')} (configured: ${[...known].join(', ')})`);
  return settings.certificates.filter((c) => names.includes(c.name));
}
