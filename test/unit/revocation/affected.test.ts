/**
 * Which managed certificates an incident touches: findAffected over a real certificate store,
 * holding certificates minted at test time by two issuers.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedChallengeConfig } from '../../../src/challenges/config.js';
import { UsageError } from '../../../src/errors.js';
import type { EndpointSpec } from '../../../src/inventory/sources/endpoint-types.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import type { ManagedCertificate, RenewSettings } from '../../../src/renewal/managed.js';
import { domainMatcher, findAffected, hasCriteria, normaliseSerial, type AffectedCriteria } from '../../../src/revocation/affected.js';
import { CertificateStore, versionId } from '../../../src/store/certificate-store.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { issue, tempDir, type Issued } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';

const CA_ONE = 'https://127.0.0.1:14000/dir';
const CA_TWO = 'https://127.0.0.1:15000/dir';

function criteria(c: Partial<AffectedCriteria> = {}): AffectedCriteria {
  return { names: [], all: false, serials: [], domains: [], keyFingerprints: [], ...c };
}

function endpoint(host: string, port: number, sni?: string): EndpointSpec {
  return { host, port, ...(sni ? { sni } : {}), raw: `${host}:${port}${sni ? `#${sni}` : ''}` };
}

/** Only what findAffected reads is real; the challenge is never used here. */
function managed(name: string, domains: string[], directoryUrl: string, verify: EndpointSpec[] = []): ManagedCertificate {
  return {
    name,
    domains,
    keyType: 'ec-p256',
    reuseKey: false,
    ca: { directoryUrl, requestTimeoutMs: 1000, contact: [], acceptTermsOfService: true },
    challenge: {} as ResolvedChallengeConfig,
    pre: [],
    post: [],
    verify,
    verifyTimeoutMs: 1000,
    verifyCa: [],
  };
}

/** Store a certificate as renew does: a version, then `current` pointed at it. */
async function storeIssued(store: CertificateStore, name: string, leaf: Issued, issuer: Issued, issuedAt: Date, makeCurrent = true): Promise<string> {
  const info = parseCertificate(leaf.der).info;
  const id = versionId(issuedAt, info.serialNumber);
  await store.addVersion(
    name,
    { id, serialNumber: info.serialNumber, fingerprintSha256: info.fingerprintSha256, notBefore: info.notBefore, notAfter: info.notAfter, domains: info.sans, issuedAt: issuedAt.toISOString() },
    { certPem: leaf.certPem, chainPem: issuer.certPem, fullchainPem: leaf.certPem + issuer.certPem, keyPem: leaf.keyPem },
  );
  if (makeCurrent) await store.setCurrent(name, id);
  return id;
}

/** SHA-256 of the SubjectPublicKeyInfo, computed from the private key (as an operator would from a leaked key). */
function spkiSha256(keyPem: string): string {
  const der = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

const names = (list: { name: string }[]) => list.map((a) => a.name);

describe('findAffected', () => {
  let stateDir: string;
  let store: CertificateStore;
  let settings: RenewSettings;
  const leaves: Record<string, Issued> = {};
  let oldWww: Issued;

  beforeAll(async () => {
    stateDir = tempDir('certfleet-affected-');
    store = new CertificateStore(stateDir);
    const alpha = await issue({ commonName: 'Alpha Test CA R1', ca: true, days: 365 });
    const beta = await issue({ commonName: 'Beta Issuing CA', ca: true, days: 365 });
    // High bit set: DER carries a leading 00 byte, which browsers show and CertificateInfo drops.
    leaves.www = await issue({ commonName: 'www.example.com', sans: ['example.com', 'www.example.com'], serial: '8fab01' }, alpha);
    leaves.api = await issue({ commonName: 'api.eu.example.com', sans: ['api.eu.example.com'] }, beta);
    leaves.bad = await issue({ commonName: 'badexample.com', sans: ['badexample.com'] }, alpha);
    leaves.other = await issue({ commonName: 'other.test', sans: ['other.test'] }, beta);
    oldWww = await issue({ commonName: 'www.example.com', sans: ['example.com', 'www.example.com'], serial: '7e0001' }, alpha);

    // An older www version, no longer current: its serial is not "ours" any more.
    await storeIssued(store, 'www', oldWww, alpha, new Date('2026-01-01T00:00:00Z'));
    await storeIssued(store, 'www', leaves.www, alpha, new Date('2026-02-01T00:00:00Z'));
    await storeIssued(store, 'api', leaves.api, beta, new Date('2026-02-01T00:00:00Z'));
    await storeIssued(store, 'bad', leaves.bad, alpha, new Date('2026-02-01T00:00:00Z'));
    await storeIssued(store, 'other', leaves.other, beta, new Date('2026-02-01T00:00:00Z'));

    settings = {
      stateDir,
      policy: defaultRenewalPolicy,
      specs: noSpecs,
      certificates: [
        managed('www', ['example.com', 'www.example.com'], CA_ONE, [endpoint('10.0.0.1', 443, 'www.example.com'), endpoint('10.0.0.2', 443, 'www.example.com'), endpoint('10.0.0.3', 443, 'example.com')]),
        managed('api', ['api.eu.example.com'], CA_TWO, [endpoint('api.internal', 8443)]),
        managed('bad', ['badexample.com'], CA_ONE),
        managed('other', ['Other.Test'], CA_TWO),
        // Configured, never issued.
        managed('pending', ['new.example.com'], CA_ONE, [endpoint('new.example.com', 443)]),
      ],
    };
  });

  it('with no criteria returns every managed certificate, in config order, with the facts of its current certificate', async () => {
    const all = await findAffected(settings, store, criteria());
    expect(names(all)).toEqual(['www', 'api', 'bad', 'other', 'pending']);

    const www = all[0]!;
    const info = parseCertificate(leaves.www!.der).info;
    expect(www.domains).toEqual(['example.com', 'www.example.com']);
    expect(www.ca).toBe(CA_ONE);
    // Hosts are the names a replacement must show up at (SNI when given), deduplicated.
    expect(www.hosts).toEqual(['www.example.com', 'example.com']);
    expect(www.current).toEqual({
      versionId: await store.currentId('www'),
      serialNumber: '8fab01',
      fingerprintSha256: info.fingerprintSha256,
      issuer: 'CN=Alpha Test CA R1',
      notAfter: info.notAfter,
      publicKeyFingerprintSha256: spkiSha256(leaves.www!.keyPem),
    });
    expect(all[1]!.hosts).toEqual(['api.internal']);
    expect(all[1]!.ca).toBe(CA_TWO);

    const pending = all[4]!;
    expect(pending.current).toBeUndefined();
    expect(pending.hosts).toEqual(['new.example.com']);
  });

  it('selects by name, and names an unknown one in the error', async () => {
    expect(names(await findAffected(settings, store, criteria({ names: ['pending', 'api'] })))).toEqual(['api', 'pending']);
    const err = await findAffected(settings, store, criteria({ names: ['www', 'nope', 'missing'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const unknownPart = (err as Error).message.split('(configured')[0]!;
    expect(unknownPart).toMatch(/nope/);
    expect(unknownPart).toMatch(/missing/);
    // Only the unknown ones are named as unknown; the configured list helps fix the typo.
    expect(unknownPart).not.toMatch(/\bwww\b/);
    expect((err as Error).message).toMatch(/configured: www, api, bad, other, pending/);
  });

  it.each(['8fab01', '8FAB01', '8f:ab:01', '00:8F:AB:01', '008fab01', ' 00 8f ab 01 '])('matches serial %j to the current certificate', async (serial) => {
    expect(names(await findAffected(settings, store, criteria({ serials: [serial] })))).toEqual(['www']);
  });

  it('ORs several serials, and does not match a serial that is no longer current', async () => {
    const apiSerial = parseCertificate(leaves.api!.der).info.serialNumber.toUpperCase();
    expect(names(await findAffected(settings, store, criteria({ serials: ['8fab01', apiSerial] })))).toEqual(['www', 'api']);
    expect(await findAffected(settings, store, criteria({ serials: ['7e0001'] }))).toEqual([]);
    expect(await findAffected(settings, store, criteria({ serials: ['8fab'] }))).toEqual([]);
  });

  it('matches a domain exactly, ignoring case and a trailing dot', async () => {
    expect(names(await findAffected(settings, store, criteria({ domains: ['www.example.com'] })))).toEqual(['www']);
    expect(names(await findAffected(settings, store, criteria({ domains: ['WWW.Example.COM.'] })))).toEqual(['www']);
    expect(names(await findAffected(settings, store, criteria({ domains: ['example.com'] })))).toEqual(['www']);
    // Configured names are compared lower-cased too.
    expect(names(await findAffected(settings, store, criteria({ domains: ['other.test'] })))).toEqual(['other']);
    expect(await findAffected(settings, store, criteria({ domains: ['eu.example.com'] }))).toEqual([]);
  });

  it('matches *.example.com to example.com and every name below it, but not badexample.com', async () => {
    expect(names(await findAffected(settings, store, criteria({ domains: ['*.example.com'] })))).toEqual(['www', 'api', 'pending']);
    expect(names(await findAffected(settings, store, criteria({ domains: ['*.eu.example.com'] })))).toEqual(['api']);
    expect(names(await findAffected(settings, store, criteria({ domains: ['*.eu.example.com', 'badexample.com'] })))).toEqual(['api', 'bad']);
  });

  it('matches an issuer by case-insensitive substring of its DN', async () => {
    expect(names(await findAffected(settings, store, criteria({ issuer: 'alpha test' })))).toEqual(['www', 'bad']);
    expect(names(await findAffected(settings, store, criteria({ issuer: 'CN=BETA' })))).toEqual(['api', 'other']);
    expect(await findAffected(settings, store, criteria({ issuer: 'Gamma' }))).toEqual([]);
  });

  it('matches a compromised key by its SPKI SHA-256, with or without colons, any case', async () => {
    const fp = spkiSha256(leaves.api!.keyPem);
    expect(names(await findAffected(settings, store, criteria({ keyFingerprints: [fp] })))).toEqual(['api']);
    const colons = fp.toUpperCase().match(/../g)!.join(':');
    expect(names(await findAffected(settings, store, criteria({ keyFingerprints: [colons, spkiSha256(leaves.other!.keyPem)] })))).toEqual(['api', 'other']);
    // The key of a version that is no longer current is not in use.
    expect(await findAffected(settings, store, criteria({ keyFingerprints: [spkiSha256(oldWww.keyPem)] }))).toEqual([]);
    // Two certificates sharing one key (reuseKey) are not covered here: test/helpers/pki.ts issue()
    // always generates a fresh key pair. blast-radius.test.ts covers shared keys on built data.
  });

  it('ANDs criteria of different kinds', async () => {
    expect(names(await findAffected(settings, store, criteria({ issuer: 'alpha', domains: ['*.example.com'] })))).toEqual(['www']);
    expect(names(await findAffected(settings, store, criteria({ names: ['www', 'api'], issuer: 'beta' })))).toEqual(['api']);
    expect(await findAffected(settings, store, criteria({ serials: ['8fab01'], issuer: 'beta' }))).toEqual([]);
    expect(await findAffected(settings, store, criteria({ names: ['api'], domains: ['www.example.com'] }))).toEqual([]);
  });

  it('matches a never-issued certificate by name or domain, but never by serial, issuer or key', async () => {
    const byName = await findAffected(settings, store, criteria({ names: ['pending'] }));
    expect(byName).toHaveLength(1);
    expect(byName[0]!.current).toBeUndefined();
    expect(names(await findAffected(settings, store, criteria({ domains: ['new.example.com'] })))).toEqual(['pending']);
    expect(await findAffected(settings, store, criteria({ names: ['pending'], serials: ['00'] }))).toEqual([]);
    expect(await findAffected(settings, store, criteria({ names: ['pending'], issuer: '' }))).toEqual([]);
    expect(await findAffected(settings, store, criteria({ names: ['pending'], keyFingerprints: ['00'.repeat(32)] }))).toEqual([]);
  });

  it('throws a UsageError when nothing is managed', async () => {
    const err = await findAffected({ ...settings, certificates: [] }, store, criteria()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/no managed certificates/);
  });
});

describe('findAffected over a damaged store', () => {
  async function damaged(damage: (store: CertificateStore, id: string) => void) {
    const stateDir = tempDir('certfleet-affected-damaged-');
    const store = new CertificateStore(stateDir);
    const root = await issue({ commonName: 'Damage CA', ca: true });
    const id = await storeIssued(store, 'broken', await issue({ commonName: 'broken.test', sans: ['broken.test'] }, root), root, new Date('2026-02-01T00:00:00Z'));
    damage(store, id);
    const settings: RenewSettings = { stateDir, policy: defaultRenewalPolicy, certificates: [managed('broken', ['broken.test'], CA_ONE)], specs: noSpecs };
    return findAffected(settings, store, criteria());
  }

  it('treats a current version that cannot be read as never issued', async () => {
    const affected = await damaged((store, id) => rmSync(join(store.stateDir, 'certificates', 'broken', 'versions', id), { recursive: true }));
    expect(names(affected)).toEqual(['broken']);
    expect(affected[0]!.current).toBeUndefined();
  });

  // One damaged file must not stop `revoke --all` / `drill` for the whole fleet: it is named, the rest go on.
  it('reports a current cert.pem that does not parse as unreadable, without failing the whole selection', async () => {
    const affected = await damaged((store, id) =>
      writeFileSync(join(store.stateDir, 'certificates', 'broken', 'versions', id, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nMIIBCgKCAQEA\n-----END CERTIFICATE-----\n'),
    );
    expect(names(affected)).toEqual(['broken']);
    expect(affected[0]!.current).toBeUndefined();
    expect(affected[0]!.unreadable).toMatch(/certificate at byte 0: length \d+ runs past the end of the data/);
  });
});

describe('hasCriteria', () => {
  it('is false only when nothing at all is given', () => {
    expect(hasCriteria(criteria())).toBe(false);
    expect(hasCriteria(criteria({ all: true }))).toBe(true);
    expect(hasCriteria(criteria({ names: ['www'] }))).toBe(true);
    expect(hasCriteria(criteria({ serials: ['01'] }))).toBe(true);
    expect(hasCriteria(criteria({ domains: ['*.example.com'] }))).toBe(true);
    expect(hasCriteria(criteria({ issuer: 'R11' }))).toBe(true);
    expect(hasCriteria(criteria({ keyFingerprints: ['ab'] }))).toBe(true);
  });
});

describe('domainMatcher', () => {
  it('matches a plain name exactly, case-insensitively in the pattern', () => {
    const m = domainMatcher('WWW.Example.com.');
    expect(m('www.example.com')).toBe(true);
    expect(m('example.com')).toBe(false);
    expect(m('a.www.example.com')).toBe(false);
  });

  it('makes *.domain cover the domain, the wildcard name and every name below it', () => {
    const m = domainMatcher('*.example.com');
    for (const name of ['example.com', '*.example.com', 'www.example.com', 'a.b.example.com']) expect(m(name), name).toBe(true);
    for (const name of ['badexample.com', 'example.com.evil.test', 'example.org', 'com']) expect(m(name), name).toBe(false);
  });
});

describe('normaliseSerial', () => {
  it.each([
    ['00:8F:AB:01', '8fab01'],
    ['8f ab 01', '8fab01'],
    ['0000ab', 'ab'],
    ['000a', 'a'],
    ['0abc', 'abc'],
    ['00', '0'],
    ['0000', '0'],
    ['7F', '7f'],
  ])('%j -> %j', (input, expected) => {
    expect(normaliseSerial(input)).toBe(expected);
  });
});
