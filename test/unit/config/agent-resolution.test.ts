/**
 * An agent's certificates are resolved without the CA (renew-options.ts role 'agent'): a config
 * with only `store` resolves a stored spec's deploy part (paths, commands, verify, hosts) as a
 * runner's config does, and reads nothing about ordering (acme sections, EAB secrets, CA bundles,
 * rate limits, maxNames, challenge secrets and programs, pre/post programs), while a runner's
 * config without acme stays a ConfigError. An agent's certificate never pretends to have a CA.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkedEntry } from '../../../src/config/certificate-files.js';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings, type RenewResolveContext } from '../../../src/config/renew-options.js';
import { CertfleetError } from '../../../src/errors.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { tempDir } from '../../helpers/pki.js';

const store = { postgres: { urlEnv: 'DB' } };
const acme = { server: 'https://127.0.0.1:14000/dir', account: { acceptTermsOfService: true } };

/** A spec as `certfleet apply` stored it: as written, with the runner's directory as its base. */
function stored(entry: Record<string, unknown>, runnerDir = '/etc/certfleet') {
  return checkedEntry({ entry: { name: 'web', domains: ['web.example.test'], challenge: { type: 'http-01', agents: true }, hosts: ['web-1', 'web-2'], ...entry }, baseDir: runnerDir, where: 'certificates.d/web.yaml: certificates[0] (web)', file: join(runnerDir, 'certificates.d/web.yaml') });
}

function ctx(dir: string, role: RenewResolveContext['role'], env: Record<string, string> = {}): RenewResolveContext {
  return { cwd: dir, env: { PATH: '/usr/bin:/bin', ...env }, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state'), lazyCertificates: true, ...(role ? { role } : {}) };
}

/** The stored spec resolved the way `certfleet agent` (role 'agent') or a runner resolves it, against `config`. */
async function resolveStored(config: Record<string, unknown>, role: RenewResolveContext['role'], entry: Record<string, unknown>, env: Record<string, string> = {}): Promise<ManagedCertificate> {
  const dir = tempDir();
  const settings = await resolveRenewSettings(validateConfig(config, 'c.yaml'), ctx(dir, role, env));
  return settings.specs.resolve(stored(entry));
}

async function configError(p: Promise<unknown>): Promise<CertfleetError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof CertfleetError)) throw new Error(`expected a CertfleetError, got ${String(err)}`);
  expect(err.exitCode).toBe(2);
  return err;
}

const deploy = { fullchain: 'tls/web.pem', key: 'tls/web.key', mode: '0644', keyMode: '0600', createDirectories: true, commands: [['sh', '-c', 'true']], commandTimeout: '20s' };

/** Everything of a certificate that its deployment reads. */
function deployPart(c: ManagedCertificate) {
  return { name: c.name, domains: c.domains, deploy: c.deploy, verify: c.verify, verifyTimeoutMs: c.verifyTimeoutMs, hosts: c.hosts };
}

describe("an agent's certificates, resolved without the CA", () => {
  it("a config with only store resolves a stored spec's deploy part exactly as a runner's config does", async () => {
    const entry = { deploy, verify: ['127.0.0.1:8443,sni=web.example.test'], verifyTimeout: '5s' };
    const agent = await resolveStored({ store }, 'agent', entry);
    const runner = await resolveStored({ store, acme }, undefined, entry);
    expect(deployPart(agent)).toEqual(deployPart(runner));
    // Relative deploy paths against the stored spec's directory (the runner's), as for a runner.
    expect(agent.deploy).toMatchObject({ targets: { fullchain: '/etc/certfleet/tls/web.pem', key: '/etc/certfleet/tls/web.key', mode: 0o644, keyMode: 0o600, createDirectories: true }, commands: [['sh', '-c', 'true']], commandTimeoutMs: 20_000 });
    expect(agent.verify.map((v) => v.raw)).toEqual(['127.0.0.1:8443,sni=web.example.test']);
    expect(agent).toMatchObject({ verifyTimeoutMs: 5000, hosts: ['web-1', 'web-2'], verifyCa: [] });
  });

  it("a runner's config without acme is still a ConfigError: it orders", async () => {
    const err = await configError(resolveStored({ store }, undefined, { deploy }));
    expect(err.message).toBe('certificates.d/web.yaml: certificates[0] (web): no ACME server: set acme.server (a preset such as letsencrypt, or a directory URL)');
    // Eagerly resolved too (a runner on the state directory).
    const dir = tempDir();
    const config = validateConfig({ certificates: [{ name: 'www', domains: ['www.example.test'], challenge: { type: 'http-01', webroot: '/var/www' } }] }, 'c.yaml');
    expect((await configError(resolveRenewSettings(config, { ...ctx(dir, undefined), lazyCertificates: false }))).message).toMatch(/^certificates\[0\] \(www\): no ACME server/);
  });

  it('reads nothing about ordering: EAB secret, CA bundle, DNS credentials, pre/post and challenge programs, the CA limit on names', async () => {
    // Each of these stops a runner on this host; the agent reads none of them.
    const ordering: Array<[string, Record<string, unknown>, RegExp]> = [
      ['EAB secret', { acme: { server: 'zerossl', account: { eab: { kid: 'kid-1', hmacKeyEnv: 'EAB_HMAC' } } } }, /acme\.account\.eab\.hmacKeyEnv: environment variable EAB_HMAC is not set/],
      ['CA bundle', { acme: { caBundle: 'pebble-ca.pem' } }, /acme\.caBundle: cannot read \/etc\/certfleet\/pebble-ca\.pem: ENOENT/],
      ['rate limits', { acme: { rateLimits: 'no-such-preset' } }, /acme\.rateLimits: unknown preset "no-such-preset"/],
      ['DNS credentials', { challenge: { type: 'dns-01', provider: 'pdns', apiUrl: 'http://127.0.0.1:8081', apiKeyEnv: 'PDNS_KEY' } }, /PDNS_KEY/],
      ['pre hook', { pre: [['/usr/local/sbin/no-such-firewall-hook']] }, /pre\[0\]: \/usr\/local\/sbin\/no-such-firewall-hook does not exist/],
      ['post hook', { post: [['/usr/local/sbin/no-such-firewall-hook']] }, /post\[0\]: \/usr\/local\/sbin\/no-such-firewall-hook does not exist/],
      ['challenge program', { challenge: { type: 'dns-01', provider: 'exec', command: ['/usr/local/sbin/no-such-dns-hook'] } }, /challenge\.command: \/usr\/local\/sbin\/no-such-dns-hook does not exist/],
      // 150 names: the runners' acme.maxNames (200) is in their config, not in the stored spec.
      ['names over the CA limit', { domains: Array.from({ length: 150 }, (_, i) => `n${i}.example.test`) }, /150 names, more than the 100 the CA takes/],
    ];
    for (const [what, fields, runnerRefusal] of ordering) {
      const entry = { deploy, ...fields };
      expect((await configError(resolveStored({ store, acme }, undefined, entry))).message, what).toMatch(runnerRefusal);
      const agent = await resolveStored({ store }, 'agent', entry);
      expect(agent.deploy?.targets.key, what).toBe('/etc/certfleet/tls/web.key');
    }
    const many = await resolveStored({ store }, 'agent', { deploy, domains: Array.from({ length: 150 }, (_, i) => `N${i}.Example.test.`) });
    expect(many.domains).toHaveLength(150);
    expect(many.domains[0]).toBe('n0.example.test');
  });

  it("an agent's config that still has the runners' acme section is not read either (its EAB secret is not on this host)", async () => {
    const withEab = { store, acme: { server: 'zerossl', account: { eab: { kid: 'kid-1', hmacKeyEnv: 'EAB_HMAC' } } } };
    const dir = tempDir();
    const agent = await resolveRenewSettings(validateConfig(withEab, 'c.yaml'), ctx(dir, 'agent'));
    expect(agent.defaultCa).toBeUndefined();
    expect((await agent.specs.resolve(stored({ deploy }))).deploy?.targets.fullchain).toBe('/etc/certfleet/tls/web.pem');
    expect((await configError(resolveRenewSettings(validateConfig(withEab, 'c.yaml'), ctx(dir, undefined)))).message).toBe('acme: acme.account.eab.hmacKeyEnv: environment variable EAB_HMAC is not set');
  });

  it('still checks what it deploys with: the deploy commands it runs, a key beside the certificate files, deploy paths that are files', async () => {
    const missing = await configError(resolveStored({ store }, 'agent', { deploy: { ...deploy, commands: [['/usr/local/sbin/no-such-reload']] } }));
    expect(missing.message).toBe('certificates.d/web.yaml: certificates[0] (web).deploy.commands[0]: /usr/local/sbin/no-such-reload does not exist');
    const noKey = await configError(resolveStored({ store }, 'agent', { deploy: { fullchain: '/srv/tls/web.pem' } }));
    expect(noKey.message).toMatch(/deploy names certificate files but no key/);
    const dir = tempDir();
    mkdirSync(join(dir, 'web.pem'));
    writeFileSync(join(dir, 'web.key'), '');
    const directory = await configError(resolveStored({ store }, 'agent', { deploy: { fullchain: join(dir, 'web.pem'), key: join(dir, 'web.key') } }));
    expect(directory.message).toContain('deploy.fullchain');
  });

  it('has no CA and no challenge to read: reading either is an internal error naming the certificate, not an empty value', async () => {
    const agent = await resolveStored({ store }, 'agent', { deploy });
    for (const read of [() => agent.ca.directoryUrl, () => agent.ca.rateLimits, () => agent.challenge.type, () => JSON.stringify(agent)]) {
      let thrown: unknown;
      try {
        read();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(CertfleetError);
      expect((thrown as Error).message).toMatch(/^certificates\.d\/web\.yaml: certificates\[0\] \(web\): the (CA|challenge) is not resolved on an agent \(agents deploy and never order\), yet its \w+ was read$/);
    }
  });
});
