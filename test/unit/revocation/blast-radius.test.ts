/** How far an incident reaches: blastRadius over hand-built affected sets. */
import { describe, expect, it } from 'vitest';
import type { AffectedCertificate } from '../../../src/revocation/affected.js';
import { blastRadius } from '../../../src/revocation/blast-radius.js';

const CA_LE = 'https://acme-v02.api.letsencrypt.org/directory';
const CA_ZS = 'https://acme.zerossl.com/v2/DV90';
const KEY_SHARED = 'aa'.repeat(32);
const KEY_OTHER = 'bb'.repeat(32);

let serial = 0x100;
function affected(name: string, domains: string[], o: { issuer?: string; key?: string; ca?: string; hosts?: string[] } = {}): AffectedCertificate {
  const n = serial++;
  return {
    name,
    domains,
    ca: o.ca ?? CA_LE,
    hosts: o.hosts ?? [],
    ...(o.issuer
      ? {
          current: {
            versionId: `20260201T000000Z-${n.toString(16)}`,
            serialNumber: n.toString(16),
            fingerprintSha256: n.toString(16).padStart(64, '0'),
            issuer: o.issuer,
            notAfter: '2026-03-01T00:00:00.000Z',
            publicKeyFingerprintSha256: o.key ?? n.toString(16).padStart(64, 'f'),
          },
        }
      : {}),
  };
}

function fleet(): AffectedCertificate[] {
  return [
    affected('www', ['example.com', 'www.example.com'], { issuer: 'CN=R11,O=Let\'s Encrypt,C=US', key: KEY_SHARED, hosts: ['lb1.example.com', 'lb2.example.com'] }),
    affected('www-staging', ['WWW.example.com', 'staging.example.com'], { issuer: 'CN=R11,O=Let\'s Encrypt,C=US', key: KEY_SHARED, hosts: ['lb1.example.com'] }),
    affected('wild', ['*.example.com', 'example.com'], { issuer: 'CN=R10,O=Let\'s Encrypt,C=US', key: KEY_OTHER, hosts: ['lb1.example.com'] }),
    affected('wild-eu', ['*.eu.example.com', '*.Example.com'], { issuer: 'CN=ZeroSSL ECC Domain Secure Site CA', ca: CA_ZS, hosts: ['eu.example.com'] }),
    affected('api', ['api.example.com'], { issuer: 'CN=R11,O=Let\'s Encrypt,C=US', hosts: [] }),
    // Never issued: counted for CA and hosts (a replacement goes there), not for issuer or key.
    affected('pending', ['new.example.com'], { ca: CA_ZS, hosts: ['new.example.com'] }),
  ];
}

describe('blastRadius', () => {
  it('is all zeros and empty groups for an empty set', () => {
    expect(blastRadius([])).toEqual({ certificates: 0, names: 0, wildcards: 0, notIssued: 0, unreadable: 0, byIssuer: [], byCa: [], sharedKeys: [], byHost: [] });
  });

  it('counts certificates, distinct names (case-insensitively), wildcards and never-issued ones', () => {
    const b = blastRadius(fleet());
    expect(b.certificates).toBe(6);
    // example.com, www.example.com, staging.example.com, *.example.com, *.eu.example.com, api.example.com, new.example.com
    expect(b.names).toBe(7);
    // *.example.com appears in two certificates (once in upper case): one wildcard name.
    expect(b.wildcards).toBe(2);
    expect(b.notIssued).toBe(1);
  });

  it('counts a damaged current version as unreadable, not as never issued', () => {
    const damaged: AffectedCertificate = { ...affected('damaged', ['damaged.example.com']), unreadable: 'truncated DER' };
    delete damaged.current;
    const b = blastRadius([...fleet(), damaged]);
    expect(b.unreadable).toBe(1);
    expect(b.notIssued).toBe(1);
  });

  it('groups by issuer (issued certificates only) and by CA (all), largest first', () => {
    const b = blastRadius(fleet());
    expect(b.byIssuer).toEqual([
      { key: 'CN=R11,O=Let\'s Encrypt,C=US', count: 3 },
      { key: 'CN=R10,O=Let\'s Encrypt,C=US', count: 1 },
      { key: 'CN=ZeroSSL ECC Domain Secure Site CA', count: 1 },
    ]);
    expect(b.byCa).toEqual([
      { key: CA_LE, count: 4 },
      { key: CA_ZS, count: 2 },
    ]);
  });

  it('lists only keys that certify more than one affected certificate', () => {
    expect(blastRadius(fleet()).sharedKeys).toEqual([{ key: KEY_SHARED, count: 2 }]);
    const noSharing = fleet().filter((a) => a.name !== 'www-staging');
    expect(blastRadius(noSharing).sharedKeys).toEqual([]);
  });

  it('counts each certificate once per host it is served from', () => {
    expect(blastRadius(fleet()).byHost).toEqual([
      { key: 'lb1.example.com', count: 3 },
      { key: 'eu.example.com', count: 1 },
      { key: 'lb2.example.com', count: 1 },
      { key: 'new.example.com', count: 1 },
    ]);
  });

  it('gives the same answer whatever order the certificates come in', () => {
    const base = fleet();
    const expected = blastRadius(base);
    const orders = [[...base].reverse(), [base[3]!, base[0]!, base[5]!, base[1]!, base[4]!, base[2]!], [base[2]!, base[4]!, base[1]!, base[5]!, base[0]!, base[3]!]];
    for (const order of orders) expect(blastRadius(order)).toEqual(expected);
  });

  it('breaks count ties by key, so equal groups do not reorder between runs', () => {
    const b = blastRadius([
      affected('c', ['c.test'], { issuer: 'CN=Issuer C', ca: 'https://c.test/dir', hosts: ['c.test'] }),
      affected('a', ['a.test'], { issuer: 'CN=Issuer A', ca: 'https://a.test/dir', hosts: ['a.test'] }),
      affected('b', ['b.test'], { issuer: 'CN=Issuer B', ca: 'https://b.test/dir', hosts: ['b.test'] }),
    ]);
    expect(b.byIssuer.map((g) => g.key)).toEqual(['CN=Issuer A', 'CN=Issuer B', 'CN=Issuer C']);
    expect(b.byCa.map((g) => g.key)).toEqual(['https://a.test/dir', 'https://b.test/dir', 'https://c.test/dir']);
    expect(b.byHost.map((g) => g.key)).toEqual(['a.test', 'b.test', 'c.test']);
  });
});
