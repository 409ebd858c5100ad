/**
 * The look before the leap: which certificates a replace, drill or revoke would touch, and its
 * blast radius, without contacting a CA or changing anything.
 */
import type { RenewSettings } from '../renewal/managed.js';
import { CertificateStore } from '../store/certificate-store.js';
import { selectAffected, type AffectedCertificate, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';

export const PLAN_SCHEMA_VERSION = 1;

export interface ReplacementPlan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  dryRun: true;
  certificates: AffectedCertificate[];
  blastRadius: BlastRadius;
}

export async function planReplacement(settings: RenewSettings, criteria: AffectedCriteria, verb: 'drill' | 'replace'): Promise<ReplacementPlan> {
  const affected = await selectAffected(settings, new CertificateStore(settings.stateDir), criteria, verb);
  return { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: affected, blastRadius: blastRadius(affected) };
}
