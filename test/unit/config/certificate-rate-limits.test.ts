/**
 * Each configured certificate's CA and rate limits for `report` (src/config/certificate-rate-limits.ts):
 * the rules a run resolves them by (presets, explicit limits, none, a certificate's acme over the
 * top-level one), from the config file and certificates.d, without any secret the run would need.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caPresets } from '../../../src/acme/directory.js';
import { rateLimitPresets } from '../../../src/acme/rate-limit-presets.js';
import { certificateRateLimits } from '../../../src/config/certificate-rate-limits.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/pki.js';

const HOUR = 3_600_000;

async function configured(main: string, files: Record<string, string> = {}) {
  const dir = tempDir('certfleet-rate-limits-config-');
  writeFileSync(join(dir, 'certfleet.yaml'), main);
  if (Object.keys(files).length) mkdirSync(join(dir, 'certificates.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'certificates.d', name), text);
  const loaded = await loadConfig(dir, join(dir, 'certfleet.yaml'));
  return certificateRateLimits(loaded.config, loaded.filePath);
}

describe('certificateRateLimits', () => {
  it("resolves each certificate's CA and limits as a run does, from the config file and certificates.d, reading no secret", async () => {
    const out = await configured(
      `
acme:
  server: letsencrypt
  account: { eab: { kid: k, hmacKeyEnv: CERTFLEET_TEST_UNSET_EAB } }
certificates:
  - name: www
    domains: [WWW.Example.COM, example.com]
    challenge: { type: dns-01, provider: rfc2136, server: "127.0.0.1:53", tsig: { name: k, secretEnv: CERTFLEET_TEST_UNSET_TSIG } }
  - name: own-limits
    domains: [a.example.org]
    challenge: { type: http-01, webroot: /var/www }
    acme: { rateLimits: { newOrders: { limit: 10, per: 1h } } }
  - name: unlimited
    domains: [b.example.org]
    challenge: { type: http-01, webroot: /var/www }
    acme: { rateLimits: none }
`,
      {
        'more.yaml': `
- name: private
  domains: [c.example.net]
  challenge: { type: http-01, webroot: /var/www }
  acme: { server: "https://acme.internal.example/directory" }
`,
      },
    );
    expect(out).toEqual([
      { name: 'www', domains: ['www.example.com', 'example.com'], ca: caPresets.letsencrypt, limits: rateLimitPresets.letsencrypt },
      { name: 'own-limits', domains: ['a.example.org'], ca: caPresets.letsencrypt, limits: { newOrders: { limit: 10, windowMs: HOUR } } },
      { name: 'unlimited', domains: ['b.example.org'], ca: caPresets.letsencrypt },
      // Another server and no limits of its own: that CA has none (the preset goes with letsencrypt only).
      { name: 'private', domains: ['c.example.net'], ca: 'https://acme.internal.example/directory' },
    ]);
  });

  it('none without a config file; an entry without a server is left out; an unknown preset is the config error a run gives', async () => {
    const loaded = await loadConfig(tempDir('certfleet-rate-limits-none-'));
    expect(await certificateRateLimits(loaded.config, undefined)).toEqual([]);
    expect(await configured('certificates:\n  - { name: x, domains: [x.example.com], challenge: { type: http-01, webroot: /w } }\n')).toEqual([]);
    await expect(configured('acme: { server: letsencrypt, rateLimits: letsencrypt-ish }\ncertificates:\n  - { name: x, domains: [x.example.com], challenge: { type: http-01, webroot: /w } }\n')).rejects.toThrow(ConfigError);
  });
});
