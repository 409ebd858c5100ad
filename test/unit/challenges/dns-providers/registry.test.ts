/**
 * The provider registry and what is derived from it: the `challenge:` schema of each provider
 * (names and aliases, options, `x | xEnv | xFile` secrets, an unknown provider listing the known
 * ones), secret resolution (the same rules as TSIG's, then lego's variables, messages that name
 * the option and the variables but never a value), inline secrets refused for stored specs, and
 * the solver the registry builds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { challengeConfigSchema, inlineChallengeSecrets, resolveChallengeSecrets } from '../../../../src/challenges/config.js';
import { defineProvider } from '../../../../src/challenges/dns-providers/descriptor.js';
import { dnsProviders, duplicateProviderNames, findDnsProvider, knownProviderNames } from '../../../../src/challenges/dns-providers/registry.js';
import { resolveProviderSettings } from '../../../../src/challenges/dns-providers/secrets.js';
import { ProviderDnsSolver } from '../../../../src/challenges/dns-providers/solver.js';
import { createSolver, solverKind } from '../../../../src/challenges/registry.js';
import { ConfigError } from '../../../../src/errors.js';

const parse = (input: unknown) => challengeConfigSchema.parse(input);
const issues = (input: unknown) => {
  const result = challengeConfigSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};
const readText = (path: string) => readFile(path, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'certfleet-provider-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pdns = { type: 'dns-01', provider: 'pdns', apiUrl: 'http://127.0.0.1:8081' };
const resolve = (input: unknown, env: Record<string, string> = {}, where?: string) => resolveChallengeSecrets(parse(input), env, readText, where);

describe('the DNS provider registry', () => {
  it('has no name or alias twice, and none that shadows rfc2136 or exec', () => {
    expect(duplicateProviderNames()).toEqual([]);
    const clash = defineProvider({ ...(findDnsProvider('pdns') as ReturnType<typeof defineProvider>), name: 'exec', aliases: ['pdns'] });
    expect(duplicateProviderNames([...dnsProviders, clash])).toEqual(['exec', 'pdns']);
  });

  it('finds a provider by its name or an alias', () => {
    expect(findDnsProvider('pdns')?.title).toBe('PowerDNS Authoritative');
    expect(findDnsProvider('powerdns')?.name).toBe('pdns');
    expect(findDnsProvider('PDNS')).toBeUndefined();
    expect(knownProviderNames().slice(0, 3)).toEqual(['rfc2136', 'exec', dnsProviders[0]?.name]);
  });

  it('every descriptor keeps the seam: lego names for secrets, plain options that are keys of its schema, a reference URL', () => {
    for (const provider of dnsProviders) {
      expect(provider.apiReference, provider.name).toMatch(/^https:\/\//);
      for (const secret of provider.secrets) expect(secret.legoEnv.length, `${provider.name}.${secret.key}`).toBeGreaterThan(0);
      const shape = (provider.options as unknown as { shape?: Record<string, unknown> }).shape ?? {};
      for (const option of provider.plainOptions) expect(Object.keys(shape), `${provider.name}.${option.key}`).toContain(option.key);
    }
  });
});

describe('a provider\'s challenge: schema', () => {
  it('parses to provider "api" naming the provider (an alias resolved), with the wait, TTL and CNAME defaults', () => {
    expect(parse({ ...pdns, provider: 'powerdns', apiKeyEnv: 'PDNS_KEY' })).toEqual({
      type: 'dns-01',
      provider: 'api',
      api: 'pdns',
      settings: { apiUrl: 'http://127.0.0.1:8081', apiKeyEnv: 'PDNS_KEY' },
      ttl: 60,
      followCname: true,
      propagationTimeout: 120_000,
      pollInterval: 2_000,
    });
    expect(parse({ ...pdns, ttl: 300, server: '127.0.0.1:5353', propagationTimeout: '30s', pollInterval: '250ms' })).toMatchObject({ ttl: 300, server: '127.0.0.1:5353', propagationTimeout: 30_000, pollInterval: 250 });
  });

  it('an unknown provider lists the known ones', () => {
    expect(issues({ type: 'dns-01', provider: 'nosuchdns' })).toBe(`provider: unknown dns-01 provider "nosuchdns"; known: ${knownProviderNames().join(', ')}`);
    expect(knownProviderNames()).toEqual(expect.arrayContaining(['rfc2136', 'exec', 'pdns']));
  });

  it('refuses two forms of one secret, server with resolver, an unknown key and a bad option value, naming each', () => {
    expect(issues({ ...pdns, apiKey: 'a', apiKeyEnv: 'B' })).toBe('apiKeyEnv: give exactly one of apiKey, apiKeyEnv, apiKeyFile');
    expect(issues({ ...pdns, server: '127.0.0.1', resolver: '127.0.0.53' })).toContain('resolver: give server:');
    expect(issues({ ...pdns, apiKeyEnvv: 'X' })).toContain('apiKeyEnvv');
    expect(issues({ ...pdns, apiUrl: 'not a url' })).toContain('apiUrl: the API\'s base URL');
    expect(issues({ ...pdns, ttl: -1 })).toContain('ttl');
    expect(issues({ ...pdns, propagationTimeout: 5 })).toBe('propagationTimeout: 5 has no unit: write 5s or 5000ms');
  });
});

describe('provider secrets and options', () => {
  it('reads a secret inline, from a named variable, from a file (trimmed), or from lego\'s variables (and lego\'s _FILE form)', async () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'from-file\n');
    const secret = async (input: Record<string, unknown>, env: Record<string, string> = {}) => {
      const resolved = await resolve({ ...pdns, ...input }, env);
      if (resolved.type !== 'dns-01' || resolved.provider !== 'api') throw new Error('not a provider config');
      return resolved.resolved.secrets.apiKey;
    };
    expect(await secret({ apiKey: 'inline' })).toBe('inline');
    expect(await secret({ apiKeyEnv: 'MY_KEY' }, { MY_KEY: 'from-env', PDNS_API_KEY: 'lego' })).toBe('from-env');
    expect(await secret({ apiKeyFile: file })).toBe('from-file');
    expect(await secret({}, { PDNS_API_KEY: 'lego' })).toBe('lego');
    expect(await secret({}, { PDNS_API_KEY_FILE: file })).toBe('from-file');
  });

  it('fills plain options from lego\'s variables, then applies the descriptor\'s defaults', async () => {
    const resolved = await resolve({ type: 'dns-01', provider: 'pdns' }, { PDNS_API_URL: 'http://10.0.0.1:8081', PDNS_API_KEY: 'k' });
    expect(resolved).toMatchObject({ provider: 'api', api: 'pdns', resolved: { options: { apiUrl: 'http://10.0.0.1:8081', serverName: 'localhost' } } });
    expect(JSON.stringify(resolved)).not.toContain('settings');
    const named = await resolve({ type: 'dns-01', provider: 'pdns' }, { PDNS_API_URL: 'http://x:1', PDNS_API_KEY: 'k', PDNS_SERVER_NAME: 'ns-a' });
    expect(named).toMatchObject({ resolved: { options: { serverName: 'ns-a' } } });
    // What the config writes wins over lego's variable.
    expect(await resolve({ ...pdns, apiKey: 'k' }, { PDNS_API_URL: 'http://other:1' })).toMatchObject({ resolved: { options: { apiUrl: 'http://127.0.0.1:8081' } } });
  });

  it('a missing secret or option is a ConfigError naming it and lego\'s variables, never a value', async () => {
    const missing = await resolve(pdns, {}, 'certificates[0].challenge').catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toBe('certificates[0].challenge: provider pdns needs apiKey (apiKey | apiKeyEnv | apiKeyFile or lego\'s PDNS_API_KEY): none is set');
    const noUrl = await resolve({ type: 'dns-01', provider: 'pdns' }, { PDNS_API_KEY: 'k' }).catch((err: unknown) => err);
    expect((noUrl as Error).message).toBe('challenge.apiUrl: required for provider pdns (or lego\'s PDNS_API_URL)');
    const unset = await resolve({ ...pdns, apiKeyEnv: 'UNSET' }).catch((err: unknown) => err);
    expect((unset as Error).message).toBe('challenge.apiKeyEnv: environment variable UNSET is not set');
    const unreadable = await resolve({ ...pdns, apiKeyFile: join(dir, 'nope') }).catch((err: unknown) => err);
    expect((unreadable as Error).message).toMatch(/^challenge\.apiKeyFile: cannot read .*nope: ENOENT/);
    const badLego = await resolve({ type: 'dns-01', provider: 'pdns' }, { PDNS_API_URL: 'ftp://x', PDNS_API_KEY: 'sekrit-value' }).catch((err: unknown) => err);
    expect((badLego as Error).message).toContain('challenge.apiUrl');
    expect((badLego as Error).message).not.toContain('sekrit-value');
  });

  it('alternative credentials: secretsSufficient decides, and its message names every secret', async () => {
    const either = defineProvider({
      name: 'either',
      title: 'Either',
      apiReference: 'https://example.invalid/api',
      options: z.object({}),
      plainOptions: [],
      secrets: [
        { key: 'token', legoEnv: ['EITHER_TOKEN'], optional: true, description: 'a token' },
        { key: 'apiKey', legoEnv: ['EITHER_KEY'], optional: true, description: 'a key (with email)' },
        { key: 'email', legoEnv: ['EITHER_EMAIL'], optional: true, description: 'the account email' },
      ],
      secretsSufficient: (s) => s.token !== undefined || (s.apiKey !== undefined && s.email !== undefined),
      create: () => {
        throw new Error('not used');
      },
    });
    expect((await resolveProviderSettings(either, {}, { EITHER_TOKEN: 't' }, readText, 'c')).secrets).toEqual({ token: 't', apiKey: undefined, email: undefined });
    await expect(resolveProviderSettings(either, { apiKeyEnv: 'K' }, { K: 'k' }, readText, 'c')).rejects.toThrow(
      "c: provider either needs one of its sets of credentials; given none that is complete: token (token | tokenEnv | tokenFile or lego's EITHER_TOKEN), apiKey (apiKey | apiKeyEnv | apiKeyFile or lego's EITHER_KEY), email (email | emailEnv | emailFile or lego's EITHER_EMAIL)",
    );
  });

  it('stored specs refuse inline provider secrets (and TSIG\'s), not the Env and File forms', () => {
    expect(inlineChallengeSecrets(parse({ ...pdns, apiKey: 'k' }))).toEqual(['challenge.apiKey (use apiKeyEnv or apiKeyFile)']);
    expect(inlineChallengeSecrets(parse({ ...pdns, apiKeyEnv: 'K' }))).toEqual([]);
    expect(inlineChallengeSecrets(parse({ ...pdns, apiKeyFile: '/etc/k' }))).toEqual([]);
    expect(inlineChallengeSecrets(parse({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1', tsig: { name: 'k', secret: 'c2VjcmV0' } }))).toEqual(['challenge.tsig.secret (use secretEnv or secretFile)']);
    expect(inlineChallengeSecrets(parse({ type: 'http-01', webroot: '/w' }))).toEqual([]);
  });

  it('the registry builds the provider solver from a resolved config', async () => {
    const config = await resolve({ ...pdns, apiKey: 'k' });
    expect(solverKind(config)).toBe('dns-01/provider');
    expect(createSolver(config)).toBeInstanceOf(ProviderDnsSolver);
  });
});
