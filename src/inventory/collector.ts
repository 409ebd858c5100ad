/**
 * Gathers certificates and keys from every source into one record each: a certificate found in
 * three places is one record with three sources (merged by SHA-256 fingerprint).
 */
import type { CertificateInfo } from '../x509/certificate.js';
import type { CertificateRecord, CertificateSource, Finding, KeyRecord } from './model.js';
import type { FileKey } from './sources/file-content.js';

export class InventoryCollector {
  readonly certificates = new Map<string, CertificateRecord>();
  readonly keys = new Map<string, KeyRecord>();

  addCertificate(info: CertificateInfo, source: CertificateSource): CertificateRecord {
    let record = this.certificates.get(info.fingerprintSha256);
    if (!record) {
      record = { ...info, sources: [], findings: [] };
      this.certificates.set(info.fingerprintSha256, record);
    }
    record.sources.push(source);
    return record;
  }

  addFinding(fingerprint: string, finding: Finding): void {
    const record = this.certificates.get(fingerprint);
    if (!record) return;
    const duplicate = record.findings.some((f) => f.id === finding.id && f.location === finding.location && f.message === finding.message);
    if (!duplicate) record.findings.push(finding);
  }

  /** One key record per file and position; a key file found twice is kept once (undefined the second time). `alone`: the file's only key. */
  addKey(path: string, key: FileKey, mode: number | undefined, alone: boolean): KeyRecord | undefined {
    const id = key.entry && !alone ? `${path}#${key.entry}` : path;
    if (this.keys.has(id)) return undefined;
    const record: KeyRecord = {
      path: id,
      keyType: key.keyType,
      keyBits: key.keyBits,
      format: key.format,
      encrypted: key.encrypted,
      matched: false,
      findings: [],
    };
    if (key.publicKeyFingerprintSha256 !== undefined) record.fingerprintSha256 = key.publicKeyFingerprintSha256;
    if (mode !== undefined) record.mode = mode;
    this.keys.set(id, record);
    return record;
  }
}
