/**
 * The look before the leap: which certificates a replace, drill or revoke would touch, and its
 * blast radius, without contacting a CA or changing anything.
 */
import type { RenewSettings } from '../renewal/managed.js';
import type { CertificateRecords } from '../store/ports.js';
import { selectAffected, type AffectedCertificate, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';

export const PLAN_SCHEMA_VERSION = 1;

export interface ReplacementPlan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  dryRun: true;
  certificates: AffectedCertificate[];
  blastRadius: BlastRadius;
}

/** `certificates`: the configured store's (the CLI opens it), read only. */
export async function planReplacement(settings: RenewSettings, certificates: CertificateRecords, criteria: AffectedCriteria, verb: 'drill' | 'replace'): Promise<ReplacementPlan> {
  const affected = await selectAffected(settings, certificates, criteria, verb);
  return { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: affected, blastRadius: blastRadius(affected) };
}
