/** Live endpoints: scan, parse what was served, attach endpoint sources and serving findings. */
import { hostnameMismatch, incompleteChain, untrustedChain } from '../policy/checks/serving.js';
import { parseCertificate, type CertificateInfo } from '../x509/certificate.js';
import type { TrustAnchors } from '../x509/trust-anchors.js';
import type { InventoryCollector } from './collector.js';
import type { InventoryError } from './model.js';
import type { EndpointObservation } from './sources/endpoint-types.js';

export function attachEndpointObservations(
  observations: readonly EndpointObservation[],
  collector: InventoryCollector,
  anchors: TrustAnchors,
  onError: (e: InventoryError) => void,
): void {
  for (const obs of observations) {
    const { spec } = obs;
    const location = `${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    const source = spec.sni && spec.sni !== spec.host ? `${location} (SNI ${spec.sni})` : location;
    if (!obs.ok) {
      onError({ source: spec.raw, message: obs.error });
      continue;
    }
    const served: CertificateInfo[] = [];
    for (const der of obs.chain) {
      try {
        served.push(parseCertificate(der).info);
      } catch (err) {
        onError({ source: spec.raw, message: `served an unparsable certificate: ${(err as Error).message}` });
      }
    }
    const leaf = served[0];
    if (!leaf) continue;
    served.forEach((info, chainPosition) => {
      collector.addCertificate(info, {
        kind: 'endpoint',
        location,
        host: spec.host,
        port: spec.port,
        ...(spec.sni ? { sni: spec.sni } : {}),
        ...(spec.starttls ? { starttls: spec.starttls } : {}),
        protocol: obs.protocol,
        chainPosition,
        trusted: obs.trusted,
        ...(obs.trustError ? { trustError: obs.trustError } : {}),
        ...(chainPosition === 0 ? { nameMatches: obs.nameMatches } : {}),
      });
    });
    const name = spec.sni ?? spec.host;
    const chainFinding = incompleteChain(served, anchors, source);
    const findings = [
      obs.nameMatches ? undefined : hostnameMismatch(leaf, [name], source),
      chainFinding,
      // Say "untrusted" only when no more precise finding (self-signed, incomplete) explains it.
      !obs.trusted && !chainFinding && !leaf.selfSigned ? untrustedChain(obs.trustError ?? 'unknown reason', source) : undefined,
    ];
    for (const f of findings) if (f) collector.addFinding(leaf.fingerprintSha256, f);
  }
}
