/**
 * `certfleet dns persist-record NAME` through the built CLI, against the local ACME server that
 * follows draft-ietf-acme-dns-persist-02 (its directory advertises issuerDomainNames and
 * accountHashPrefix): without an account it says to register first (exit 2); after `account
 * register` it prints one record per base name, the wildcard's with policy=wildcard, whose hashed
 * accounturi is recomputed here from the stored account key (test/helpers/dns-persist.ts, not
 * certfleet's code), in zone-file form and as JSON.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { hashedUri, thumbprint } from '../helpers/dns-persist.js';
import { startFakeAcme, type FakeAcme } from '../helpers/fake-acme.js';
import { tempDir } from '../helpers/pki.js';
import { startBind, type RunningBind } from '../helpers/bind.js';

function nsupdate(bind: RunningBind, zone: string, name: string, rdata: string): Promise<void> {
  const key = bind.updateKey;
  const script = [`server ${bind.host} ${bind.port}`, `zone ${zone}`, `update add ${name} 60 TXT ${rdata}`, 'send', ''].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile('nsupdate', ['-y', `${key.algorithm}:${key.name}:${key.secret}`], (err, _stdout, stderr) => (err ? reject(new Error(`nsupdate failed: ${stderr}`)) : resolve()));
    child.stdin?.end(script);
  });
}

const PREFIX = 'https://ca.test/account-hash/';
let ca: FakeAcme;
let dir: string;
let config: string;

beforeAll(async () => {
  // No DNS is asked here: the server only prints; the address is never used.
  ca = await startFakeAcme({ dnsPersist: { issuerDomainNames: ['authority.test', 'ca.test'], accountHashPrefix: PREFIX, dnsServer: { host: '127.0.0.1', port: 9 } } });
  dir = tempDir('certfleet-persist-e2e-');
  config = join(dir, 'certfleet.config.yaml');
  writeFileSync(
    config,
    stringify({
      stateDir: join(dir, 'state'),
      acme: { server: ca.directoryUrl, account: { acceptTermsOfService: true } },
      certificates: [
        { name: 'web', domains: ['example.test', '*.example.test', 'www.example.test'], challenge: { type: 'dns-persist-01', policy: 'wildcard', persistUntil: '2030-01-01' } },
      ],
    }),
  );
});

afterAll(async () => {
  await ca?.close();
});

const cli = (...args: string[]) => runCli(['--config', config, ...args]);

describe('certfleet dns persist-record', () => {
  it('says to register the account first, then prints the records with the hashed accounturi', async () => {
    const before = await cli('dns', 'persist-record', 'web');
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('no ACME account for');
    expect(before.stderr).toContain('certfleet account register');

    const registered = await cli('account', 'register', '--format', 'json');
    expect(registered.code, registered.stderr).toBe(0);
    const accountUrl = JSON.parse(registered.stdout).url as string;
    const accountDir = join(dir, 'state', 'accounts', readdirSync(join(dir, 'state', 'accounts'))[0]!);
    const jwk = createPublicKey(createPrivateKey(readFileSync(join(accountDir, 'account.key'), 'utf8'))).export({ format: 'jwk' }) as Record<string, unknown>;
    const key = thumbprint(jwk);

    const json = await cli('dns', 'persist-record', 'web', '--format', 'json');
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ schemaVersion: 1, certificate: 'web', accountUrl, issuerDomainName: 'authority.test', accountUriForm: 'hashed' });
    const until = Date.parse('2030-01-01') / 1000;
    expect(report.records).toEqual([
      { domain: 'example.test', name: '_validation-persist.example.test.', ttl: 3600, type: 'TXT', wildcard: true, value: `authority.test; accounturi=${hashedUri(PREFIX, 'example.test', key, accountUrl)}; policy=wildcard; persistUntil=${until}` },
      { domain: 'www.example.test', name: '_validation-persist.www.example.test.', ttl: 3600, type: 'TXT', wildcard: true, value: `authority.test; accounturi=${hashedUri(PREFIX, 'www.example.test', key, accountUrl)}; policy=wildcard; persistUntil=${until}` },
    ]);

    const zone = await cli('dns', 'persist-record', 'web');
    expect(zone.code, zone.stderr).toBe(0);
    expect(zone.stdout).toContain(`_validation-persist.example.test. 3600 IN TXT "${report.records[0].value}"`);
    expect(zone.stdout).toMatch(/^; dns-persist-01 records for certificate web/);
  });

  it('renew: publishes nothing, checks the record on BIND, and the CA validates it; a missing record fails before the CA is asked', async () => {
    const bind = await startBind({ zones: ['persist.test'] });
    const persistCa = await startFakeAcme({ dnsPersist: { issuerDomainNames: ['authority.test'], accountHashPrefix: PREFIX, dnsServer: { host: bind.host, port: bind.port } } });
    try {
      const renewDir = tempDir('certfleet-persist-renew-e2e-');
      const renewConfig = join(renewDir, 'certfleet.config.yaml');
      const challenge = { type: 'dns-persist-01', server: bind.server, timeout: '2s' };
      writeFileSync(
        renewConfig,
        stringify({
          stateDir: join(renewDir, 'state'),
          acme: { server: persistCa.directoryUrl, account: { acceptTermsOfService: true } },
          certificates: [
            { name: 'shop', domains: ['shop.persist.test'], challenge, deploy: { fullchain: join(renewDir, 'shop.pem'), key: join(renewDir, 'shop.key') } },
            { name: 'bare', domains: ['bare.persist.test'], challenge, deploy: { fullchain: join(renewDir, 'bare.pem'), key: join(renewDir, 'bare.key') } },
          ],
        }),
      );
      const run = (...args: string[]) => runCli(['--config', renewConfig, ...args]);
      const registered = await run('account', 'register');
      expect(registered.code, registered.stderr).toBe(0);
      const printed = JSON.parse((await run('dns', 'persist-record', 'shop', '--format', 'json')).stdout);
      for (const record of printed.records) await nsupdate(bind, 'persist.test', record.name, `"${record.value}"`);

      const shop = await run('renew', 'shop');
      expect(shop.code, shop.stderr).toBe(0);
      expect(persistCa.requests.filter((r) => r.kind === 'chall')).toHaveLength(1);

      const bare = await run('renew', 'bare');
      expect(bare.code).not.toBe(0);
      expect(bare.stderr).toContain(`dns-persist-01: TXT _validation-persist.bare.persist.test. on ${bind.server}: no TXT record`);
      expect(persistCa.requests.filter((r) => r.kind === 'chall')).toHaveLength(1);
    } finally {
      await persistCa.close();
      await bind.stop();
    }
  });

  it('refuses a wildcard name without policy: wildcard at config time', async () => {
    const bad = join(dir, 'bad.config.yaml');
    writeFileSync(bad, stringify({ stateDir: join(dir, 'state'), acme: { server: ca.directoryUrl }, certificates: [{ name: 'w', domains: ['*.example.test'], challenge: { type: 'dns-persist-01' } }] }));
    const result = await runCli(['--config', bad, 'dns', 'persist-record', 'w']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('dns-persist-01 validates it only with policy: wildcard');
  });
});
