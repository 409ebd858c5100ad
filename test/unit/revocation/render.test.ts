/** The table and JSON views of a drill and of a bulk revocation (src/cli/render/revocation.ts). */
import { describe, expect, it } from 'vitest';
import { renderDrill, renderRevoke } from '../../../src/cli/render/revocation.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { findAffected } from '../../../src/revocation/affected.js';
import { blastRadius, type BlastRadius } from '../../../src/revocation/blast-radius.js';
import { DRILL_SCHEMA_VERSION, type DrillResult } from '../../../src/revocation/drill.js';
import { REVOKE_SCHEMA_VERSION, type RevokeRunResult } from '../../../src/revocation/revoke.js';
import { CertificateStore, versionId } from '../../../src/store/certificate-store.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { issue, tempDir } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';

const text = (out: string[]) => out.join('');

function radius(over: Partial<BlastRadius> = {}): BlastRadius {
  return {
    certificates: 3,
    names: 5,
    wildcards: 1,
    notIssued: 0,
    unreadable: 0,
    byIssuer: [{ key: 'CN=R11,O=Let\'s Encrypt,C=US', count: 2 }, { key: 'CN=E6,O=Let\'s Encrypt,C=US', count: 1 }],
    byCa: [{ key: 'https://acme-v02.api.letsencrypt.org/directory', count: 3 }],
    sharedKeys: [],
    byHost: [{ key: 'lb1.example.com', count: 2 }, { key: 'lb2.example.com', count: 1 }],
    ...over,
  };
}

function drill(over: Partial<DrillResult> = {}): DrillResult {
  return {
    schemaVersion: DRILL_SCHEMA_VERSION,
    purpose: 'drill',
    id: '2026-11-22T12-00-00-123Z',
    startedAt: '2026-11-22T12:00:00.123Z',
    finishedAt: '2026-11-22T12:25:00.000Z',
    identifySeconds: 0.042,
    shareAutomated: 1,
    certificates: [
      { name: 'www', automated: true, serialNumber: '8fab01', fingerprintSha256: 'ab'.repeat(32), replacedBy: { serialNumber: '9c0002', notAfter: '2027-01-08T12:00:00.000Z' }, secondsToReplace: 12.345, verifiedServed: true },
      { name: 'api', automated: true, serialNumber: '8fab02', replacedBy: { serialNumber: '9c0003' }, secondsToReplace: 125, verifiedServed: false },
      { name: 'mail', automated: true, serialNumber: '8fab03', secondsToReplace: null, verifiedServed: false, error: 'order failed: urn:ietf:params:acme:error:rateLimited' },
    ],
    summary: {
      affected: 3,
      replaced: 2,
      failed: 1,
      withinDeadlines: [
        { id: 'revoke-24h', hours: 24, share: 0.667 },
        { id: 'revoke-5d', hours: 120, share: 0.667 },
      ],
      secondsToReplace: { median: 12.345, p95: 125, max: 125 },
    },
    blastRadius: radius(),
    recordPath: '/var/lib/certfleet/drills/2026-11-22T12-00-00-123Z.json',
    ...over,
  };
}

function revoke(over: Partial<RevokeRunResult> = {}): RevokeRunResult {
  return {
    schemaVersion: REVOKE_SCHEMA_VERSION,
    startedAt: '2026-11-22T12:00:00.000Z',
    finishedAt: '2026-11-22T12:03:00.000Z',
    reason: 'keyCompromise',
    replaceFirst: true,
    dryRun: false,
    certificates: [
      { name: 'www', action: 'revoked', serialNumber: '8fab01', fingerprintSha256: 'ab'.repeat(32), replacedBy: { serialNumber: '9c0002' } },
      { name: 'old', action: 'already-revoked', serialNumber: '8fab04' },
      { name: 'api', action: 'not-revoked', serialNumber: '8fab02', error: 'its replacement failed, so it stays valid and in service: dns-01 timed out' },
      { name: 'mail', action: 'failed', serialNumber: '8fab03', replacedBy: { serialNumber: '9c0005' }, error: 'urn:ietf:params:acme:error:unauthorized' },
      { name: 'pending', action: 'nothing-to-revoke', replacedBy: { serialNumber: '9c0006' } },
    ],
    summary: { affected: 5, revoked: 1, alreadyRevoked: 1, notRevoked: 1, failed: 1, durationMs: 1500 },
    blastRadius: radius({ certificates: 5, notIssued: 1 }),
    recordPath: '/var/lib/certfleet/revocations/2026-11-22T12-00-00-000Z.json',
    ...over,
  };
}

describe('renderDrill', () => {
  it('round-trips the whole result as JSON, schemaVersion included', () => {
    const result = drill();
    const out = renderDrill(result, 'json');
    expect(out).toHaveLength(1);
    expect(out[0]!.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(out[0]!) as DrillResult;
    expect(parsed).toEqual(result);
    expect(parsed.schemaVersion).toBe(1);
  });

  it('names each certificate with how long its replacement took, or why it was not replaced', () => {
    const lines = text(renderDrill(drill(), 'table')).split('\n');
    expect(lines[0]).toBe('www: replaced after 12.3 s, new serial confirmed served');
    expect(lines[1]).toBe('api: replaced after 2.1 min (no verify endpoint: not confirmed served)');
    expect(lines[2]).toBe('mail: NOT replaced: order failed: urn:ietf:params:acme:error:rateLimited');
  });

  it('summarises the drill: counts, identification time, percentiles, deadline shares, record path', () => {
    const out = text(renderDrill(drill(), 'table'));
    expect(out).toContain('drill 2026-11-22T12-00-00-123Z: 2 of 3 replaced, 1 NOT replaced; affected set found in 0.0 s');
    expect(out).toContain('time to replace: median 12.3 s, p95 2.1 min, slowest 2.1 min');
    expect(out).toContain('67% within 24 hours, 67% within 5 days');
    expect(out).toContain('recorded in /var/lib/certfleet/drills/2026-11-22T12-00-00-123Z.json (read by certfleet report)');
  });

  it('shows hours for slow replacements and leaves out percentiles when nothing was replaced', () => {
    const slow = text(
      renderDrill(
        drill({
          certificates: [{ name: 'www', automated: true, secondsToReplace: 5400, verifiedServed: true }],
          summary: { affected: 1, replaced: 1, failed: 0, withinDeadlines: [{ id: 'revoke-24h', hours: 24, share: 1 }], secondsToReplace: { median: 5400, p95: 5400, max: 5400 } },
        }),
        'table',
      ),
    );
    expect(slow).toContain('www: replaced after 1.5 h');
    expect(slow).toContain('1 of 1 replaced;');
    expect(slow).not.toContain('NOT replaced');
    expect(slow).toContain('100% within 24 hours');

    const none = text(
      renderDrill(
        drill({
          certificates: [{ name: 'www', automated: true, secondsToReplace: null, verifiedServed: false }],
          summary: { affected: 1, replaced: 0, failed: 1, withinDeadlines: [{ id: 'revoke-24h', hours: 24, share: 0 }], secondsToReplace: null },
        }),
        'table',
      ),
    );
    expect(none).toContain('www: NOT replaced: unknown error');
    expect(none).toContain('0 of 1 replaced, 1 NOT replaced');
    expect(none).not.toContain('time to replace');
    expect(none).toContain('0% within 24 hours');
  });

  it('prints the blast radius: counts, then the largest groups', () => {
    const out = text(
      renderDrill(
        drill({
          blastRadius: radius({
            notIssued: 2,
            byCa: [{ key: 'https://ca-one.test/dir', count: 2 }, { key: 'https://ca-two.test/dir', count: 1 }],
            sharedKeys: [{ key: 'cd'.repeat(32), count: 2 }],
            byHost: ['h1', 'h2', 'h3', 'h4', 'h5'].map((key, i) => ({ key, count: 5 - i })),
          }),
        }),
        'table',
      ),
    );
    expect(out).toContain('blast radius: 3 certificate(s), 5 name(s), 1 wildcard(s), 2 never issued');
    expect(out).toContain('  by issuer: CN=R11,O=Let\'s Encrypt,C=US (2); CN=E6,O=Let\'s Encrypt,C=US (1)');
    expect(out).toContain('  by CA: https://ca-one.test/dir (2); https://ca-two.test/dir (1)');
    expect(out).toContain(`  shared keys: ${'cd'.repeat(32)} (2)`);
    expect(out).toContain('  by host: h1 (5); h2 (4); h3 (3); +2 more');
  });

  it('leaves out groups that say nothing: one CA, no shared keys, no wildcards, no hosts', () => {
    const out = text(renderDrill(drill({ blastRadius: radius({ wildcards: 0, byHost: [] }) }), 'table'));
    expect(out).toContain('blast radius: 3 certificate(s), 5 name(s)\n');
    expect(out).not.toContain('by CA');
    expect(out).not.toContain('shared keys');
    expect(out).not.toContain('by host');
    expect(out).not.toContain('never issued');
  });
});

describe('renderRevoke', () => {
  it('names the earlier certificates on a compromised key that were revoked with the current one', () => {
    const out = text(renderRevoke(revoke({ certificates: [{ name: 'www', action: 'revoked', serialNumber: '8fab01', replacedBy: { serialNumber: '9c0002' }, alsoRevoked: ['7a01', '7a02'] }] }), 'table'));
    expect(out.split('\n')[0]).toBe('www: serial 8fab01 revoked (keyCompromise), replaced by 9c0002; also revoked: earlier serial(s) 7a01, 7a02 on the same key');
  });

  it('round-trips the whole result as JSON, schemaVersion included', () => {
    const result = revoke();
    const out = renderRevoke(result, 'json');
    expect(out).toHaveLength(1);
    const parsed = JSON.parse(out[0]!) as RevokeRunResult;
    expect(parsed).toEqual(result);
    expect(parsed.schemaVersion).toBe(1);
  });

  it('names each certificate and what happened to it', () => {
    const lines = text(renderRevoke(revoke(), 'table')).split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'www: serial 8fab01 revoked (keyCompromise), replaced by 9c0002',
      'old: serial 8fab04 was already revoked',
      'api: serial 8fab02 NOT revoked: its replacement failed, so it stays valid and in service: dns-01 timed out',
      // Its replacement is already in service: the line says so.
      'mail: serial 8fab03 revocation FAILED, replaced by 9c0005: urn:ietf:params:acme:error:unauthorized',
      'pending: no certificate issued yet, nothing to revoke, replaced by 9c0006',
    ]);
  });

  it('summarises the counts and where the record is', () => {
    const out = text(renderRevoke(revoke(), 'table'));
    expect(out).toContain('1 revoked, 1 already revoked, 1 not revoked (replacement failed), 1 failed (1.5 s)');
    expect(out).toContain('blast radius: 5 certificate(s), 5 name(s), 1 wildcard(s), 1 never issued');
    expect(out).toContain('recorded in /var/lib/certfleet/revocations/2026-11-22T12-00-00-000Z.json');
  });

  it('says what a dry run would do, and that nothing changed', () => {
    const planned: RevokeRunResult['certificates'] = [
      { name: 'www', action: 'would-revoke', serialNumber: '8fab01' },
      { name: 'pending', action: 'nothing-to-revoke' },
    ];
    const base = { dryRun: true, reason: 'superseded' as const, certificates: planned, summary: { affected: 2, revoked: 0, alreadyRevoked: 0, notRevoked: 0, failed: 0, durationMs: 3 } };
    const { recordPath: _none, ...withoutRecord } = revoke(base);
    const replacing = text(renderRevoke(withoutRecord, 'table'));
    expect(replacing).toContain('www: serial 8fab01 would be replaced, then revoked (superseded)');
    expect(replacing).toContain('pending: no certificate issued yet, nothing to revoke\n');
    expect(replacing).toContain('dry run: 2 certificate(s) selected; nothing was changed');
    expect(replacing).not.toMatch(/\d+ revoked,/);
    expect(replacing).not.toContain('recorded in');

    const atOnce = text(renderRevoke({ ...withoutRecord, replaceFirst: false }, 'table'));
    expect(atOnce).toContain('www: serial 8fab01 would be revoked (superseded)');
    expect(atOnce).not.toContain('replaced, then');
  });
});

describe('rendering never shows private key material', () => {
  it('keeps the stored key out of both views of a result built from a real store', async () => {
    const stateDir = tempDir('certfleet-render-');
    const store = new CertificateStore(stateDir);
    const root = await issue({ commonName: 'Render Test CA', ca: true });
    const leaf = await issue({ commonName: 'www.example.com', sans: ['www.example.com'] }, root);
    const info = parseCertificate(leaf.der).info;
    const id = versionId(new Date('2026-02-01T00:00:00Z'), info.serialNumber);
    await store.addVersion('www', { id, serialNumber: info.serialNumber, notBefore: info.notBefore, notAfter: info.notAfter, domains: info.sans, issuedAt: '2026-02-01T00:00:00.000Z' }, { certPem: leaf.certPem, chainPem: root.certPem, fullchainPem: leaf.certPem + root.certPem, keyPem: leaf.keyPem });
    await store.setCurrent('www', id);
    const cert = {
      name: 'www', domains: ['www.example.com'], verify: [{ host: '127.0.0.1', port: 8443, sni: 'www.example.com', raw: '127.0.0.1:8443' }],
      ca: { directoryUrl: 'https://127.0.0.1:14000/dir', requestTimeoutMs: 1000, contact: [], acceptTermsOfService: true },
    } as unknown as ManagedCertificate;
    const affected = await findAffected({ stateDir, policy: defaultRenewalPolicy, certificates: [cert], specs: noSpecs }, store, { names: [], all: true, serials: [], domains: [], keyFingerprints: [] });
    const b = blastRadius(affected);
    const current = affected[0]!.current!;

    const revoked = revoke({ certificates: [{ name: 'www', action: 'revoked', serialNumber: current.serialNumber, fingerprintSha256: current.fingerprintSha256 }], blastRadius: b });
    const drilled = drill({ certificates: [{ name: 'www', automated: true, serialNumber: current.serialNumber, fingerprintSha256: current.fingerprintSha256, secondsToReplace: 3, verifiedServed: true }], blastRadius: b });
    const keyBody = leaf.keyPem.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(keyBody.length).toBeGreaterThan(0);
    for (const out of [renderRevoke(revoked, 'table'), renderRevoke(revoked, 'json'), renderDrill(drilled, 'table'), renderDrill(drilled, 'json')].map(text)) {
      // The facts of the certificate did get through (the drill table names it, not its serial).
      expect(out).toMatch(new RegExp(`${current.serialNumber}|www: replaced`));
      expect(out).toContain('CN=Render Test CA');
      expect(out).not.toContain('PRIVATE KEY');
      for (const line of keyBody) expect(out).not.toContain(line);
    }
  });
});
