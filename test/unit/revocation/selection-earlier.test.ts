/**
 * `revoke`'s selection by serial after `replace`: a serial of an earlier version selects that
 * version (with the current one that replaced it), ANDed with the other criteria; `replace` and
 * `drill` keep skipping it; a serial that is no certificate of ours is still a UsageError. On a
 * store with the lookup by serial (the shared store) it is one call, not a read per certificate.
 */
import { describe, expect, it } from 'vitest';
import type { RenewSettings } from '../../../src/renewal/managed.js';
import { selectAffected, selectForRevoke, type AffectedCriteria } from '../../../src/revocation/affected.js';
import { CertificateStore } from '../../../src/store/certificate-store.js';
import type { CertificateRecords, VersionBySerial, VersionLookup } from '../../../src/store/ports.js';
import { UsageError } from '../../../src/errors.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { normaliseSerial } from '../../../src/revocation/affected.js';
import { issue, tempDir } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';
import { addCurrentVersion, bareManaged } from '../../helpers/selection-store.js';

const managed = bareManaged;
const add = addCurrentVersion;

const criteria = (serials: string[], more: Partial<AffectedCriteria> = {}): AffectedCriteria => ({ names: [], all: false, serials, domains: [], keyFingerprints: [], ...more });

/** The file store with the shared store's lookup by serial, counting its calls and the per-certificate reads of versions. */
function withLookup(store: CertificateStore): { records: CertificateRecords & VersionLookup; calls: { lookups: number; versions: number } } {
  const calls = { lookups: 0, versions: 0 };
  const records = Object.assign(Object.create(store) as CertificateStore, {
    versions: (name: string) => {
      calls.versions++;
      return store.versions(name);
    },
    versionsBySerial: async (serials: readonly string[]): Promise<VersionBySerial[]> => {
      calls.lookups++;
      const wanted = new Set(serials);
      const out: VersionBySerial[] = [];
      // 'gone' is a certificate the config no longer manages: the lookup returns it, the selection must not.
      for (const name of await store.names()) {
        const versions = await store.versions(name);
        const currentId = await store.currentId(name);
        for (const v of versions) if (wanted.has(normaliseSerial(v.serialNumber))) out.push({ name, version: v, current: versions.find((c) => c.id === currentId) });
      }
      return out;
    },
  });
  return { records, calls };
}

describe('revoke selects earlier versions by serial', async () => {
  const store = new CertificateStore(tempDir('certfleet-selection-earlier-'));
  const ca = await issue({ commonName: 'Test CA', ca: true, days: 30 });
  const other = await issue({ commonName: 'Other CA', ca: true, days: 30 });
  // web: 0a0001 replaced by 0a0002 (current); api: 0b0001 (by Other CA) replaced by 0b0002 (current); gone: 0c0001, not managed.
  const web1 = await issue({ commonName: 'web.example.com', sans: ['web.example.com'], serial: '0a0001' }, ca);
  await add(store, 'web', web1, ca, '2026-11-01T00:00:00.000Z');
  const web2Id = await add(store, 'web', await issue({ commonName: 'web.example.com', sans: ['web.example.com'], serial: '0a0002' }, ca), ca, '2026-11-20T00:00:00.000Z');
  await add(store, 'api', await issue({ commonName: 'api.example.com', sans: ['api.example.com'], serial: '0b0001' }, other), other, '2026-11-01T00:00:00.000Z');
  await add(store, 'api', await issue({ commonName: 'api.example.com', sans: ['api.example.com'], serial: '0b0002' }, ca), ca, '2026-11-20T00:00:00.000Z');
  await add(store, 'gone', await issue({ commonName: 'gone.example.com', sans: ['gone.example.com'], serial: '0c0001' }, ca), ca, '2026-11-01T00:00:00.000Z');
  await add(store, 'gone', await issue({ commonName: 'gone.example.com', sans: ['gone.example.com'], serial: '0c0002' }, ca), ca, '2026-11-20T00:00:00.000Z');
  const settings: RenewSettings = { stateDir: '/nonexistent', policy: defaultRenewalPolicy, specs: noSpecs, certificates: [managed('web'), managed('api')] };
  const web1Key = parseCertificate(web1.der).info.publicKeyFingerprintSha256;

  for (const [label, records, calls] of [['file store (versions per certificate)', store, undefined] as const, ...(() => {
    const l = withLookup(store);
    return [['a store with the lookup by serial', l.records, l.calls] as const];
  })()]) {
    describe(label, () => {
      it('selects the earlier version, with the current one that replaced it, and orders nothing for it', async () => {
        if (calls) Object.assign(calls, { lookups: 0, versions: 0 });
        const s = await selectForRevoke(settings, records, criteria(['0A:00:01']));
        expect(s.affected).toEqual([]);
        expect(s.earlier).toEqual([
          {
            name: 'web',
            versionId: expect.stringContaining('0a0001'),
            serialNumber: '0a0001',
            version: expect.objectContaining({ serialNumber: '0a0001', publicKeyFingerprintSha256: web1Key }),
            replacedBy: { versionId: web2Id, serialNumber: '0a0002' },
          },
        ]);
        // The shared store answers in one call, whatever the fleet's size.
        if (calls) expect(calls).toEqual({ lookups: 1, versions: 0 });
      });

      it('selects current certificates and earlier versions side by side, in the configured order', async () => {
        const s = await selectForRevoke(settings, records, criteria(['0b0001', '0a0002', '0a0001']));
        expect(s.affected.map((a) => [a.name, a.current?.serialNumber])).toEqual([['web', '0a0002']]);
        expect(s.earlier.map((e) => [e.name, e.serialNumber, e.replacedBy?.serialNumber])).toEqual([
          ['web', '0a0001', '0a0002'],
          ['api', '0b0001', '0b0002'],
        ]);
      });

      it('ANDs the other criteria: names, domains, issuer and key are applied to the earlier version', async () => {
        const earlier = async (more: Partial<AffectedCriteria>) => (await selectForRevoke(settings, records, criteria(['0a0001', '0b0001', '0b0002'], more))).earlier.map((e) => e.serialNumber);
        expect(await earlier({ names: ['api'] })).toEqual(['0b0001']);
        expect(await earlier({ domains: ['*.example.com'] })).toEqual(['0a0001', '0b0001']);
        expect(await earlier({ issuer: 'other ca' })).toEqual(['0b0001']);
        expect(await earlier({ keyFingerprints: [web1Key] })).toEqual(['0a0001']);
      });

      it('replace and drill keep skipping earlier versions; a list of only those is still refused', async () => {
        expect((await selectAffected(settings, records, criteria(['0a0001', '0b0002']), 'replace')).map((a) => a.name)).toEqual(['api']);
        const err = await selectAffected(settings, records, criteria(['0a0001']), 'replace').then(() => expect.fail('expected a UsageError'), (e: unknown) => e as UsageError);
        expect(err.message).toBe('every serial selected is of a certificate already replaced (0a0001: web): nothing to replace');
      });

      it('a serial that is no certificate certfleet manages (or of one it no longer manages) is still exit 2, before anything', async () => {
        const err = await selectForRevoke(settings, records, criteria(['0a0001', '0c0001', 'dead01'])).then(() => expect.fail('expected a UsageError'), (e: unknown) => e as UsageError);
        expect(err).toBeInstanceOf(UsageError);
        expect(err.exitCode).toBe(2);
        expect(err.message).toBe('2 serial(s) selected match no certificate certfleet manages, current or earlier: 0c0001, dead01');
      });

      it('an earlier version the other criteria leave out is not selected, and nothing at all is a usage error', async () => {
        const err = await selectForRevoke(settings, records, criteria(['0a0001'], { names: ['api'] })).then(() => expect.fail('expected a UsageError'), (e: unknown) => e as UsageError);
        expect(err.message).toBe('no managed certificate matches the selection: nothing to revoke');
      });
    });
  }

  it('an earlier version that cannot be read is selected as unreadable, not dropped', async () => {
    const broken = Object.assign(Object.create(store) as CertificateStore, {
      readVersion: (name: string, id: string) => (id.includes('0a0001') ? Promise.reject(new Error('cert.pem: EIO')) : store.readVersion(name, id)),
    });
    const s = await selectForRevoke(settings, broken, criteria(['0a0001']));
    expect(s.earlier).toEqual([{ name: 'web', versionId: expect.stringContaining('0a0001'), serialNumber: '0a0001', unreadable: 'cert.pem: EIO', replacedBy: { versionId: web2Id, serialNumber: '0a0002' } }]);
  });
});
