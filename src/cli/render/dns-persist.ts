/** `certfleet dns persist-record`: the records as zone-file lines (with a comment saying whose they are), or one JSON document. */
import type { PersistRecordReport } from '../../renewal/persist-record.js';

export function renderPersistRecords(report: PersistRecordReport, format: 'zone' | 'json'): string {
  if (format === 'json') {
    const { records, ...rest } = report;
    return `${JSON.stringify({ schemaVersion: 1, ...rest, records: records.map((r) => ({ domain: r.domain, name: r.name, ttl: r.ttl, type: 'TXT', value: r.value, wildcard: r.wildcard })) }, null, 2)}\n`;
  }
  const form = report.accountUriForm === 'hashed' ? 'hashed (draft-ietf-acme-dns-persist-02)' : 'the account URL (the CA advertises no accountHashPrefix: draft -01)';
  return [
    `; dns-persist-01 records for certificate ${report.certificate}: publish once, keep them (they authorise the account, not one order)`,
    `; CA ${report.directoryUrl}, account ${report.accountUrl}, issuer domain name ${report.issuerDomainName}, accounturi ${form}`,
    ...report.records.map((r) => `${r.name} ${r.ttl} IN TXT ${r.rdata}`),
    '',
  ].join('\n');
}
