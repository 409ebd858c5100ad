/**
 * Proxy configs: read each (following includes), then, once the files they name have been read,
 * attach a proxy source to every certificate served and check what the proxy serves as a whole:
 * names against SANs, the key against the certificate, the chain against the trust anchors.
 */
import { hostnameMismatch, incompleteChain, keyMismatch } from '../policy/checks/serving.js';
import type { CertificateInfo } from '../x509/certificate.js';
import type { TrustAnchors } from '../x509/trust-anchors.js';
import type { InventoryCollector } from './collector.js';
import type { InventoryError, ProxyKind } from './model.js';
import type { FileReadResult } from './sources/file-content.js';
import type { ProxyBinding, ProxyConfigResult, ProxyReadOptions } from './sources/proxy-types.js';
import { readApacheConfig } from './sources/proxies/apache.js';
import { readHaproxyConfig } from './sources/proxies/haproxy.js';
import { readNginxConfig } from './sources/proxies/nginx.js';
import { readTraefikConfig } from './sources/proxies/traefik.js';

export interface ProxyConfigRef {
  proxy: ProxyKind;
  file: string;
}

const readers: Record<ProxyKind, (file: string, options?: ProxyReadOptions) => Promise<ProxyConfigResult>> = {
  nginx: readNginxConfig,
  apache: readApacheConfig,
  haproxy: readHaproxyConfig,
  traefik: readTraefikConfig,
};

export async function readProxyConfigs(
  configs: readonly ProxyConfigRef[],
  options: ProxyReadOptions,
  onError: (e: InventoryError) => void,
): Promise<ProxyBinding[]> {
  const results = await Promise.all(configs.map((c) => readers[c.proxy](c.file, options)));
  const bindings: ProxyBinding[] = [];
  for (const r of results) {
    bindings.push(...r.bindings);
    r.errors.forEach(onError);
  }
  return bindings;
}

/** The files a binding needs read: certificate, key, chain. */
export function filesOf(binding: ProxyBinding): string[] {
  return [binding.certificateFile, binding.keyFile, binding.chainFile].filter((f): f is string => f !== undefined);
}

export function attachProxySources(
  bindings: readonly ProxyBinding[],
  files: ReadonlyMap<string, FileReadResult>,
  collector: InventoryCollector,
  anchors: TrustAnchors,
  onError: (e: InventoryError) => void,
): void {
  for (const binding of bindings) {
    const location = `${binding.configFile}:${binding.line}`;
    const certFile = files.get(binding.certificateFile);
    if (!certFile || certFile.certificates.length === 0) {
      // The file's own read error is reported once under the file; say here who needed it.
      const why = certFile?.errors[0] ?? 'no certificate in it';
      onError({ source: location, message: `${binding.proxy} serves ${binding.certificateFile}, which could not be used: ${why}` });
      continue;
    }
    const served: CertificateInfo[] = certFile.certificates.map((c) => c.info);
    if (binding.chainFile) served.push(...(files.get(binding.chainFile)?.certificates.map((c) => c.info) ?? []));
    const leaf = served[0]!;
    served.forEach((info, chainPosition) => {
      collector.addCertificate(info, {
        kind: 'proxy',
        location,
        proxy: binding.proxy,
        configFile: binding.configFile,
        line: binding.line,
        certificateFile: binding.certificateFile,
        ...(binding.keyFile ? { keyFile: binding.keyFile } : {}),
        serverNames: binding.serverNames,
        chainPosition,
      });
    });
    const findings = [
      hostnameMismatch(leaf, binding.serverNames, location),
      incompleteChain(served, anchors, location),
      checkProxyKey(leaf, files.get(binding.keyFile ?? binding.certificateFile), location),
    ];
    for (const f of findings) if (f) collector.addFinding(leaf.fingerprintSha256, f);
  }
}

/** A key file that could not be read is already an error of its own; say nothing more about it here. */
function checkProxyKey(leaf: CertificateInfo, keyFile: FileReadResult | undefined, location: string) {
  const key = keyFile?.keys[0];
  if (keyFile && !key && keyFile.errors.length > 0) return undefined;
  return keyMismatch(leaf, key && keyFile && { path: keyFile.path, fingerprintSha256: key.publicKeyFingerprintSha256 }, location);
}
