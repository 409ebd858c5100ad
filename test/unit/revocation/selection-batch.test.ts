/**
 * On a store with batch reads (the shared store), the selection reads current certificates a page
 * of 500 at a time through statusPage, which selects no key column, and never `current()` (a query
 * and a key decryption per certificate); a page that cannot be read falls back to one at a time.
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedChallengeConfig } from '../../../src/challenges/config.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { findAffected } from '../../../src/revocation/affected.js';
import type { CertificateRecords, CertificateStatusFacts, IssuedVersion } from '../../../src/store/ports.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { issue } from '../../helpers/pki.js';

const managed = (name: string) => ({ name, domains: [`${name}.example.com`], ca: { directoryUrl: 'https://ca' }, challenge: {} as ResolvedChallengeConfig, verify: [] }) as unknown as ManagedCertificate;

describe('findAffected on a store with batch reads', async () => {
  const ca = await issue({ commonName: 'Test CA', ca: true, days: 30 });
  const leaf = await issue({ commonName: 'c7.example.com', sans: ['c7.example.com'], serial: '0c0007' }, ca);
  const names = Array.from({ length: 1201 }, (_, i) => `c${i}`);
  const version = { id: 'v1', serialNumber: parseCertificate(leaf.der).info.serialNumber } as IssuedVersion;

  function store(failPages: boolean) {
    const pages: number[] = [];
    let currents = 0;
    const records = {
      statusPage: (page: readonly string[]) => {
        pages.push(page.length);
        if (failPages) return Promise.reject(new Error('connection reset'));
        // c7 has a certificate; the rest were never issued.
        return Promise.resolve(new Map<string, CertificateStatusFacts>(page.includes('c7') ? [['c7', { current: { version, certPem: leaf.certPem } } as CertificateStatusFacts]] : []));
      },
      current: (name: string) => {
        currents++;
        return Promise.resolve(name === 'c7' ? { version, files: { certPem: leaf.certPem, chainPem: '', fullchainPem: '', keyPem: 'KEY' } } : undefined);
      },
    } as unknown as CertificateRecords;
    return { records, pages, currents: () => currents };
  }

  it('reads pages of 500 and no current()', async () => {
    const s = store(false);
    const found = await findAffected({ certificates: names.map(managed) } as never, s.records, { names: [], all: false, serials: ['0c0007'], domains: [], keyFingerprints: [] });
    expect(found.map((a) => [a.name, a.current?.versionId])).toEqual([['c7', 'v1']]);
    expect(s.pages).toEqual([500, 500, 201]);
    expect(s.currents()).toBe(0);
  });

  it('falls back to one certificate at a time when a page cannot be read', async () => {
    const s = store(true);
    const found = await findAffected({ certificates: names.slice(0, 10).map(managed) } as never, s.records, { names: [], all: false, serials: ['0c0007'], domains: [], keyFingerprints: [] });
    expect(found.map((a) => a.name)).toEqual(['c7']);
    expect(s.currents()).toBe(10);
  });
});
