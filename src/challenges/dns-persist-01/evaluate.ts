/**
 * Would the CA accept what is published? The verification procedure of
 * draft-ietf-acme-dns-persist-02 (sections 4.2, 4.3.2) as a pure function of the TXT values at
 * `_validation-persist.<domain>`, what this account and CA expect, and the clock: keep the records
 * whose issuer domain name is one of the CA's, then accept one whose accounturi is ours, that is
 * not past its persistUntil, and that says policy=wildcard when a wildcard is asked for. The
 * finding says why not, in the words an operator can act on, before the CA is asked.
 */
import { parsePersistRecord, type ParsedPersistRecord } from './record.js';

export interface PersistExpectation {
  /** The CA's issuer domain names (normalised). */
  issuerDomainNames: readonly string[];
  /** Every accounturi the CA accepts from this account for the domain (acceptedAccountUris). */
  accountUris: readonly string[];
  /** A wildcard (or a subdomain) rides on this record: it must say policy=wildcard. */
  wildcard: boolean;
}

export type PersistFinding =
  | { ok: true; record: ParsedPersistRecord; value: string }
  | { ok: false; reason: 'absent' | 'other-issuer' | 'malformed' | 'other-account' | 'expired' | 'no-wildcard'; detail: string };

export function evaluatePersistRecords(values: readonly string[], expected: PersistExpectation, now: Date): PersistFinding {
  if (values.length === 0) return { ok: false, reason: 'absent', detail: 'no TXT record' };
  const ours: Array<{ value: string; record: ParsedPersistRecord }> = [];
  const otherIssuers: string[] = [];
  const malformed: string[] = [];
  for (const value of values) {
    let record: ParsedPersistRecord;
    try {
      record = parsePersistRecord(value);
    } catch (err) {
      malformed.push((err as Error).message);
      continue;
    }
    if (expected.issuerDomainNames.includes(record.issuerDomainName)) ours.push({ value, record });
    else otherIssuers.push(record.issuerDomainName);
  }
  if (ours.length === 0) {
    if (malformed.length > 0 && otherIssuers.length === 0) return { ok: false, reason: 'malformed', detail: malformed.join('; ') };
    return {
      ok: false,
      reason: 'other-issuer',
      detail: `no record names this CA (${expected.issuerDomainNames.join(', ')}); found ${otherIssuers.length > 0 ? otherIssuers.join(', ') : 'none'}${malformed.length > 0 ? ` and ${malformed.length} malformed` : ''}`,
    };
  }
  const seconds = Math.floor(now.getTime() / 1000);
  let best: PersistFinding | undefined;
  for (const { value, record } of ours) {
    if (record.accountUri === undefined || !expected.accountUris.includes(record.accountUri)) {
      best ??= { ok: false, reason: 'other-account', detail: record.accountUri === undefined ? `"${value}" has no accounturi` : `accounturi=${record.accountUri} is not this account's (expected ${expected.accountUris[0] ?? '?'})` };
      continue;
    }
    if (record.persistUntil !== undefined && record.persistUntil < seconds) {
      best = { ok: false, reason: 'expired', detail: `persistUntil=${record.persistUntil} (${new Date(record.persistUntil * 1000).toISOString()}) has passed` };
      continue;
    }
    if (expected.wildcard && !record.wildcard) {
      best = { ok: false, reason: 'no-wildcard', detail: `"${value}" lacks policy=wildcard, which a wildcard name needs` };
      continue;
    }
    return { ok: true, record, value };
  }
  return best as PersistFinding;
}
