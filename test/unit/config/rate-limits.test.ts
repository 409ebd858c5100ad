/**
 * acme.rateLimits resolved into CaSettings.rateLimits: the Let's Encrypt preset by default for the
 * letsencrypt server, none for another CA, a preset by name, explicit limits, `none`, and the
 * errors of a bad one.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rateLimitPresets } from '../../../src/acme/rate-limit-presets.js';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings, type RenewResolveContext } from '../../../src/config/renew-options.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/pki.js';

const HOUR = 3_600_000;
const challenge = { type: 'http-01', webroot: '/var/www' };

function ctx(dir: string, staging = false): RenewResolveContext {
  return { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state'), staging };
}

async function limitsOf(acme: Record<string, unknown>, certAcme?: Record<string, unknown>, staging = false) {
  const config = validateConfig({ acme, certificates: [{ name: 'www', domains: ['www.example.com'], challenge, ...(certAcme ? { acme: certAcme } : {}) }] }, 'c.yaml');
  const settings = await resolveRenewSettings(config, ctx(tempDir(), staging));
  return { defaultCa: settings.defaultCa?.rateLimits, cert: settings.certificates[0]!.ca.rateLimits };
}

describe('acme.rateLimits', () => {
  it("defaults to Let's Encrypt's published limits for the letsencrypt server", async () => {
    expect(rateLimitPresets.letsencrypt).toEqual({ newOrders: { limit: 300, windowMs: 3 * HOUR }, perRegisteredDomain: { limit: 50, windowMs: 7 * 24 * HOUR } });
    expect(await limitsOf({ server: 'letsencrypt' })).toEqual({ defaultCa: rateLimitPresets.letsencrypt, cert: rateLimitPresets.letsencrypt });
  });

  it('defaults to none (unlimited) for another CA, a directory URL, and the staging directory', async () => {
    expect(await limitsOf({ server: 'https://acme.example.test/directory' })).toEqual({ defaultCa: undefined, cert: undefined });
    expect(await limitsOf({ server: 'zerossl' })).toEqual({ defaultCa: undefined, cert: undefined });
    expect((await limitsOf({ server: 'letsencrypt' }, undefined, true)).cert).toBeUndefined();
  });

  it('takes a preset by name for any server, explicit limits, or none', async () => {
    expect((await limitsOf({ server: 'https://acme.example.test/directory', rateLimits: 'letsencrypt' })).cert).toEqual(rateLimitPresets.letsencrypt);
    expect((await limitsOf({ server: 'https://acme.example.test/directory', rateLimits: { newOrders: { limit: 1800, per: '3h' } } })).cert).toEqual({ newOrders: { limit: 1800, windowMs: 3 * HOUR } });
    expect((await limitsOf({ server: 'letsencrypt', rateLimits: { perRegisteredDomain: { limit: 500, per: '168h' } } })).cert).toEqual({ perRegisteredDomain: { limit: 500, windowMs: 168 * HOUR } });
    expect((await limitsOf({ server: 'letsencrypt', rateLimits: 'none' })).cert).toBeUndefined();
  });

  it("a certificate's own acme section overrides the top-level limits", async () => {
    expect(await limitsOf({ server: 'letsencrypt' }, { rateLimits: 'none' })).toEqual({ defaultCa: rateLimitPresets.letsencrypt, cert: undefined });
  });

  it('refuses an unknown preset, naming the ones there are, and a limit without a unit or below 1', async () => {
    const err = await limitsOf({ server: 'letsencrypt', rateLimits: 'lets-encrypt' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ exitCode: 2, message: expect.stringMatching(/acme\.rateLimits: unknown preset "lets-encrypt"/), hint: expect.stringMatching(/letsencrypt or none/) });
    expect(() => validateConfig({ acme: { server: 'letsencrypt', rateLimits: { newOrders: { limit: 300, per: 3 } } } }, 'c.yaml')).toThrow(/no unit/);
    expect(() => validateConfig({ acme: { server: 'letsencrypt', rateLimits: { newOrders: { limit: 0, per: '3h' } } } }, 'c.yaml')).toThrow(ConfigError);
  });
});
