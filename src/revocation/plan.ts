/**
 * The look before the leap: which certificates a replace, drill or revoke would touch, and its
 * blast radius, without contacting a CA or changing anything.
 */
import type { RateLimits } from '../acme/rate-limit-presets.js';
import type { RenewSettings } from '../renewal/managed.js';
import { registeredDomains } from '../renewal/rate-budget.js';
import type { CertificateRecords } from '../store/ports.js';
import { selectAffected, type AffectedCertificate, type AffectedCriteria } from './affected.js';
import { blastRadius, type BlastRadius } from './blast-radius.js';
import { replacementHours, type BudgetTime } from './rate-budget-time.js';

export const PLAN_SCHEMA_VERSION = 1;

export interface ReplacementPlan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  dryRun: true;
  certificates: AffectedCertificate[];
  blastRadius: BlastRadius;
  /** How long ordering the set takes at the CA's rate limits (acme.rateLimits); absent: no limits configured. */
  rateBudget?: BudgetTime & { certificates: number };
}

/** `certificates`: the configured store's (the CLI opens it), read only. */
export async function planReplacement(settings: RenewSettings, certificates: CertificateRecords, criteria: AffectedCriteria, verb: 'drill' | 'replace'): Promise<ReplacementPlan> {
  const affected = await selectAffected(settings, certificates, criteria, verb);
  const rateBudget = budgetTime(settings, affected);
  return { schemaVersion: PLAN_SCHEMA_VERSION, dryRun: true, certificates: affected, blastRadius: blastRadius(affected), ...(rateBudget ? { rateBudget } : {}) };
}

/**
 * The set's time at its CAs' limits (each CA its own budget; the slowest sets it), as if none of
 * the budget were used yet: the store's budget is not read here.
 */
export function budgetTime(settings: RenewSettings, affected: readonly AffectedCertificate[]): (BudgetTime & { certificates: number }) | undefined {
  const limitsOf = (a: AffectedCertificate): RateLimits | undefined =>
    settings.certificates.find((c) => c.name === a.name)?.ca.rateLimits ?? (a.ca === settings.defaultCa?.directoryUrl ? settings.defaultCa.rateLimits : undefined);
  const byCa = new Map<string, { limits: RateLimits; count: number; perRegisteredDomain: Map<string, number> }>();
  for (const a of affected) {
    const limits = limitsOf(a);
    if (!limits) continue;
    const group = byCa.get(a.ca) ?? byCa.set(a.ca, { limits, count: 0, perRegisteredDomain: new Map() }).get(a.ca)!;
    group.count++;
    for (const d of registeredDomains(a.domains)) group.perRegisteredDomain.set(d, (group.perRegisteredDomain.get(d) ?? 0) + 1);
  }
  if (byCa.size === 0) return undefined;
  const times = [...byCa.values()].map((g) => replacementHours(g));
  const slowest = times.reduce((a, b) => (b.hours > a.hours ? b : a));
  return { ...slowest, certificates: [...byCa.values()].reduce((n, g) => n + g.count, 0) };
}
