import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../src/policy/checks/index.js';
import { shippedTimeline, validityPhaseAt } from '../../../src/policy/timeline.js';
import { parseCertificate, type CertificateInfo } from '../../../src/x509/certificate.js';
import { issue, type IssueOptions } from '../../helpers/pki.js';
import { chain } from '../../helpers/pki.js';

const timeline = shippedTimeline();
const day = 86_400_000;

async function leafInfo(options: Partial<IssueOptions>): Promise<CertificateInfo> {
  const { leaf } = await chain({ commonName: 'x.test', sans: ['x.test'], ...options });
  return parseCertificate(leaf.der).info;
}

function ids(cert: CertificateInfo, now: number): string[] {
  return checkCertificate(cert, { now, timeline }).map((f) => f.id);
}

describe('validity checks (fake clock)', () => {
  it('flags expired, not-yet-valid and expiring at the right moments', async () => {
    const notBefore = new Date('2026-06-01T00:00:00Z');
    const cert = await leafInfo({ notBefore, notAfter: new Date(notBefore.getTime() + 90 * day) });
    const t0 = notBefore.getTime();
    expect(ids(cert, t0 - 1000)).toEqual(['not-yet-valid']);
    expect(ids(cert, t0 + 10 * day)).toEqual([]);
    expect(ids(cert, t0 + 59 * day)).toEqual([]); // 31 days left of 90: more than a third
    expect(ids(cert, t0 + 61 * day)).toEqual(['expiring']);
    expect(ids(cert, t0 + 91 * day)).toEqual(['expired']);
  });
});

describe('lifetime-exceeds-policy', () => {
  it('uses the maximum in force at notBefore', async () => {
    const before = await leafInfo({ notBefore: new Date('2026-03-14T00:00:00Z'), notAfter: new Date('2027-04-15T23:59:59Z') });
    const after = await leafInfo({ notBefore: new Date('2026-03-15T00:00:00Z'), notAfter: new Date('2027-04-16T23:59:59Z') });
    const now = Date.parse('2026-04-01T00:00:00Z');
    expect(before.lifetimeDays).toBe(398);
    expect(ids(before, now)).not.toContain('lifetime-exceeds-policy');
    const finding = checkCertificate(after, { now, timeline }).find((f) => f.id === 'lifetime-exceeds-policy');
    expect(finding?.message).toContain('at most 200 days');
  });

  it('knows each SC-081 phase', () => {
    expect(validityPhaseAt(timeline, '2026-03-14')?.maxValidityDays).toBe(398);
    expect(validityPhaseAt(timeline, '2026-03-15')?.maxValidityDays).toBe(200);
    expect(validityPhaseAt(timeline, '2027-03-15')?.maxValidityDays).toBe(100);
    expect(validityPhaseAt(timeline, '2029-03-15')?.maxValidityDays).toBe(47);
    expect(validityPhaseAt(timeline, '2029-03-15')?.domainValidationReuseDays).toBe(10);
  });
});

describe('strength and self-signed checks', () => {
  it('flags weak keys, weak signatures and self-signed leaves', async () => {
    const now = Date.now();
    const weak = parseCertificate((await issue({ commonName: 'w.test', key: 'rsa-1024', hash: 'SHA-1' })).der).info;
    expect(ids(weak, now)).toEqual(expect.arrayContaining(['weak-key', 'weak-signature', 'self-signed']));
    expect(ids(await leafInfo({ key: 'rsa-2048' }), now)).toEqual([]);
  });

  it('does not call a root self-signed leaf, nor its own signature weak', async () => {
    const root = parseCertificate((await issue({ commonName: 'Old Root', ca: true, key: 'rsa-2048', hash: 'SHA-1', days: 3650 })).der).info;
    expect(ids(root, Date.now())).toEqual([]);
  });
});
