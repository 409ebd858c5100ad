/**
 * The readiness report: plain data, the one thing every report renderer reads (summary, JSON,
 * Markdown, HTML, CSV, SARIF, Prometheus). Each certificate points at the inventory's own sources
 * and findings (shared, not copied), so a renderer never needs the inventory itself. Changing a
 * field's meaning needs a schemaVersion bump; adding fields does not.
 */
import type { FleetHostsReadiness } from './fleet-hosts.js';
import type { RateBudgetReadiness } from './rate-budget.js';
import type { CertificateSource, Finding, ManagedBy, Severity } from '../inventory/model.js';

export const REPORT_SCHEMA_VERSION = 1;

/** Who renews a certificate: certfleet (managed state), another ACME client found by its files, or a person. */
export type Automation = 'managed' | 'acme-client' | 'manual';
/** Why a certificate counts as renewed by hand. */
export type ManualReason = 'keystore-only' | 'endpoint-only' | 'not-managed';

export type CadenceVerdict = 'ok' | 'wasteful' | 'tight' | 'fails' | 'storm';

/** The renewal schedule the report evaluated, with `assumed` set when it was guessed (no managed state). */
export interface EffectiveSchedule {
  runIntervalMinutes: number;
  usesAri: boolean;
  renewAtFraction?: number;
  fixedDaysBeforeExpiry?: number;
  fixedDaysAfterIssuance?: number;
  /** Who the schedule belongs to: `certfleet renew`, or the ACME client recognised by its paths. */
  client: string;
  /** True when some of the figures are defaults, not known facts. */
  assumed: boolean;
}

/** A finding as the inventory reported it (certificates and keys). */
export type ReportFinding = Finding;

export interface AssessedCertificate {
  fingerprintSha256: string;
  /** The name a person knows it by: first SAN, else CN, else the subject. */
  name: string;
  names: string[];
  subject: string;
  issuer: string;
  serialNumber: string;
  /** `caSchedules[].ca` when the issuer matched one (e.g. `letsencrypt`). */
  ca?: string;
  /** The CA profile: from managed state, else inferred from the lifetime. */
  profile?: string;
  notBefore: string;
  notAfter: string;
  lifetimeDays: number;
  /** A leaf (not a CA) that is not self-signed, and not a copy certfleet only keeps: what the lifetime rules apply to. */
  inScope: boolean;
  automation: Automation;
  /** "certfleet renew (www)", "certbot (/etc/letsencrypt/live/...)", "renewed by hand". */
  automationDetail: string;
  manualReason?: ManualReason;
  managedName?: string;
  /** From the inventory: found in certfleet's deploy layout, as the live version or a kept copy (then not in scope). */
  managedBy?: ManagedBy;
  schedule?: EffectiveSchedule;
  /** Where to act: the proxy config, directory or host it lives on (actions group by this). */
  place: string;
  /** When it will next be issued if nothing changes (ISO day): the renewal due date, or today when overdue. */
  nextIssuance: string;
  mustStaple: boolean;
  hasOcspUrl: boolean;
  /** The inventory's own records (not copies): where it was found, and what is wrong with it. */
  sources: CertificateSource[];
  findings: Finding[];
}

export interface ViolatingCertificate {
  fingerprintSha256: string;
  name: string;
  /** One sentence: what breaks and why. */
  reason: string;
  /** The main problem: lifetime over the maximum, a schedule that breaks, or a CA feature it depends on. */
  kind: 'lifetime' | 'cadence' | 'must-staple';
  automation: Automation;
  /** False for an automated certificate whose schedule copes (the CA just issues it shorter). */
  blocking: boolean;
  /** First issuance on or after the deadline (ISO day), if nothing changes. */
  nextIssuance: string;
}

export interface CadenceProblem {
  fingerprintSha256?: string;
  name: string;
  verdict: CadenceVerdict;
  reason: string;
}

export interface CadenceCounts {
  ok: number;
  wasteful: number;
  tight: number;
  fails: number;
  storm: number;
}

export interface CadenceCheck {
  lifetimeHours: number;
  counts: CadenceCounts;
  /** Everything not `ok`, worst first. */
  problems: CadenceProblem[];
  /** Schedules that count fixed days ("renew 30 days before expiry"), whatever their verdict here. */
  fixedDays: number;
}

export interface DcvName {
  name: string;
  fingerprintSha256: string;
  /** What would let it be validated afresh at every issuance. */
  fix: 'dns-01' | 'http-01-or-dns-01' | 'fix-challenge';
  reason: string;
}

export interface DcvExposure {
  /** How long a domain validation may be reused under this deadline. */
  reuseHours: number;
  /** How often a certificate is issued under this deadline (2/3 of its lifetime). */
  renewalIntervalHours: number;
  /** True when every issuance needs a fresh validation (reuse shorter than the renewal interval). */
  exposed: boolean;
  names: number;
  /** Names validated by hand (or by a challenge that cannot work) while exposed. */
  exposedNames: number;
  needDns01: number;
  entries: DcvName[];
}

export interface ScoreParts {
  lifetime: number;
  automation: number;
  cadence: number;
  dcvReuse: number;
  revocation: number;
}

export interface DeadlineCounts {
  inScope: number;
  automated: number;
  manual: number;
  violating: number;
  violatingManual: number;
  violatingAutomated: number;
  /** Violating entries that will actually break (manual, failing schedule, refused feature). */
  blocking: number;
}

export interface DeadlineReport {
  id: string;
  authority: string;
  /** For a CA's own schedule: `caSchedules[].ca` and the profile. */
  ca?: string;
  profile?: string;
  /** YYYY-MM-DD */
  effective: string;
  /** Already in force at asOf (the current phase), rather than coming. */
  inForce: boolean;
  maxValidityDays: number;
  source: string;
  /** 0-100; see README "Score". */
  score: number;
  scoreParts: ScoreParts;
  reasons: string[];
  counts: DeadlineCounts;
  violating: ViolatingCertificate[];
  cadence: CadenceCheck;
  dcvReuse: DcvExposure;
}

export interface CadenceProbe extends CadenceCheck {
  id: string;
  label: string;
}

export interface OcspDependency {
  fingerprintSha256: string;
  name: string;
  kind: 'must-staple' | 'ocsp-ended';
  reason: string;
}

export interface RevocationReadiness {
  deadlines: Array<{ id: string; hours: number }>;
  drill?: {
    id?: string;
    startedAt: string;
    finishedAt: string;
    certificates: number;
    shareAutomated: number;
    /** Share of drilled certificates replaced within each deadline (by id). */
    replacedWithin: Record<string, number>;
    notReplaced: number;
  };
  /** Projected time to replace every in-scope certificate at the drill's throughput, by class; null: not measured. */
  projectedHours: { automated: number | null; manual: number | null; fleet: number | null };
  /** Share of the fleet projected to be replaced within each deadline (by id). */
  fleetWithin: Record<string, number>;
  ocspDependencies: OcspDependency[];
  /** The revocation part of every deadline's score, 0-1. */
  readiness: number;
  reasons: string[];
}

export interface ReportAction {
  rank: number;
  kind: 'automate' | 'find-owner' | 'fix-schedule' | 'dns-01' | 'fix-challenge' | 'must-staple' | 'ocsp' | 'drill';
  title: string;
  detail: string;
  /** The earliest deadline this action helps with. */
  deadline: string;
  /** The earliest next issuance among its certificates, or the deadline's date. */
  dueBy: string;
  /** Points the deadline's score gains when it is done (an estimate for the revocation part). */
  scoreGain: number;
  certificates: Array<{ fingerprintSha256: string; name: string }>;
  names?: string[];
}

export interface FindingCount {
  id: string;
  severity: Severity;
  title: string;
  count: number;
}

export interface KeyFindings {
  path: string;
  findings: ReportFinding[];
}

export interface FleetSummary {
  certificates: number;
  inScope: number;
  automated: { managed: number; acmeClient: number };
  manual: { keystoreOnly: number; endpointOnly: number; notManaged: number };
  /** Managed certificates (renew state) the inventory did not find: their deploy paths were not scanned. */
  managedNotInInventory: string[];
  inventoryGeneratedAt: string;
  inventoryErrors: Array<{ source: string; message: string }>;
}

export interface ReadinessReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  asOf: string;
  timelineUpdated: string;
  fleet: FleetSummary;
  deadlines: DeadlineReport[];
  cadence: CadenceProbe[];
  revocation: RevocationReadiness;
  actions: ReportAction[];
  /** Findings of certificates and keys (the inventory's), and of the CAs' rate budgets (rateBudget), by id and severity. */
  findings: FindingCount[];
  keys: KeyFindings[];
  certificates: AssessedCertificate[];
  /** Per host (the shared store only, when there is something to say): the last drill's hosts, and hosts without an agent. */
  fleetHosts?: FleetHostsReadiness;
  /** Per CA with rate limits (configured certificates only): the time to replace them at the limits against the revocation windows. */
  rateBudget?: RateBudgetReadiness;
}
