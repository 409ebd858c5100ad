/**
 * Choosing the CA (presets, URLs) and reading its directory: a Pebble 2.4 directory recorded
 * from the test harness (no ARI, no profiles) and one shaped like a CA with both (RFC 9773
 * renewalInfo, profiles draft meta.profiles), then the profile check made before ordering.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caPresets, parseDirectory, resolveDirectoryUrl, stagingPresets } from '../../../src/acme/directory.js';
import { AcmeError, AcmeProfileError } from '../../../src/acme/errors.js';
import { checkProfile, profileNames } from '../../../src/acme/profiles.js';
import { ConfigError, ExitCode } from '../../../src/errors.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/acme/${name}`, import.meta.url), 'utf8'));

describe('resolveDirectoryUrl', () => {
  it('maps every preset the configuration documents to an https production URL', () => {
    for (const name of ['letsencrypt', 'letsencrypt-staging', 'zerossl', 'google', 'buypass']) {
      expect(resolveDirectoryUrl(name)).toMatch(/^https:\/\/[^/]+\//);
    }
    expect(resolveDirectoryUrl('letsencrypt')).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(resolveDirectoryUrl(' letsencrypt-staging ')).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
    expect(caPresets[stagingPresets.letsencrypt!]).toContain('staging');
  });

  it('takes any https URL, and plain http only on loopback', () => {
    expect(resolveDirectoryUrl('https://acme.internal.example/directory')).toBe('https://acme.internal.example/directory');
    expect(resolveDirectoryUrl('http://127.0.0.1:14000/dir')).toBe('http://127.0.0.1:14000/dir');
    expect(() => resolveDirectoryUrl('http://acme.example.com/dir')).toThrow(/must be an https:\/\/ URL/);
  });

  it('explains an unknown name with the list of presets', () => {
    const err = (() => {
      try {
        resolveDirectoryUrl('letsencrpyt');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('letsencrpyt');
    expect((err as ConfigError).hint).toContain('letsencrypt-staging');
  });
});

describe('parseDirectory', () => {
  it('reads Pebble 2.4: no renewalInfo, no profiles', () => {
    const dir = parseDirectory(fixture('pebble-2.4-directory.json'), 'https://127.0.0.1:14000/dir');
    expect(dir.newOrder).toBe('https://127.0.0.1:14000/order-plz');
    expect(dir.keyChange).toBe('https://127.0.0.1:14000/rollover-account-key');
    expect(dir.renewalInfo).toBeUndefined();
    expect(dir.meta).toEqual({
      termsOfService: 'data:text/plain,Do%20what%20thou%20wilt',
      website: undefined,
      caaIdentities: [],
      externalAccountRequired: false,
      profiles: undefined,
      renewalInfo: false,
    });
  });

  it('reads a CA with ARI and profiles', () => {
    const dir = parseDirectory(fixture('directory-with-ari-and-profiles.json'), 'https://acme.example.com/directory');
    expect(dir.renewalInfo).toBe('https://acme.example.com/acme/renewal-info');
    expect(dir.meta.renewalInfo).toBe(true);
    expect(dir.meta.caaIdentities).toEqual(['example.com']);
    expect(profileNames(dir.meta)).toEqual(['classic', 'shortlived', 'tlsserver']);
    expect(dir.meta.profiles!.shortlived).toBe('https://acme.example.com/docs/profiles#shortlived');
  });

  it('refuses something that is not a directory', () => {
    expect(() => parseDirectory('<html></html>', 'https://x.test/')).toThrow(AcmeError);
    expect(() => parseDirectory({ newNonce: 'a', newAccount: 'b' }, 'https://x.test/')).toThrow(/not an ACME directory/);
  });
});

describe('checkProfile', () => {
  const withProfiles = parseDirectory(fixture('directory-with-ari-and-profiles.json'), 'https://acme.example.com/directory').meta;
  const withoutProfiles = parseDirectory(fixture('pebble-2.4-directory.json'), 'https://127.0.0.1:14000/dir').meta;

  it('accepts a profile the CA offers', () => {
    expect(() => checkProfile(withProfiles, 'shortlived', 'https://acme.example.com/directory')).not.toThrow();
  });

  it('lists the CA\'s profiles when the name is unknown, as a usage error', () => {
    let err: unknown;
    try {
      checkProfile(withProfiles, 'shortlife', 'https://acme.example.com/directory');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AcmeProfileError);
    const profile = err as AcmeProfileError;
    expect(profile.available).toEqual(['classic', 'shortlived', 'tlsserver']);
    expect(profile.message).toContain('it offers: classic, shortlived, tlsserver');
    expect(profile.exitCode).toBe(ExitCode.usage);
  });

  it('refuses any profile on a CA without profiles instead of silently ignoring it', () => {
    expect(() => checkProfile(withoutProfiles, 'classic', 'https://127.0.0.1:14000/dir')).toThrow(/offers no profiles/);
  });
});
