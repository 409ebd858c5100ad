/**
 * `inventory` as a library call: every source, merged, checked. Takes its clock, inputs and
 * progress callback as arguments; never prints, never exits.
 */
import { checkCertificate } from '../policy/checks/index.js';
import { checkKey } from '../policy/checks/keys.js';
import type { PolicyTimeline } from '../policy/timeline.js';
import { TrustAnchors } from '../x509/trust-anchors.js';
import { CertfleetHomes, summariseManaged } from './certfleet-homes.js';
import { InventoryCollector } from './collector.js';
import { attachEndpointObservations } from './endpoint-stage.js';
import {
  INVENTORY_SCHEMA_VERSION,
  type FileSource,
  type InventoryError,
  type InventoryResult,
  type Severity,
  type TrustStoresMode,
} from './model.js';
import { attachProxySources, filesOf, readProxyConfigs, type ProxyConfigRef } from './proxy-stage.js';
import type { EndpointObservation, EndpointSpec } from './sources/endpoint-types.js';
import { scanEndpoints } from './sources/endpoints.js';
import type { FileReadResult } from './sources/file-content.js';
import { runFileStage } from './sources/file-stage.js';
import type { PasswordRule } from './sources/passwords.js';
import { detectProxyConfigs } from './sources/proxies/detect.js';
import type { ReadLimits } from './sources/read-file.js';
import { isTrustAnchor, trustStoreOf } from './trust-stores.js';

export interface InventoryOptions {
  paths: string[];
  proxyConfigs: ProxyConfigRef[];
  /** Look for well-known proxy configs (nginx.conf, apache2.conf, ...) inside scanned directories. */
  detectProxyConfigs: boolean;
  /** Re-root absolute paths found in proxy configs under this directory. */
  root?: string;
  /** Names Apache httpd is started with `-D`, for `<IfDefine>`. */
  apacheDefines?: string[];
  endpoints: EndpointSpec[];
  passwords: PasswordRule[];
  /** Extra trust anchors (a private CA), PEM or DER. */
  extraCa: Uint8Array[];
  exclude: string[];
  endpointConcurrency: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  workers?: number;
  limits?: ReadLimits;
  /** Certificates only system trust stores hold: listed as trust anchors unchecked (default), checked, or left out. */
  trustStores?: TrustStoresMode;
  timeline: PolicyTimeline;
  now: Date;
}

export type InventoryStage = 'proxies' | 'files' | 'endpoints' | 'checks';

export type ProgressEvent =
  | { stage: InventoryStage; state: 'start'; total?: number }
  | { stage: InventoryStage; state: 'progress'; done: number; total?: number }
  | { stage: InventoryStage; state: 'end'; done: number };

export interface InventoryHooks {
  onProgress?: (event: ProgressEvent) => void;
}

export async function runInventory(options: InventoryOptions, hooks: InventoryHooks = {}): Promise<InventoryResult> {
  const started = Date.now();
  const progress = hooks.onProgress ?? (() => undefined);
  const errors: InventoryError[] = [];
  const onError = (e: InventoryError) => errors.push(e);
  const collector = new InventoryCollector();
  const homes = new CertfleetHomes();

  // Endpoints run alongside the file work: one waits on the network, the other on disk and CPU.
  const endpointWork = scanAllEndpoints(options, progress);

  progress({ stage: 'proxies', state: 'start' });
  const proxyConfigs = [...options.proxyConfigs];
  const readOptions = {
    ...(options.root === undefined ? {} : { root: options.root }),
    ...(options.apacheDefines?.length ? { apacheDefines: options.apacheDefines } : {}),
  };
  if (options.detectProxyConfigs) {
    for (const dir of options.paths) proxyConfigs.push(...(await detectProxyConfigs(dir, readOptions).catch(() => [])));
  }
  const bindings = await readProxyConfigs(dedupeConfigs(proxyConfigs), readOptions, onError);
  progress({ stage: 'proxies', state: 'end', done: bindings.length });

  const proxyFiles = new Set(bindings.flatMap(filesOf));
  const keptForProxies = new Map<string, FileReadResult>();
  progress({ stage: 'files', state: 'start' });
  const { filesRead } = await runFileStage({
    paths: options.paths,
    extraFiles: [...proxyFiles],
    exclude: options.exclude,
    passwords: options.passwords,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    onError,
    onProgress: (done) => progress({ stage: 'files', state: 'progress', done }),
    onResult: (file) => {
      if (proxyFiles.has(file.path)) keptForProxies.set(file.path, file);
      for (const message of file.errors) errors.push({ source: file.path, message });
      const trustStore = trustStoreOf(file);
      for (const cert of file.certificates) {
        const source: FileSource = { kind: 'file', location: file.path, format: cert.format, ...(cert.entry ? { entry: cert.entry } : {}) };
        if (trustStore) source.trustStore = trustStore;
        collector.addCertificate(cert.info, source);
        homes.note(source, file.path, file.linkTarget);
      }
      for (const key of file.keys) {
        const record = collector.addKey(file.path, key, file.mode, file.keys.length === 1);
        if (record) homes.note(record, file.path, file.linkTarget);
      }
    },
  });
  await homes.tag();
  progress({ stage: 'files', state: 'end', done: filesRead });

  const observations = await endpointWork;
  const needAnchors = bindings.length > 0 || observations.length > 0;
  const anchors = needAnchors ? TrustAnchors.withSystemRoots(options.extraCa) : new TrustAnchors([]);
  attachProxySources(bindings, keptForProxies, collector, anchors, onError);
  attachEndpointObservations(observations, collector, anchors, onError);

  progress({ stage: 'checks', state: 'start' });
  const context = { now: options.now.getTime(), timeline: options.timeline };
  const trustStores = options.trustStores ?? 'anchors';
  const certificateKeys = new Set<string>();
  let keptCopies = 0;
  let trustAnchors = 0;
  for (const record of collector.certificates.values()) {
    certificateKeys.add(record.publicKeyFingerprintSha256);
    summariseManaged(record);
    // A copy certfleet keeps and nothing serves (a rollback version, the files found before it)
    // is not checked as a certificate in service: an expired as-found copy must not fail a scan.
    if (record.keptCopy) {
      keptCopies++;
      continue;
    }
    // Likewise a root only trust stores hold: an expired root in /etc/ssl is Debian's business.
    if (isTrustAnchor(record)) {
      record.trustAnchor = true;
      trustAnchors++;
      if (trustStores !== 'check') continue;
    }
    const own = checkCertificate(record, context);
    record.findings.unshift(...own);
  }
  for (const key of collector.keys.values()) {
    key.matched = key.fingerprintSha256 !== undefined && certificateKeys.has(key.fingerprintSha256);
    key.findings = checkKey(key);
  }
  progress({ stage: 'checks', state: 'end', done: collector.certificates.size });

  const listed = [...collector.certificates.values()].filter((r) => !(trustStores === 'skip' && r.trustAnchor));
  const certificates = listed.sort((a, b) => a.notAfter.localeCompare(b.notAfter) || a.fingerprintSha256.localeCompare(b.fingerprintSha256));
  const keys = [...collector.keys.values()].sort((a, b) => a.path.localeCompare(b.path));
  const findings: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const r of [...certificates, ...keys]) for (const f of r.findings) findings[f.severity]++;

  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    generatedAt: options.now.toISOString(),
    certificates,
    keys,
    errors,
    summary: {
      certificates: certificates.length,
      keptCopies,
      trustAnchors,
      keys: keys.length,
      errors: errors.length,
      findings,
      sourcesScanned: { files: filesRead, proxyConfigs: proxyConfigs.length, endpoints: options.endpoints.length },
      durationMs: Date.now() - started,
    },
  };
}

async function scanAllEndpoints(options: InventoryOptions, progress: (e: ProgressEvent) => void): Promise<EndpointObservation[]> {
  if (options.endpoints.length === 0) return [];
  const total = options.endpoints.length;
  progress({ stage: 'endpoints', state: 'start', total });
  const observations = await scanEndpoints(options.endpoints, {
    concurrency: options.endpointConcurrency,
    connectTimeoutMs: options.connectTimeoutMs,
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    extraCa: options.extraCa,
    onResult: (_obs, done) => progress({ stage: 'endpoints', state: 'progress', done, total }),
  });
  progress({ stage: 'endpoints', state: 'end', done: total });
  return observations;
}

function dedupeConfigs(configs: ProxyConfigRef[]): ProxyConfigRef[] {
  const seen = new Set<string>();
  return configs.filter((c) => {
    const key = `${c.proxy}:${c.file}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
