/**
 * managed.json records what the run's decision computed (next renewal, why, whether it follows an
 * ARI window), not constants, and `report` reads it back into certfleet's real schedule.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ManagedCertificate, RenewSettings } from '../../../src/renewal/managed.js';
import { managedSummary } from '../../../src/renewal/managed-summary.js';
import { FileRunRecords } from '../../../src/store/file-run-records.js';
import type { CertificateOutcome } from '../../../src/renewal/renew-certificate.js';
import { dueAtHours, scheduleOfManaged } from '../../../src/report/cadence.js';
import { readStateDir } from '../../../src/report/state.js';
import { tempDir } from '../../helpers/pki.js';

const cert = (name: string): ManagedCertificate =>
  ({ name, domains: [`${name}.example.test`], ca: { directoryUrl: 'https://ca.test/dir' }, challenge: { type: 'http-01' } }) as unknown as ManagedCertificate;
const settings = (dir: string, names: string[]): RenewSettings => ({ stateDir: dir, certificates: names.map(cert) }) as unknown as RenewSettings;
const outcome = (o: Partial<CertificateOutcome>): CertificateOutcome => ({ name: 'www', action: 'not-due', reason: 'lifetime-fraction', explanation: '', durationMs: 1, ...o });
const now = new Date('2026-03-01T00:00:00Z');
/** What a renew run does with its outcomes: the summary from the stored one, through the file store's run records. */
const writeManagedSummary = (s: RenewSettings, outcomes: CertificateOutcome[], at: Date) =>
  new FileRunRecords(s.stateDir, (section) => section()).updateSummary((previous) => managedSummary(s, outcomes, at, previous));

function written(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'managed.json'), 'utf8')) as { certificates: Array<{ name: string; schedule: Record<string, unknown> }> };
}

describe('managed.json: the schedule the decision computed', () => {
  it('records next renewal, reason and ARI use per certificate, and no constant fraction', async () => {
    const dir = tempDir();
    await writeManagedSummary(settings(dir, ['www', 'api', 'new']), [
      outcome({ name: 'www', serialNumber: '01', reason: 'ari-window', nextRenewalAt: '2026-03-20T00:00:00.000Z' }),
      outcome({ name: 'api', serialNumber: '02', reason: 'lifetime-fraction', nextRenewalAt: '2026-03-25T00:00:00.000Z' }),
      outcome({ name: 'new', action: 'failed', reason: 'backoff', nextRenewalAt: '2026-03-01T00:05:00.000Z', error: 'boom' }),
    ], now);
    const byName = Object.fromEntries(written(dir).certificates.map((c) => [c.name, c.schedule]));
    expect(byName.www).toEqual({ usesAri: true, nextRenewalAt: '2026-03-20T00:00:00.000Z', reason: 'ari-window' });
    expect(byName.api).toEqual({ usesAri: false, nextRenewalAt: '2026-03-25T00:00:00.000Z', reason: 'lifetime-fraction' });
    expect(byName.new).toEqual({ usesAri: false, nextRenewalAt: '2026-03-01T00:05:00.000Z', reason: 'backoff' });
  });

  it('a guard that says nothing about ARI keeps what an earlier run learnt about the same certificate only', async () => {
    const dir = tempDir();
    await writeManagedSummary(settings(dir, ['www']), [outcome({ serialNumber: '01', reason: 'ari-window' })], now);
    await writeManagedSummary(settings(dir, ['www']), [outcome({ serialNumber: '01', action: 'failed', reason: 'backoff' })], new Date(now.getTime() + 300_000));
    expect(written(dir).certificates[0]!.schedule).toMatchObject({ usesAri: true, reason: 'backoff', runIntervalMinutes: 5 });
    // A new certificate: the old answer was about another serial.
    await writeManagedSummary(settings(dir, ['www']), [outcome({ serialNumber: '02', action: 'renewed', reason: 'storm-guard' })], new Date(now.getTime() + 600_000));
    expect(written(dir).certificates[0]!.schedule).toMatchObject({ usesAri: false, reason: 'storm-guard' });
  });

  it('the old constant record (usesAri: true with no reason) is not taken as knowledge', async () => {
    const dir = tempDir();
    const old = { schemaVersion: 1, certificates: [{ name: 'www', domains: ['www.example.test'], serialNumber: '01', schedule: { usesAri: true, renewAtFraction: 2 / 3 }, challenge: { type: 'http-01' } }] };
    writeFileSync(join(dir, 'managed.json'), JSON.stringify(old));
    await writeManagedSummary(settings(dir, ['www']), [outcome({ serialNumber: '01', reason: 'storm-guard' })], now);
    expect(written(dir).certificates[0]!.schedule).toEqual({ usesAri: false, reason: 'storm-guard' });
  });

  it('report reads it as certfleet renews: half the lifetime for a 6-day certificate, two thirds for 45 days', async () => {
    const dir = tempDir();
    await writeManagedSummary(settings(dir, ['www']), [outcome({ serialNumber: '01', reason: 'lifetime-fraction', nextRenewalAt: '2026-03-04T00:00:00.000Z' })], now);
    const managed = readStateDir(dir).managed!;
    const schedule = scheduleOfManaged(managed[0]!);
    expect(dueAtHours(schedule, 6 * 24)).toBe(72); // the decision: half of a 6-day lifetime (a constant 2/3 said 96)
    expect(dueAtHours(schedule, 45 * 24)).toBe(720);
  });
});
