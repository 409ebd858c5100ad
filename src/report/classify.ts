/**
 * Each inventoried certificate, assessed once: is it in scope of the lifetime rules, who renews it
 * (certfleet, another ACME client, a person), on what schedule, which CA and profile, where to
 * act on it, and when it will next be issued if nothing changes. Deadlines reuse this.
 */
import { dirname } from 'node:path';
import type { CertificateRecord, CertificateSource } from '../inventory/model.js';
import type { PolicyTimeline } from '../policy/timeline.js';
import { recogniseAcmeClient } from './acme-clients.js';
import { dueAtHours, scheduleOfManaged } from './cadence.js';
import type { ManagedCertificateState } from './inputs.js';
import { isoDay } from './evaluate-deadline.js';
import type { AssessedCertificate, ManualReason } from './model.js';

const HOUR_MS = 3_600_000;

/** An assessment plus the figures deadlines compute with (not part of the JSON). */
export interface Assessed {
  cert: AssessedCertificate;
  lifetimeHours: number;
  nextIssuanceMs: number;
  /** Time between issuances if nothing changes: the schedule's due point, or the whole lifetime by hand. */
  renewalIntervalMs: number;
  managed?: ManagedCertificateState;
}

export interface ManagedIndex {
  find(record: CertificateRecord): ManagedCertificateState | undefined;
  /** Managed entries no inventoried certificate matched. */
  unmatched(): ManagedCertificateState[];
}

const namesKey = (names: string[]) => names.map((n) => n.toLowerCase()).sort().join(' ');

/** Managed state matches a certificate by fingerprint, else serial, else the same set of names (older versions count). */
export function indexManaged(managed: ManagedCertificateState[]): ManagedIndex {
  const byFingerprint = new Map<string, ManagedCertificateState>();
  const bySerial = new Map<string, ManagedCertificateState>();
  const byNames = new Map<string, ManagedCertificateState>();
  for (const m of managed) {
    if (m.fingerprintSha256) byFingerprint.set(m.fingerprintSha256.toLowerCase().replaceAll(':', ''), m);
    if (m.serialNumber) bySerial.set(normaliseSerial(m.serialNumber), m);
    byNames.set(namesKey(m.domains), m);
  }
  const matched = new Set<ManagedCertificateState>();
  return {
    find(record) {
      const m = byFingerprint.get(record.fingerprintSha256) ?? bySerial.get(normaliseSerial(record.serialNumber)) ?? (record.sans.length ? byNames.get(namesKey(record.sans)) : undefined);
      if (m) matched.add(m);
      return m;
    },
    unmatched: () => managed.filter((m) => !matched.has(m)),
  };
}

function normaliseSerial(serial: string): string {
  return serial.toLowerCase().replaceAll(':', '').replace(/^0+(?=.)/, '');
}

export function assessCertificate(record: CertificateRecord, managed: ManagedCertificateState | undefined, timeline: PolicyTimeline, asOfMs: number): Assessed {
  const notBeforeMs = Date.parse(record.notBefore);
  const notAfterMs = Date.parse(record.notAfter);
  const lifetimeHours = (notAfterMs - notBeforeMs + 1000) / HOUR_MS;
  const schedule = managed ? scheduleOfManaged(managed) : undefined;
  const client = schedule ? undefined : recogniseAcmeClient(filePaths(record.sources));
  const effective = schedule ?? client?.schedule;
  const caSchedule = caScheduleOf(timeline, record.issuer);

  const cert: AssessedCertificate = {
    fingerprintSha256: record.fingerprintSha256,
    name: record.sans[0] ?? record.commonName ?? record.subject,
    names: record.sans.length ? record.sans : record.commonName ? [record.commonName] : [],
    subject: record.subject,
    issuer: record.issuer,
    serialNumber: record.serialNumber,
    notBefore: record.notBefore,
    notAfter: record.notAfter,
    lifetimeDays: record.lifetimeDays,
    // A copy certfleet keeps in its deploy home (another version, what was there before it) is not
    // in service: the live version of the same managed certificate is counted instead. Nor is a
    // trust anchor (a root only trust stores hold, inventory/trust-stores.ts).
    inScope: !record.isCA && !record.selfSigned && record.keptCopy !== true && record.trustAnchor !== true,
    automation: managed ? 'managed' : client ? 'acme-client' : 'manual',
    automationDetail: managed ? `certfleet renew (${managed.name})` : client ? `${client.client} (${client.path})` : 'renewed by hand',
    place: placeOf(record.sources),
    nextIssuance: '',
    mustStaple: record.mustStaple,
    hasOcspUrl: record.hasOcspUrl,
    sources: record.sources,
    // The inventory's own finding objects: plain data nobody mutates, and 100,000 copies are GC time.
    findings: record.findings,
  };
  if (caSchedule) {
    cert.ca = caSchedule.ca;
    const profile = managed?.profile ?? inferProfile(caSchedule, record.notBefore, record.lifetimeDays);
    if (profile) cert.profile = profile;
  }
  if (managed) cert.managedName = managed.name;
  if (record.managedBy) cert.managedBy = record.managedBy;
  if (effective) cert.schedule = effective;
  if (!effective) cert.manualReason = manualReasonOf(record.sources);

  // If nothing changes: automation renews at its due point, a person at the latest at expiry.
  const intervalMs = effective ? Math.max(HOUR_MS, dueAtHours(effective, lifetimeHours) * HOUR_MS) : notAfterMs - notBeforeMs + 1000;
  const nextIssuanceMs = Math.max(asOfMs, effective ? notBeforeMs + intervalMs : notAfterMs);
  cert.nextIssuance = isoDay(nextIssuanceMs);
  const assessed: Assessed = { cert, lifetimeHours, nextIssuanceMs, renewalIntervalMs: intervalMs };
  if (managed) assessed.managed = managed;
  return assessed;
}

/** Fleets have few issuers: match each issuer name against the CA schedules once. */
const issuerCache = new WeakMap<PolicyTimeline, Map<string, PolicyTimeline['caSchedules'][number] | undefined>>();

function caScheduleOf(timeline: PolicyTimeline, issuer: string): PolicyTimeline['caSchedules'][number] | undefined {
  let byIssuer = issuerCache.get(timeline);
  if (!byIssuer) issuerCache.set(timeline, (byIssuer = new Map()));
  if (byIssuer.has(issuer)) return byIssuer.get(issuer);
  const lower = issuer.toLowerCase();
  const found = timeline.caSchedules.find((s) => s.issuerMatch.some((m) => lower.includes(m.toLowerCase())));
  if (byIssuer.size < 10_000) byIssuer.set(issuer, found);
  return found;
}

/** Each profile's lifetime over time, per CA schedule, sorted once (not once per certificate). */
const profileHistory = new WeakMap<PolicyTimeline['caSchedules'][number], PolicyTimeline['caSchedules'][number]['phases']>();

/** The CA's profile: the one whose lifetime at the certificate's issuance matches it, else the CA's default. */
function inferProfile(schedule: PolicyTimeline['caSchedules'][number], notBefore: string, lifetimeDays: number): string | undefined {
  let phases = profileHistory.get(schedule);
  if (!phases) profileHistory.set(schedule, (phases = [...schedule.phases].sort((a, b) => (a.effective < b.effective ? -1 : a.effective > b.effective ? 1 : 0))));
  const day = notBefore.slice(0, 10);
  const current = new Map<string, number>();
  for (const phase of phases) {
    if (phase.effective <= day) current.set(phase.profile, phase.validityDays);
  }
  const matching = [...current].filter(([, days]) => Math.abs(days - lifetimeDays) <= 1).map(([profile]) => profile);
  if (matching.length === 1) return matching[0];
  if (schedule.defaultProfile && (matching.length === 0 || matching.includes(schedule.defaultProfile))) return schedule.defaultProfile;
  return matching[0];
}

function* filePaths(sources: CertificateSource[]): Iterable<string> {
  for (const s of sources) {
    if (s.kind === 'file') yield s.location;
    else if (s.kind === 'proxy') yield s.certificateFile;
  }
}

function manualReasonOf(sources: CertificateSource[]): ManualReason {
  if (sources.every((s) => s.kind === 'endpoint')) return 'endpoint-only';
  const plain = sources.some((s) => s.kind === 'proxy' || (s.kind === 'file' && (s.format === 'pem' || s.format === 'der')));
  return plain ? 'not-managed' : 'keystore-only';
}

/** Where a person acts: the proxy that serves it, else the directory it sits in, else the host serving it. */
function placeOf(sources: CertificateSource[]): string {
  const proxy = sources.find((s) => s.kind === 'proxy');
  if (proxy) return `${proxy.proxy} ${dirname(proxy.configFile)}`;
  const file = sources.find((s) => s.kind === 'file');
  if (file) return dirname(file.location);
  const endpoint = sources.find((s) => s.kind === 'endpoint');
  return endpoint ? `host ${endpoint.host}` : 'unknown';
}
