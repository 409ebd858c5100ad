/**
 * What the report reads besides an inventory: the state `renew` records for each managed
 * certificate, and the summary of the last revocation drill: the contract `renew` and `drill` write
 * to (`<stateDir>/managed.json`, `<stateDir>/drills/latest.json`; DrillResult in
 * src/revocation/drill.ts is a superset of DrillSummary). The report works from an inventory
 * alone and uses them when they are given.
 */
import type { ChallengeType } from '../challenges/types.js';
import type { InventoryResult } from '../inventory/model.js';
import type { HostSignsOfLife } from '../store/ports.js';
import type { RateBudgetInput } from './rate-budget.js';

export interface RenewalSchedule {
  /** How often `certfleet renew` runs (the cron or timer period), in minutes. Unknown: assumed daily. */
  runIntervalMinutes?: number;
  /** Whether renewal follows the CA's ACME Renewal Information window (RFC 9773). */
  usesAri: boolean;
  /** Renew once this fraction of the lifetime has passed (certbot's "a third left" is 0.667). */
  renewAtFraction?: number;
  /** Renew this many days before notAfter, whatever the lifetime ("renew 30 days before expiry"). */
  fixedDaysBeforeExpiry?: number;
  /** Renew this many days after notBefore, whatever the lifetime (acme.sh's habit). */
  fixedDaysAfterIssuance?: number;
}

export interface ManagedCertificateState {
  /** The managed certificate's name in the config. */
  name: string;
  domains: string[];
  /** The current certificate, when one has been issued. */
  serialNumber?: string;
  fingerprintSha256?: string;
  notBefore?: string;
  notAfter?: string;
  schedule: RenewalSchedule;
  challenge: {
    type: ChallengeType;
    /** The last time the CA accepted this challenge for these domains. */
    lastValidatedAt?: string;
    /** The last validation failure, when the latest attempt failed. */
    lastError?: string;
  };
  /** ACME server (preset name or directory URL) and profile, when configured. */
  ca?: string;
  profile?: string;
}

/** `<stateDir>/managed.json` */
export interface ManagedStateFile {
  schemaVersion: 1;
  certificates: ManagedCertificateState[];
}

export interface DrillCertificateResult {
  fingerprintSha256?: string;
  name?: string;
  /** Replaced by automation (renew) rather than by a person. */
  automated: boolean;
  /** Seconds from the drill's start until the replacement was confirmed served; null: not replaced. */
  secondsToReplace: number | null;
  /** A certificate its spec's hosts serve (store.postgres): each host's part at the drill's end. */
  hosts?: DrillHostResult[];
}

/** One host's part in replacing a certificate (src/fleet/await-deployed.ts HostConfirmation). */
export interface DrillHostResult {
  host: string;
  status: 'deployed' | 'failed' | 'not-reporting';
  version?: string;
  /** Seconds from the drill's start until the host confirmed it deployed (deployed only). */
  seconds?: number;
  detail?: string;
}

/** `<stateDir>/drills/latest.json`: what a rehearsal of a mass replacement measured. */
export interface DrillSummary {
  schemaVersion?: 1;
  id?: string;
  startedAt: string;
  finishedAt: string;
  certificates: DrillCertificateResult[];
  /** Share (0-1) of drilled certificates replaced by automation; derived from `certificates` when absent. */
  shareAutomated?: number;
}

export interface ReportInput {
  inventory: InventoryResult;
  managed?: ManagedCertificateState[];
  drill?: DrillSummary;
  /** Hosts some spec names that never reported a deployment; given only by a store with per-host deployments (PostgreSQL). */
  hostsWithoutAgent?: string[];
  /**
   * Every host some spec names with its agent's last heartbeat and report; given by a store that
   * keeps heartbeats, and then used instead of hostsWithoutAgent. Silence is judged at `readAt`
   * (epoch ms: when they were read; default the report's as-of time): an agent is silent now or
   * not, whatever date the deadlines are looked at from.
   */
  agentSigns?: { hosts: HostSignsOfLife[]; readAt?: number };
  /** The configured certificates by CA with limits, and their budget now (rate-budget-read.ts); absent or empty: no CA limits to check. */
  rateBudget?: RateBudgetInput[];
}
