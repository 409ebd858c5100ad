/** A resolved managed certificate for unit tests: http-01 webroot, a deploy section, one verify endpoint. */
import type { ManagedCertificate } from '../../src/renewal/managed.js';

export function managedCertificate(over: Partial<ManagedCertificate> = {}): ManagedCertificate {
  return {
    name: 'www',
    domains: ['www.example.test'],
    keyType: 'ec-p256',
    reuseKey: false,
    ca: { directoryUrl: 'https://ca.test/dir', requestTimeoutMs: 1000, contact: [], acceptTermsOfService: true },
    challenge: { type: 'http-01', webroot: '/var/www' } as ManagedCertificate['challenge'],
    pre: [],
    post: [],
    verify: [{ host: '127.0.0.1', port: 443 }] as unknown as ManagedCertificate['verify'],
    verifyTimeoutMs: 1000,
    verifyCa: [],
    deploy: { targets: { fullchain: '/srv/tls/www.pem', key: '/srv/tls/www.key' }, commands: [['reload-server']], commandTimeoutMs: 1000 },
    ...over,
  };
}
