/** The CycloneDX renderer on records made by hand: hostile text, the serial number, keys without certificates. */
import { describe, expect, it } from 'vitest';
import { renderInventory } from '../../../src/cli/render/inventory.js';
import type { CertificateRecord, InventoryResult, KeyRecord } from '../../../src/inventory/model.js';

const EVIL = 'CN=evil\u001b]0;owned\u0007\r\nFAKE\u009b31m\u007f';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const cert: CertificateRecord = {
  fingerprintSha256: 'ab'.repeat(32), subject: EVIL, issuer: 'CN=CA', serialNumber: '01', notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-02-01T00:00:00.000Z', lifetimeDays: 32, sans: [`${EVIL}.test`], commonName: EVIL, keyType: 'EC', keyBits: 256, curve: 'prime256v1',
  signatureAlgorithm: '1.2.3.4.5', weakSignature: false, publicKeyFingerprintSha256: 'cd'.repeat(32), isCA: true, selfIssued: true, selfSigned: true,
  authorityKeyId: undefined, subjectKeyId: undefined, mustStaple: false, hasOcspUrl: false, trustAnchor: true,
  sources: [{ kind: 'file', location: `/etc/ssl/${EVIL}.pem`, format: 'pem', trustStore: 'root-bundle' }],
  findings: [{ id: 'expired', severity: 'error', message: `expired: ${EVIL}` }],
};

const keys: KeyRecord[] = [
  { path: '/etc/ssl/private/orphan.key', fingerprintSha256: 'ee'.repeat(32), keyType: 'EC', keyBits: 384, format: 'sec1', encrypted: false, mode: 0o100644, matched: false, findings: [] },
  { path: '/etc/ssl/private/locked.key', keyType: 'unknown', keyBits: 0, format: 'pkcs8', encrypted: true, matched: false, findings: [] },
];

function inventory(overrides: Partial<InventoryResult> = {}): InventoryResult {
  return {
    schemaVersion: 1, generatedAt: '2026-11-22T00:00:00.000Z', certificates: [cert], keys, errors: [],
    summary: { certificates: 1, keys: 2, errors: 0, findings: { error: 1, warning: 0, info: 0 }, sourcesScanned: { files: 1, proxyConfigs: 0, endpoints: 0 }, durationMs: 5 },
    ...overrides,
  };
}

const render = (r: InventoryResult) => [...renderInventory(r, 'cyclonedx', { color: false, cwd: '/', toolVersion: '1.2.3' })].join('');

describe('CycloneDX renderer', () => {
  it('writes certificate-controlled text as JSON escapes, the same text once parsed', () => {
    const text = render(inventory());
    expect(text).not.toMatch(RAW);
    const bom = JSON.parse(text);
    const c = bom.components[0];
    expect(c.name).toBe(EVIL);
    expect(c.cryptoProperties.certificateProperties.subjectName).toBe(EVIL);
    expect(c.evidence.occurrences[0]).toEqual({ location: `/etc/ssl/${EVIL}.pem`, additionalContext: 'pem file, trust store (root-bundle)' });
    expect(c.properties).toEqual(expect.arrayContaining([
      { name: 'certfleet:san', value: `${EVIL}.test` },
      { name: 'certfleet:trustAnchor', value: 'true' },
      { name: 'certfleet:isCA', value: 'true' },
      { name: 'certfleet:finding', value: `expired (error): expired: ${EVIL}` },
    ]));
  });

  it('a signature algorithm OpenSSL has no name for keeps its OID', () => {
    const bom = JSON.parse(render(inventory()));
    const algorithm = bom.components.find((c: { name: string }) => c.name === '1.2.3.4.5');
    expect(algorithm['bom-ref']).toBe('crypto/algorithm/1.2.3.4.5@1.2.3.4.5');
    expect(algorithm.cryptoProperties.oid).toBe('1.2.3.4.5');
  });

  it('the serial number is an RFC 4122 version 5 UUID of the scan: the same result the same, a new scan a new one', () => {
    const serial = (r: InventoryResult) => JSON.parse(render(r)).serialNumber as string;
    expect(serial(inventory())).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(serial(inventory())).toBe(serial(inventory()));
    expect(serial(inventory({ generatedAt: '2026-11-22T00:00:01.000Z' }))).not.toBe(serial(inventory()));
  });

  it('a private key without a certificate: its own algorithm and size; an encrypted one unopened: unknown, password-secured', () => {
    const bom = JSON.parse(render(inventory()));
    const [orphan, locked] = bom.components.filter((c: { cryptoProperties: { relatedCryptoMaterialProperties?: { type: string } } }) => c.cryptoProperties.relatedCryptoMaterialProperties?.type === 'private-key');
    expect(orphan).toMatchObject({
      name: 'EC-384 private key',
      cryptoProperties: { relatedCryptoMaterialProperties: { algorithmRef: 'crypto/algorithm/ec-384@1.2.840.10045.2.1', size: 384, format: 'sec1', securedBy: { mechanism: 'None' } } },
      evidence: { occurrences: [{ location: '/etc/ssl/private/orphan.key' }] },
    });
    expect(orphan.properties).toContainEqual({ name: 'certfleet:fileMode', value: '0644' });
    expect(orphan.properties.some((p: { name: string }) => p.name === 'certfleet:publicKeyRef')).toBe(false);
    expect(locked.name).toBe('unknown private key');
    expect(locked.cryptoProperties.relatedCryptoMaterialProperties).toEqual({ type: 'private-key', algorithmRef: 'crypto/algorithm/unknown', format: 'pkcs8', securedBy: { mechanism: 'Password' } });
  });
});
