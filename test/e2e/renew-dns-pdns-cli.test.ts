/**
 * `certfleet renew` issues from Pebble through the PowerDNS provider: Pebble resolves through a real
 * PowerDNS (test/helpers/pdns.ts), certfleet adds the TXT records through its HTTP API with lego's
 * environment variables (PDNS_API_URL, PDNS_API_KEY) and `provider: powerdns`, a wildcard and its
 * base name at once, then takes them away; and a wrong API key fails that certificate with an
 * error naming the provider, the zone, the record and the status, without printing the key.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import { runCli } from '../helpers/cli.js';
import { startPdns, type RunningPdns } from '../helpers/pdns.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pdns: RunningPdns;
let pebble: RunningPebble;
let dir: string;

beforeAll(async () => {
  pdns = await startPdns({ zones: ['example.test'] });
  pebble = await startPebble({ dnsServer: pdns.server });
  dir = tempDir('certfleet-pdns-e2e-');
  writeFileSync(join(dir, 'ca.pem'), pebble.caBundle);
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
  await pdns?.stop();
});

function writeConfig(name: string, domains: string[]): string {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(
    config,
    stringify({
      stateDir: join(dir, `state-${name}`),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [{ name, domains, challenge: { type: 'dns-01', provider: 'powerdns', server: pdns.server, propagationTimeout: '20s', pollInterval: '200ms' } }],
    }),
  );
  return config;
}

describe('renew with dns-01 through PowerDNS', () => {
  it('issues a wildcard and its base name with lego\'s variables, and removes the records', async () => {
    const config = writeConfig('wild', ['*.wild.example.test', 'wild.example.test']);
    const r = await runCli(['--config', config, 'renew', '--format', 'json'], { env: { PDNS_API_URL: pdns.apiUrl, PDNS_API_KEY: pdns.apiKey }, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RenewRunResult;
    expect(result.certificates.map((c) => [c.name, c.action])).toEqual([['wild', 'renewed']]);
    const cert = parseFileContent('c', readFileSync(join(dir, 'state-wild', 'certificates', 'wild', 'current', 'cert.pem')), []).certificates[0]!.info;
    expect(cert.sans.sort()).toEqual(['*.wild.example.test', 'wild.example.test']);
    expect(await pdns.digTxt('_acme-challenge.wild.example.test')).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(pdns.apiKey);
  });

  it('a wrong API key fails the certificate naming provider, zone, record and HTTP 401, never the key', async () => {
    const config = writeConfig('badkey', ['badkey.example.test']);
    const r = await runCli(['--config', config, 'renew', '--format', 'json'], { env: { PDNS_API_URL: pdns.apiUrl, PDNS_API_KEY: 'wrong-key-value' }, timeoutMs: 90_000 });
    expect(r.code, r.stderr).not.toBe(0);
    const output = r.stdout + r.stderr;
    expect(output).toMatch(/pdns: [^\n]*_acme-challenge\.badkey\.example\.test[^\n]*HTTP 401[^\n]*zone example\.test/);
    expect(output).not.toContain('wrong-key-value');
    expect(await pdns.digTxt('_acme-challenge.badkey.example.test')).toEqual([]);
  });
});
