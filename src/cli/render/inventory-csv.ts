/** One row per certificate: what a spreadsheet owner needs to chase renewals. */
import type { InventoryResult } from '../../inventory/model.js';
import { csvRow } from './csv.js';

const header = [
  'fingerprintSha256', 'subject', 'issuer', 'serialNumber', 'notBefore', 'notAfter', 'lifetimeDays', 'sans', 'keyType', 'keyBits',
  'signatureAlgorithm', 'isCA', 'sources', 'findings', 'worstSeverity',
];

export function* renderInventoryCsv(result: InventoryResult): Iterable<string> {
  yield csvRow(header);
  for (const c of result.certificates) {
    const worst = c.findings.find((f) => f.severity === 'error')?.severity ?? c.findings.find((f) => f.severity === 'warning')?.severity ?? c.findings[0]?.severity ?? '';
    yield csvRow([
      c.fingerprintSha256, c.subject, c.issuer, c.serialNumber, c.notBefore, c.notAfter, c.lifetimeDays, c.sans.join(' '), c.keyType, c.keyBits,
      c.signatureAlgorithm, c.isCA, c.sources.map((s) => `${s.kind}:${s.location}`).join('; '), c.findings.map((f) => f.id).join(' '), worst,
    ]);
  }
}
