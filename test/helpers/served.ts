/** What a TLS server on loopback serves right now: the leaf's serial, by a real handshake. */
import { parseEndpointSpec } from '../../src/inventory/sources/endpoint-spec.js';
import { scanEndpoints } from '../../src/inventory/sources/endpoints.js';
import { parseCertificate } from '../../src/x509/certificate.js';

export async function servedSerial(port: number, sni: string): Promise<string> {
  const [obs] = await scanEndpoints([parseEndpointSpec(`127.0.0.1:${port},sni=${sni}`)], { concurrency: 1, connectTimeoutMs: 3000, handshakeTimeoutMs: 3000 });
  if (!obs?.ok) throw new Error(`nothing answered on 127.0.0.1:${port} for ${sni}: ${obs && !obs.ok ? obs.error : ''}`);
  return parseCertificate(obs.chain[0]!).info.serialNumber;
}

/**
 * What is served once a reload has settled: right after `nginx -s reload` the old worker keeps
 * accepting on the shared socket until it drains, so a handshake may still meet the old certificate.
 */
export async function settledSerial(port: number, sni: string, expected: string, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let seen = await servedSerial(port, sni);
  while (seen !== expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    seen = await servedSerial(port, sni);
  }
  return seen;
}
