/** A managed certificate with everything resolved: what one renewal needs, and nothing to look up. */
import type { ResolvedChallengeConfig } from '../challenges/config.js';
import type { EndpointSpec } from '../inventory/sources/endpoint-types.js';
import type { KeyTypeName } from '../x509/generate-key.js';
import type { RenewalPolicy } from './decision.js';
import type { DeployTargets } from './deploy-files.js';

export interface CaSettings {
  directoryUrl: string;
  caBundlePem?: string;
  profile?: string;
  requestTimeoutMs: number;
  contact: string[];
  acceptTermsOfService: boolean;
  eab?: { kid: string; hmacKey: string };
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
}

export interface RenewSettings {
  stateDir: string;
  /** The top-level acme section, resolved (account commands use it). */
  defaultCa?: CaSettings;
  policy: RenewalPolicy;
  certificates: ManagedCertificate[];
}
