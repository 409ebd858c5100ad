/**
 * Every challenge type through one `certfleet renew`, against Pebble resolving names through a
 * real BIND: dns-01 by RFC 2136 with TSIG (a wildcard and its base name), dns-01 by the shipped
 * exec hook (examples/renew/dns-hook.sh, which runs nsupdate), tls-alpn-01 and http-01 standalone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import { startBind, type RunningBind } from '../helpers/bind.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let bind: RunningBind;
let pebble: RunningPebble;
let dir: string;

beforeAll(async () => {
  bind = await startBind({ zones: ['example.test'] });
  pebble = await startPebble({ dnsServer: bind.server });
  dir = tempDir('certfleet-challenges-e2e-');
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
  await bind?.stop();
});

describe('renew with every challenge type', () => {
  it('issues through dns-01 (RFC 2136 + TSIG, exec hook), tls-alpn-01 and http-01 standalone, and cleans up', async () => {
    const key = bind.updateKey;
    const keyFile = join(dir, 'tsig.key');
    writeFileSync(keyFile, `key "${key.name}" { algorithm ${key.algorithm}; secret "${key.secret}"; };\n`, { mode: 0o600 });
    const config = join(dir, 'certfleet.config.yaml');
    writeFileSync(
      config,
      stringify({
        stateDir: join(dir, 'state'),
        acme: { server: pebble.directoryUrl, caBundle: join(dir, 'ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
        certificates: [
          {
            name: 'wild',
            domains: ['*.wild.example.test', 'wild.example.test'],
            challenge: { type: 'dns-01', provider: 'rfc2136', server: bind.server, tsig: { name: key.name, algorithm: key.algorithm, secretEnv: 'TSIG_SECRET' }, propagationTimeout: '20s', pollInterval: '200ms' },
          },
          {
            name: 'hook',
            domains: ['hook.example.test'],
            challenge: { type: 'dns-01', provider: 'exec', command: [join(repoRoot, 'examples', 'renew', 'dns-hook.sh')], server: bind.server, propagationTimeout: '20s', pollInterval: '200ms' },
          },
          { name: 'alpn', domains: ['alpn.example.test'], challenge: { type: 'tls-alpn-01', port: pebble.tlsPort, address: '127.0.0.1' } },
          { name: 'plain', domains: ['plain.example.test'], challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } } },
        ],
      }),
    );
    writeFileSync(join(dir, 'ca.pem'), pebble.caBundle);
    const r = await runCli(['--config', config, 'renew', '--format', 'json'], {
      env: { TSIG_SECRET: key.secret, DNS_SERVER: `${bind.host} ${bind.port}`, TSIG_KEY_FILE: keyFile },
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RenewRunResult;
    expect(result.certificates.map((c) => [c.name, c.action])).toEqual([
      ['wild', 'renewed'],
      ['hook', 'renewed'],
      ['alpn', 'renewed'],
      ['plain', 'renewed'],
    ]);
    const stored = (name: string) =>
      parseFileContent('c', readFileSync(join(dir, 'state', 'certificates', name, 'current', 'cert.pem')), []).certificates[0]!.info;
    expect(stored('wild').sans.sort()).toEqual(['*.wild.example.test', 'wild.example.test']);
    expect(stored('alpn').sans).toEqual(['alpn.example.test']);
    // The challenge records are gone again.
    expect(await bind.txt('_acme-challenge.wild.example.test')).toEqual([]);
    expect(await bind.txt('_acme-challenge.hook.example.test')).toEqual([]);
    // Secrets never reach the output.
    expect(r.stdout + r.stderr).not.toContain(key.secret);
  });
});
