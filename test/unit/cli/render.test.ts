import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/inventory-exit.js';
import { csvRow } from '../../../src/cli/render/csv.js';
import { renderInventory as renderPieces, type InventoryFormat } from '../../../src/cli/render/inventory.js';
import type { CertificateRecord, InventoryResult } from '../../../src/inventory/model.js';

const cert: CertificateRecord = {
  fingerprintSha256: 'ab'.repeat(32), subject: 'CN=a.test, O=Acme, Inc.', issuer: 'CN=CA', serialNumber: '01', notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-02-01T00:00:00.000Z', lifetimeDays: 32, sans: ['a.test', 'b.test'], commonName: 'a.test', keyType: 'EC', keyBits: 256, curve: 'prime256v1',
  signatureAlgorithm: 'ecdsa-with-SHA256', weakSignature: false, publicKeyFingerprintSha256: 'cd'.repeat(32), isCA: false, selfIssued: false, selfSigned: false,
  authorityKeyId: undefined, subjectKeyId: undefined, mustStaple: false, hasOcspUrl: false,
  sources: [{ kind: 'file', location: '/etc/ssl/a.pem', format: 'pem' }],
  findings: [{ id: 'expired', severity: 'error', message: 'expired' }],
};

const renderInventory = (r: InventoryResult, format: InventoryFormat, options: { color: boolean; cwd: string }) => [...renderPieces(r, format, options)].join('');

function result(overrides: Partial<InventoryResult> = {}): InventoryResult {
  return {
    schemaVersion: 1, generatedAt: '2026-11-22T00:00:00.000Z', certificates: [cert], keys: [], errors: [],
    summary: { certificates: 1, keys: 0, errors: 0, findings: { error: 1, warning: 0, info: 0 }, sourcesScanned: { files: 1, proxyConfigs: 0, endpoints: 0 }, durationMs: 5 },
    ...overrides,
  };
}

describe('renderers', () => {
  it('JSON is one document with schemaVersion and the fields of the contract', () => {
    const doc = JSON.parse(renderInventory(result(), 'json', { color: false, cwd: '/' }));
    expect(doc.schemaVersion).toBe(1);
    expect(Object.keys(doc.certificates[0])).toEqual(expect.arrayContaining([
      'fingerprintSha256', 'subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'lifetimeDays', 'sans', 'keyType', 'keyBits', 'sources', 'findings',
    ]));
  });

  it('JSON is written in pieces yet is exactly JSON.stringify of the result', () => {
    const many = result({ certificates: [cert, { ...cert, fingerprintSha256: 'ef'.repeat(32) }], errors: [{ source: 'a', message: 'b' }] });
    expect(renderInventory(many, 'json', { color: false, cwd: '/' })).toBe(JSON.stringify(many, null, 2) + '\n');
    expect(renderInventory(result({ certificates: [] }), 'json', { color: false, cwd: '/' })).toBe(JSON.stringify(result({ certificates: [] }), null, 2) + '\n');
  });

  it('NDJSON is one typed object a line', () => {
    const lines = renderInventory(result({ errors: [{ source: 'x', message: 'y' }] }), 'ndjson', { color: false, cwd: '/' }).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['inventory', 'certificate', 'error', 'summary']);
    expect(lines[0].schemaVersion).toBe(1);
  });

  it('CSV quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(csvRow(['a', 'b,c', 'say "hi"', '=cmd()', undefined])).toBe('a,"b,c","say ""hi""",\'=cmd(),\r\n');
    const csv = renderInventory(result(), 'csv', { color: false, cwd: '/' }).split('\r\n');
    expect(csv[0]).toMatch(/^fingerprintSha256,subject,/);
    expect(csv[1]).toContain('"CN=a.test, O=Acme, Inc."');
  });

  it('the table shows the certificate, its finding and the summary, without colour codes when off', () => {
    const table = renderInventory(result(), 'table', { color: false, cwd: '/' });
    expect(table).toContain('a.test');
    expect(table).toContain('expired');
    expect(table).toContain('1 certificates, 0 private keys');
    expect(table).not.toContain('\u001b[');
  });
});

describe('exit codes', () => {
  it('0 clean, 1 at or above --fail-on, 3 when a source was unreadable', () => {
    expect(exitCodeOf(result(), 'error')).toBe(1);
    expect(exitCodeOf(result(), 'never')).toBe(0);
    expect(exitCodeOf(result({ certificates: [{ ...cert, findings: [{ id: 'expiring', severity: 'warning', message: '' }] }] }), 'error')).toBe(0);
    expect(exitCodeOf(result({ certificates: [{ ...cert, findings: [{ id: 'expiring', severity: 'warning', message: '' }] }] }), 'warning')).toBe(1);
    expect(exitCodeOf(result({ errors: [{ source: 'a', message: 'b' }] }), 'error')).toBe(3);
  });
});
