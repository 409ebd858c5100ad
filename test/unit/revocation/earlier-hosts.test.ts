/**
 * The rule before revoking an earlier version of a certificate its hosts deploy: only when every
 * host's last report is another version deployed. A host that still serves it, whose last attempt
 * failed (it may still serve it), or that never reported holds the revocation back, and is named.
 */
import { describe, expect, it } from 'vitest';
import { earlierOnHosts } from '../../../src/revocation/earlier-hosts.js';
import type { HostDeployment, ReplacementStatus } from '../../../src/store/ports.js';

const at = '2026-11-20T00:00:00.000Z';
const deployed = (host: string, version: string): HostDeployment & { host: string } => ({ host, version, status: 'deployed', detail: undefined, attemptedAt: at, deployedAt: at });
const failed = (host: string, version: string, detail: string): HostDeployment & { host: string } => ({ host, version, status: 'failed', detail, attemptedAt: at, deployedAt: at });
const status = (...hosts: Array<HostDeployment & { host: string }>): ReplacementStatus => ({ currentVersion: 'v3', hosts });

describe('earlierOnHosts', () => {
  it('confirmed when every host reports another version deployed (the current one, or even an older one: either way not this)', () => {
    const r = earlierOnHosts(['a', 'b'], 'v2', status(deployed('a', 'v3'), deployed('b', 'v1'), deployed('elsewhere', 'v2')));
    expect(r).toEqual({
      confirmed: true,
      hosts: [
        { host: 'a', status: 'deployed', version: 'v3' },
        { host: 'b', status: 'deployed', version: 'v1' },
      ],
      pending: '',
    });
  });

  it('not confirmed while a host still serves it, and says which', () => {
    const r = earlierOnHosts(['a', 'b'], 'v2', status(deployed('a', 'v3'), deployed('b', 'v2')));
    expect(r.confirmed).toBe(false);
    expect(r.pending).toBe('b still serves it');
    expect(r.hosts[1]).toEqual({ host: 'b', status: 'deployed', version: 'v2' });
  });

  it('a failed last attempt or no report at all is not a confirmation: the host may still serve it', () => {
    const r = earlierOnHosts(['a', 'b', 'c'], 'v2', status(deployed('a', 'v3'), failed('b', 'v3', 'disk full')));
    expect(r.confirmed).toBe(false);
    expect(r.pending).toBe("b's last deployment (v3) failed: disk full, so it may still serve it; c never reported a deployment");
    expect(r.hosts.map((h) => [h.host, h.status])).toEqual([
      ['a', 'deployed'],
      ['b', 'failed'],
      ['c', 'not-reporting'],
    ]);
  });

  it('nothing known of the certificate: no host confirmed', () => {
    expect(earlierOnHosts(['a'], 'v2', undefined)).toMatchObject({ confirmed: false, pending: 'a never reported a deployment' });
  });
});
