/** The fleet parts of the revoke/replace views (src/cli/render/revocation.ts): each host's report as it comes, and the hosts in the final lines. */
import { describe, expect, it } from 'vitest';
import { renderHostProgress, renderRevoke } from '../../../src/cli/render/revocation.js';
import { REVOKE_SCHEMA_VERSION, type RevokeRunResult } from '../../../src/revocation/revoke.js';

const result = (certificates: RevokeRunResult['certificates']): RevokeRunResult => ({
  schemaVersion: REVOKE_SCHEMA_VERSION,
  startedAt: '2026-12-03T12:00:00.000Z',
  finishedAt: '2026-12-03T12:00:10.000Z',
  reason: 'superseded',
  replaceFirst: true,
  dryRun: false,
  certificates,
  summary: { affected: 1, revoked: 0, alreadyRevoked: 0, notRevoked: 1, failed: 0, durationMs: 10_000 },
  blastRadius: { certificates: 1, names: 1, wildcards: 0, notIssued: 0, unreadable: 0, byIssuer: [], byCa: [], sharedKeys: [], byHost: [] },
});

describe('fleet progress and results', () => {
  it('says each host report as one line on a terminal, one JSON object otherwise', () => {
    const deployed = { certificate: 'www', host: 'a', status: 'deployed', version: '20261203T120000Z-01', seconds: 4.2 } as const;
    expect(renderHostProgress(deployed, 'table')).toBe('www: a deployed 20261203T120000Z-01 (4.2 s)\n');
    expect(renderHostProgress({ ...deployed, host: 'b', status: 'failed', detail: 'reload refused\n(exit 1)' }, 'table')).toBe('www: b FAILED: reload refused\\n(exit 1)\n');
    expect(JSON.parse(renderHostProgress(deployed, 'json'))).toEqual(deployed);
    expect(renderHostProgress(deployed, 'json').trimEnd()).not.toContain('\n');
  });

  it('lists the hosts of a certificate left unrevoked, and the result as one JSON line after progress lines', () => {
    const r = result([
      {
        name: 'www',
        action: 'not-revoked',
        serialNumber: 'aa',
        replacedBy: { serialNumber: 'bb' },
        awaiting: { version: 'v2', oldVersion: 'v1' },
        hosts: [
          { host: 'a', status: 'deployed', version: 'v2', seconds: 4.2 },
          { host: 'b', status: 'not-reporting', version: 'v2' },
        ],
        error: 'its replacement is not confirmed deployed on every host (b not reporting)',
      },
    ]);
    const out = renderRevoke(r, 'table').join('');
    expect(out).toContain('www: serial aa NOT revoked: its replacement is not confirmed deployed on every host (b not reporting)\n');
    expect(out).toContain('0 revoked, 0 already revoked, 1 not revoked (replacement failed or not yet deployed on every host)');
    const revoked = renderRevoke(result([{ ...r.certificates[0]!, action: 'revoked', hosts: [{ host: 'a', status: 'deployed', version: 'v2', seconds: 4.2 }] }]), 'table').join('');
    expect(revoked).toContain('www: serial aa revoked (superseded), replaced by bb; hosts: a 4.2 s\n');
    const line = renderRevoke(r, 'json', true).join('');
    expect(line.trimEnd()).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(r);
  });
});
