/**
 * A selection by serial (--serial, a CA's CSV through --serials-from) never loses a serial in
 * silence: one that is no certificate certfleet manages, current or earlier, is a UsageError
 * naming it before anything is ordered; one of an earlier version (already replaced, a rerun) is
 * not selected and not an error; a list of only those says so.
 */
import { describe, expect, it } from 'vitest';
import type { RenewSettings } from '../../../src/renewal/managed.js';
import { selectAffected, type AffectedCriteria } from '../../../src/revocation/affected.js';
import { CertificateStore } from '../../../src/store/certificate-store.js';
import { UsageError } from '../../../src/errors.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import { issue, tempDir } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';
import { addCurrentVersion, bareManaged } from '../../helpers/selection-store.js';

const managed = bareManaged;
const add = addCurrentVersion;

const criteria = (serials: string[]): AffectedCriteria => ({ names: [], all: false, serials, domains: [], keyFingerprints: [] });

describe('selectAffected by serial', async () => {
  const store = new CertificateStore(tempDir('certfleet-selection-serials-'));
  const ca = await issue({ commonName: 'Test CA', ca: true, days: 30 });
  // web: 0a0001 replaced by 0a0002 (current); api: 0b0001 (current).
  await add(store, 'web', await issue({ commonName: 'web.example.com', sans: ['web.example.com'], serial: '0a0001' }, ca), ca, '2026-11-01T00:00:00.000Z');
  await add(store, 'web', await issue({ commonName: 'web.example.com', sans: ['web.example.com'], serial: '0a0002' }, ca), ca, '2026-11-20T00:00:00.000Z');
  await add(store, 'api', await issue({ commonName: 'api.example.com', sans: ['api.example.com'], serial: '0b0001' }, ca), ca, '2026-11-20T00:00:00.000Z');
  const settings: RenewSettings = { stateDir: '/nonexistent', policy: defaultRenewalPolicy, specs: noSpecs, certificates: [managed('web'), managed('api')] };
  const refusal = (serials: string[]) => selectAffected(settings, store, criteria(serials), 'replace').then(() => expect.fail('expected a UsageError'), (e: unknown) => e as UsageError);

  it('selects the certificates whose current serial is listed', async () => {
    expect((await selectAffected(settings, store, criteria(['0A:00:02', 'b0001']), 'replace')).map((a) => a.name)).toEqual(['web', 'api']);
  });

  it('refuses a serial that is no certificate of ours, naming it (and only it), before anything is done', async () => {
    const err = await refusal(['0a0002', 'dead01', 'be:ef:02']);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('2 serial(s) selected match no certificate certfleet manages, current or earlier: dead01, be:ef:02');
    expect(err.hint).toMatch(/nothing was ordered or revoked/);
  });

  it('skips a serial of an earlier version (already replaced) without an error', async () => {
    expect((await selectAffected(settings, store, criteria(['0a0001', '0b0001']), 'replace')).map((a) => a.name)).toEqual(['api']);
  });

  it('says so when every serial listed was already replaced', async () => {
    const err = await refusal(['0a0001']);
    expect(err.message).toBe('every serial selected is of a certificate already replaced (0a0001: web): nothing to replace');
  });

  it('names at most ten unknown serials, then how many more', async () => {
    const many = Array.from({ length: 13 }, (_, i) => `ff${String(i).padStart(2, '0')}`);
    expect((await refusal(many)).message).toMatch(/: ff00, ff01, .*, ff09, \+3 more$/);
  });
});
