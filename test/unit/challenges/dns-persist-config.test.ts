/**
 * The `challenge:` shapes this work added: dns-persist-01 (policy, persistUntil as a date or a
 * span, issuerDomainName, server or resolver) and rfc2136's followCname and resolver.
 */
import { describe, expect, it } from 'vitest';
import { challengeConfigSchema, inlineChallengeSecrets, persistUntilDate, resolveChallengeSecrets, type ResolvedChallengeConfig } from '../../../src/challenges/config.js';
import { solverKind } from '../../../src/challenges/registry.js';

describe('challenge: { type: dns-persist-01 }', () => {
  it('parses with defaults, a date (also as YAML gives it) or a span for persistUntil, and maps to its solver', () => {
    const config = challengeConfigSchema.parse({ type: 'dns-persist-01' });
    expect(config).toEqual({ type: 'dns-persist-01', timeout: 10_000 });
    expect(solverKind(config as ResolvedChallengeConfig)).toBe('dns-persist-01');
    expect(challengeConfigSchema.parse({ type: 'dns-persist-01', policy: 'wildcard', persistUntil: '90d', resolver: '127.0.0.1:53' })).toMatchObject({ policy: 'wildcard', persistUntil: '90d' });
    expect(challengeConfigSchema.parse({ type: 'dns-persist-01', persistUntil: new Date('2027-06-30T00:00:00Z') })).toMatchObject({ persistUntil: '2027-06-30T00:00:00.000Z' });
    const now = new Date('2026-12-03T00:00:00Z');
    expect(persistUntilDate('90d', now).toISOString()).toBe('2027-03-03T00:00:00.000Z');
    expect(persistUntilDate('2027-06-30', now).toISOString()).toBe('2027-06-30T00:00:00.000Z');
  });

  it('refuses what the draft cannot carry or the lookup cannot use', () => {
    expect(() => challengeConfigSchema.parse({ type: 'dns-persist-01', policy: 'subdomains' })).toThrow();
    expect(() => challengeConfigSchema.parse({ type: 'dns-persist-01', persistUntil: 'next year' })).toThrow('a date such as 2027-06-30 or a span such as 90d');
    expect(() => challengeConfigSchema.parse({ type: 'dns-persist-01', server: '127.0.0.1:53', resolver: '127.0.0.1:53' })).toThrow('not both');
  });
});

describe('dns-persist-01 publish: a registry provider', () => {
  it("takes a provider's shape (its secrets resolved as dns-01's are), and refuses rfc2136 or an unknown one", async () => {
    const config = challengeConfigSchema.parse({ type: 'dns-persist-01', publish: { provider: 'pdns', apiUrl: 'http://127.0.0.1:8081', apiKeyEnv: 'PDNS_KEY' } });
    const resolved = await resolveChallengeSecrets(config, { PDNS_KEY: 'k3y' }, () => Promise.reject(new Error('no files')));
    expect(resolved).toMatchObject({ type: 'dns-persist-01', publish: { provider: 'api', api: 'pdns', resolved: { secrets: { apiKey: 'k3y' } } } });
    const inline = challengeConfigSchema.parse({ type: 'dns-persist-01', publish: { provider: 'pdns', apiUrl: 'http://127.0.0.1:8081', apiKey: 'k3y' } });
    expect(inlineChallengeSecrets(inline)).toEqual(['challenge.publish.apiKey (use apiKeyEnv or apiKeyFile)']);
    expect(() => challengeConfigSchema.parse({ type: 'dns-persist-01', publish: { provider: 'rfc2136', server: '127.0.0.1:53' } })).toThrow('publish takes a DNS provider of the registry');
    const unknown = challengeConfigSchema.safeParse({ type: 'dns-persist-01', publish: { provider: 'nosuch' } });
    expect(unknown.error?.issues.map((issue) => [issue.path.join('.'), issue.message.split(';')[0]])).toEqual([['publish.provider', 'unknown dns-01 provider "nosuch"']]);
  });
});

describe('challenge: { type: dns-01, provider: rfc2136 } delegation options', () => {
  it('follows CNAMEs by default; followCname: false and resolver: are taken', () => {
    const base = { type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53' };
    expect(challengeConfigSchema.parse(base)).toMatchObject({ followCname: true });
    expect(challengeConfigSchema.parse({ ...base, followCname: false, resolver: '[::1]:5353' })).toMatchObject({ followCname: false, resolver: '[::1]:5353' });
    expect(() => challengeConfigSchema.parse({ ...base, resolver: 'not a host:port:x' })).toThrow();
  });
});
