/**
 * A certificate spec's `hosts` (order once, deploy everywhere): resolved onto ManagedCertificate
 * with store.postgres; with the file store, without a deploy section, or with a bad, empty or
 * repeated host name, a ConfigError naming the certificate. And `agent --root`'s path prefix.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings, type RenewResolveContext } from '../../../src/config/renew-options.js';
import { CertfleetError } from '../../../src/errors.js';
import { underRoot } from '../../../src/fleet/deploy-root.js';
import { tempDir } from '../../helpers/pki.js';

const challenge = { type: 'http-01', webroot: '/var/www' };
const deploy = { cert: '/etc/tls/web.pem', key: '/etc/tls/web.key' };
const postgres = { store: { postgres: { urlEnv: 'DB' }, encryptionKeyFile: '/k' } };

function ctx(dir: string): RenewResolveContext {
  return { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state') };
}

async function resolveWith(cert: Record<string, unknown>, extra: Record<string, unknown> = postgres) {
  const config = validateConfig({ acme: { server: 'letsencrypt' }, certificates: [{ name: 'web', domains: ['web.example.com'], challenge, ...cert }], ...extra }, 'c.yaml');
  return resolveRenewSettings(config, ctx(tempDir()));
}

async function refusal(cert: Record<string, unknown>, extra?: Record<string, unknown>): Promise<CertfleetError> {
  const err = await Promise.resolve()
    .then(() => resolveWith(cert, extra))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!(err instanceof CertfleetError)) throw new Error(`expected a CertfleetError, got ${String(err)}`);
  expect(err.exitCode).toBe(2);
  return err;
}

describe('hosts in a certificate spec', () => {
  it('is resolved onto the certificate with store.postgres', async () => {
    const settings = await resolveWith({ hosts: ['web-1', 'Web2.dc1'], deploy });
    // In lower case, as the store keeps them (DNS names compare without regard to case).
    expect(settings.certificates[0]!.hosts).toEqual(['web-1', 'web2.dc1']);
    expect((await resolveWith({ deploy })).certificates[0]!.hosts).toBeUndefined();
  });

  it('needs store.postgres: with the file store it is a ConfigError naming the certificate', async () => {
    const err = await refusal({ hosts: ['a'], deploy }, {});
    expect(err.message).toBe('certificates[0] (web): hosts needs store.postgres: agents read the shared store');
  });

  it('needs a deploy section: the agents have nothing to deploy without one', async () => {
    expect((await refusal({ hosts: ['a'] })).message).toMatch(/^certificates\[0\] \(web\): hosts names the hosts whose agents deploy it, but it has no deploy section/);
  });

  it('refuses an empty list, a bad host name and a host twice', async () => {
    expect((await refusal({ hosts: [], deploy })).message).toMatch(/hosts: name at least one host/);
    expect((await refusal({ hosts: ['a b'], deploy })).message).toContain('certificates[0] (web).hosts[0]: "a b" is not a DNS host name');
    // Not a DNS host name: an underscore, an empty label, a leading hyphen, a URL, a label over 63 characters.
    for (const bad of ['web_2', 'a..b', '-web', 'https://web', `${'x'.repeat(64)}.example`, '.web', 'web.']) {
      const err = await refusal({ hosts: ['ok', bad], deploy });
      expect(err.message, bad).toContain(`certificates[0] (web).hosts[1]: "${bad}" `);
    }
    expect((await refusal({ hosts: ['a', 'b', 'a'], deploy })).message).toMatch(/hosts\[2\]: "a" is listed twice/);
    // Web-1 and web-1 are one host.
    expect((await refusal({ hosts: ['web-1', 'b', 'Web-1'], deploy })).message).toMatch(/hosts\[2\]: "Web-1" is listed twice/);
  });
});

describe('agent --root', () => {
  it('prefixes every deploy path and nothing else', async () => {
    const settings = await resolveWith({ hosts: ['a'], deploy: { ...deploy, combined: '/etc/haproxy/web.pem', commands: [['/bin/true']] } });
    const cert = settings.certificates[0]!;
    const moved = underRoot(cert, '/srv/hosta');
    expect(moved.deploy!.targets).toMatchObject({ cert: '/srv/hosta/etc/tls/web.pem', key: '/srv/hosta/etc/tls/web.key', combined: '/srv/hosta/etc/haproxy/web.pem' });
    expect(moved.deploy!.commands).toEqual([['/bin/true']]);
    expect(cert.deploy!.targets.cert).toBe('/etc/tls/web.pem'); // the original is untouched
    expect(underRoot(cert, undefined)).toBe(cert);
  });
});
