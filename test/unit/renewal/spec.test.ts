import { describe, expect, it } from 'vitest';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { deploySpecOf, orderSpecChange, orderSpecOf } from '../../../src/renewal/spec.js';
import { managedCertificate } from '../../helpers/managed.js';

const cert = (over: Partial<ManagedCertificate> = {}): ManagedCertificate =>
  managedCertificate({
    domains: ['www.example.test', 'example.test'],
    deploy: { targets: { fullchain: '/etc/tls/www.pem', key: '/etc/tls/www.key' }, commands: [['systemctl', 'reload', 'nginx']], commandTimeoutMs: 1000 },
    ...over,
  });

describe('what the certificate was ordered with, against the config', () => {
  const issued = { domains: ['www.example.test', 'example.test'], spec: orderSpecOf(cert()) };

  it('sees no change when only the challenge or the deploy section changed', () => {
    expect(orderSpecChange(cert({ challenge: { type: 'tls-alpn-01', port: 443 } as ManagedCertificate['challenge'] }), issued)).toBeUndefined();
    expect(orderSpecChange(cert({ deploy: { targets: { combined: '/etc/haproxy/www.pem' }, commands: [], commandTimeoutMs: 1 } }), issued)).toBeUndefined();
  });

  it('names added and removed domains, key type, profile, CA and EAB account', () => {
    expect(orderSpecChange(cert({ domains: ['www.example.test', 'new.example.test'] }), issued)).toBe('domains changed: +new.example.test -example.test');
    expect(orderSpecChange(cert({ keyType: 'rsa-2048' }), issued)).toBe('key type changed: ec-p256 -> rsa-2048');
    const withProfile = cert({ ca: { ...cert().ca, profile: 'shortlived' } });
    expect(orderSpecChange(withProfile, issued)).toBe('profile changed: (CA default) -> shortlived');
    expect(orderSpecChange(cert({ ca: { ...cert().ca, directoryUrl: 'https://other.test/dir' } }), issued)).toBe('CA changed: https://ca.test/dir -> https://other.test/dir');
    expect(orderSpecChange(cert({ ca: { ...cert().ca, eab: { kid: 'k2', hmacKey: 'x' } } }), issued)).toBe('ACME account changed (EAB key id)');
  });

  it('compares only the domains of a version stored before specs were recorded', () => {
    expect(orderSpecChange(cert({ keyType: 'rsa-2048' }), { domains: ['www.example.test', 'example.test'] })).toBeUndefined();
    expect(orderSpecChange(cert(), { domains: ['www.example.test'] })).toBe('domains changed: +example.test');
  });

  it('fingerprints the deploy section: paths, modes, owner and commands, not the timeout', () => {
    const base = deploySpecOf(cert());
    expect(deploySpecOf(cert({ deploy: { ...cert().deploy!, commandTimeoutMs: 5 } }))).toBe(base);
    expect(deploySpecOf(cert({ deploy: { ...cert().deploy!, commands: [] } }))).not.toBe(base);
    expect(deploySpecOf(cert({ deploy: { ...cert().deploy!, targets: { ...cert().deploy!.targets, mode: 0o640 } } }))).not.toBe(base);
    expect(deploySpecOf(cert({ deploy: { ...cert().deploy!, targets: { ...cert().deploy!.targets, key: '/etc/tls/other.key' } } }))).not.toBe(base);
    expect(deploySpecOf(cert({ deploy: undefined }))).toBeUndefined();
  });
});
