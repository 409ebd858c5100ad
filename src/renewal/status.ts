/**
 * `status`: each managed certificate's current serial, expiry, next renewal time and why, read
 * from the state directory only (no network, no lock): safe to run any time.
 */
import { CertificateStore } from '../store/certificate-store.js';
import { decideRenewal } from './decision.js';
import { keptFiles } from './deploy-files.js';
import type { RenewSettings } from './managed.js';

export const STATUS_SCHEMA_VERSION = 1;

export interface CertificateStatus {
  name: string;
  domains: string[];
  serialNumber: string | null;
  notBefore: string | null;
  notAfter: string | null;
  lifetimeDays: number | null;
  nextRenewalAt: string;
  reason: string;
  explanation: string;
  /** The CA issued it for longer than policy.maxLifetimeDays (timing follows the policy). */
  exceedsPolicy: boolean;
  ariWindow: { start: string; end: string; explanationUrl?: string } | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** A deployment a killed run left unfinished (the next renew finishes it). */
  deploymentPending: boolean;
  versions: number;
  /** Files that were at the deploy paths before certfleet (or were changed by hand since), kept until the certificate is removed. */
  keptFiles: Array<{ path: string; type: 'file' | 'symlink'; keptIn: string }>;
}

export interface StatusResult {
  schemaVersion: typeof STATUS_SCHEMA_VERSION;
  generatedAt: string;
  stateDir: string;
  certificates: CertificateStatus[];
}

export async function collectStatus(settings: RenewSettings, now: Date, warn: (m: string) => void): Promise<StatusResult> {
  const store = new CertificateStore(settings.stateDir);
  const certificates: CertificateStatus[] = [];
  for (const cert of settings.certificates) {
    const state = await store.loadStateReadOnly(cert.name, warn);
    const current = await store.current(cert.name).catch(() => undefined);
    const v = current?.version;
    const decision = decideRenewal({
      ...(v ? { certificate: { serialNumber: v.serialNumber, notBefore: Date.parse(v.notBefore), notAfter: Date.parse(v.notAfter) } } : {}),
      ...(state.ari ? { ari: state.ari } : {}),
      ...(state.failures ? { failures: state.failures } : {}),
      policy: settings.policy,
      now: now.getTime(),
    });
    certificates.push({
      name: cert.name,
      domains: cert.domains,
      serialNumber: v?.serialNumber ?? null,
      notBefore: v?.notBefore ?? null,
      notAfter: v?.notAfter ?? null,
      lifetimeDays: v ? Math.ceil((Date.parse(v.notAfter) - Date.parse(v.notBefore) + 1000) / 86_400_000) : null,
      nextRenewalAt: new Date(decision.renewAt).toISOString(),
      reason: decision.reason,
      explanation: decision.explanation,
      exceedsPolicy: decision.exceedsPolicy,
      ariWindow:
        state.ari && state.ari.serialNumber === v?.serialNumber
          ? { start: new Date(state.ari.windowStart).toISOString(), end: new Date(state.ari.windowEnd).toISOString(), ...(state.ari.explanationUrl ? { explanationUrl: state.ari.explanationUrl } : {}) }
          : null,
      consecutiveFailures: state.failures?.consecutiveFailures ?? 0,
      lastError: state.failures?.lastError ?? null,
      deploymentPending: state.deploying !== undefined,
      versions: (await store.versions(cert.name)).length,
      keptFiles: cert.deploy ? await keptFiles(cert.name, cert.deploy.targets).catch(() => []) : [],
    });
  }
  return { schemaVersion: STATUS_SCHEMA_VERSION, generatedAt: now.toISOString(), stateDir: settings.stateDir, certificates };
}
