/**
 * The look before the leap: which certificates a replace, drill or revoke would touch, and its
 * blast radius, without contacting a CA or changing anything.
 */
import type { RenewSettings } from '../renewal/managed.js';
import type { AgentHeartbeats, CertificateRecords, DeploymentRecords } from '../store/ports.js';
import { selectAffected, type AffectedCertificate, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { fleetView, type FleetView } from './fleet-view.js';
import { budgetTime, type BudgetRead, type BudgetTime } from './rate-budget-time.js';

export const PLAN_SCHEMA_VERSION = 1;

export interface ReplacementPlan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  dryRun: true;
  certificates: AffectedCertificate[];
  blastRadius: BlastRadius;
  /** How long ordering the set takes at the CA's rate limits (acme.rateLimits); absent: no limits configured. */
  rateBudget?: BudgetTime & { certificates: number };
  /** The shared store's per-host view (fleet-view.ts); absent on the file store. */
  fleet?: FleetView;
}

/** `certificates`, `deployments`, `budget` and `heartbeats`: the configured store's (the CLI opens it), read only. */
export async function planReplacement(
  settings: RenewSettings,
  certificates: CertificateRecords,
  criteria: AffectedCriteria,
  verb: 'drill' | 'replace',
  deployments?: Pick<DeploymentRecords, 'lastReports'>,
  budget?: BudgetRead,
  heartbeats?: Pick<AgentHeartbeats, 'forHosts'>,
): Promise<ReplacementPlan> {
  const affected = await selectAffected(settings, certificates, criteria, verb);
  const rateBudget = await budgetTime(settings, affected, budget);
  const fleet = await fleetView(settings, affected, deployments, heartbeats);
  return { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: affected, blastRadius: blastRadius(affected), ...(rateBudget ? { rateBudget } : {}), ...(fleet ? { fleet } : {}) };
}
