/**
 * `certfleet drill` and `certfleet revoke` end to end against real parts: Pebble as the CA (its
 * management API tells whether a serial is revoked), a real nginx serving two sites from deployed
 * files and the http-01 webroot. A drill replaces and measures without revoking; a revocation
 * replaces first, revokes only what was replaced, and leaves a certificate whose replacement
 * failed valid and served.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import type { DrillResult } from '../../src/revocation/drill.js';
import type { RevokeRunResult } from '../../src/revocation/revoke.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { freeTcpPort, startNginxWith, type RunningNginx } from '../helpers/nginx.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { issue, tempDir, writeFile } from '../helpers/pki.js';
import { servedSerial, settledSerial } from '../helpers/served.js';

let pebble: RunningPebble;
let nginx: RunningNginx;
let dir: string;
let tlsPort: number;
let configPath: string;
const sites = ['www', 'api'] as const;
type Site = (typeof sites)[number];
const sni = (site: Site) => `${site}.example.test`;
const tls = () => join(dir, 'tls');

/**
 * `broken` gives a site a pre command that fails, so its replacement fails before anything is
 * ordered or deployed. (A webroot nginx does not serve would not do: the CA reuses the
 * authorization it validated minutes ago. A failing deploy command would not do either: the other
 * site's reload of the same nginx could pick up the files in the moment before they are put back.)
 */
function writeConfig(broken?: Site): void {
  const config = {
    stateDir: join(dir, 'state'),
    acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
    certificates: sites.map((site) => ({
      name: site,
      domains: [sni(site)],
      challenge: { type: 'http-01', webroot: join(dir, 'webroot') },
      // api keeps its key across renewals: a keyCompromise revocation must still give it a new one.
      ...(site === 'api' ? { reuseKey: true } : {}),
      ...(site === broken ? { pre: [['sh', '-c', 'echo change freeze in force >&2; exit 3']] } : {}),
      deploy: { fullchain: join(tls(), `${site}.fullchain.pem`), key: join(tls(), `${site}.key`), commands: [nginx.reloadCommand] },
      verify: [`127.0.0.1:${tlsPort},sni=${sni(site)}`],
      verifyTimeout: '5s',
    })),
  };
  writeFileSync(configPath, stringify(config));
}

const cli = (...args: string[]) => runCli(['--config', configPath, ...args], { timeoutMs: 90_000 });

async function json<T>(args: string[], expectedCode: number): Promise<T> {
  const r = await cli(...args, '--format', 'json');
  expect(r.code, r.stderr).toBe(expectedCode);
  return JSON.parse(r.stdout) as T;
}

/** SHA-256 of the public key in a site's deployed key file. */
function deployedKey(site: Site): string {
  const print = parseFileContent('key', readFileSync(join(tls(), `${site}.key`)), []).keys[0]?.publicKeyFingerprintSha256;
  if (!print) throw new Error(`no readable key in ${site}.key`);
  return print;
}

const served = (site: Site) => servedSerial(tlsPort, sni(site));
const pebbleStatus = async (serial: string) => (await pebble.certStatus(serial))?.Status;

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-revocation-e2e-');
  chmodSync(dir, 0o755); // nginx's workers read the webroot
  mkdirSync(join(dir, 'webroot'), { mode: 0o755 });
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  for (const site of sites) {
    const before = await issue({ commonName: sni(site), sans: [sni(site)] });
    writeFile(join(tls(), `${site}.fullchain.pem`), before.certPem);
    writeFile(join(tls(), `${site}.key`), before.keyPem, 0o600);
  }
  tlsPort = await freeTcpPort();
  const tlsServers = sites
    .map(
      (site) => `    server {
        listen 127.0.0.1:${tlsPort} ssl;
        server_name ${sni(site)};
        ssl_certificate ${join(tls(), `${site}.fullchain.pem`)};
        ssl_certificate_key ${join(tls(), `${site}.key`)};
    }`,
    )
    .join('\n');
  nginx = await startNginxWith(
    `    server {
        listen 127.0.0.1:${pebble.httpPort};
        root ${join(dir, 'webroot')};
        location /.well-known/acme-challenge/ { default_type text/plain; }
    }
${tlsServers}`,
    [pebble.httpPort, tlsPort],
  );
  configPath = join(dir, 'certfleet.config.yaml');
  writeConfig();
  const first = await json<RenewRunResult>(['renew'], 0);
  expect(first.certificates.map((c) => c.action)).toEqual(['renewed', 'renewed']);
  // Until nginx's old worker has drained, a handshake may still meet the self-signed pair.
  for (const c of first.certificates) expect(await settledSerial(tlsPort, sni(c.name as Site), c.serialNumber!)).toBe(c.serialNumber);
}, 90_000);

afterAll(async () => {
  await nginx?.stop();
  await pebble?.stop();
});

describe('certfleet drill', () => {
  it('replaces every certificate, confirms each is served, measures, revokes nothing, and report reads it', async () => {
    const before = { www: await served('www'), api: await served('api') };
    const drill = await json<DrillResult>(['drill'], 0);
    expect(drill.schemaVersion).toBe(1);
    expect(drill.summary).toMatchObject({ affected: 2, replaced: 2, failed: 0 });
    for (const c of drill.certificates) {
      const site = c.name as Site;
      expect(c).toMatchObject({ automated: true, serialNumber: before[site], verifiedServed: true });
      expect(c.secondsToReplace).toBeGreaterThan(0);
      expect(c.secondsToReplace).toBeLessThan(60);
      expect(c.replacedBy!.serialNumber).not.toBe(before[site]);
      expect(await settledSerial(tlsPort, sni(site), c.replacedBy!.serialNumber)).toBe(c.replacedBy!.serialNumber);
      // A drill is an early renewal, not a revocation.
      expect(await pebbleStatus(before[site])).toBe('Valid');
    }
    expect(drill.summary.withinDeadlines).toEqual([
      { id: 'revoke-24h', hours: 24, share: 1 },
      { id: 'revoke-5d', hours: 120, share: 1 },
    ]);
    expect(drill.blastRadius).toMatchObject({ certificates: 2, names: 2, byHost: [{ key: 'api.example.test', count: 1 }, { key: 'www.example.test', count: 1 }] });
    const latest = JSON.parse(readFileSync(join(dir, 'state', 'drills', 'latest.json'), 'utf8')) as DrillResult;
    expect(latest).toEqual(drill);
    expect(existsSync(drill.recordPath)).toBe(true);

    // The report's revocation readiness is now measured, not assumed.
    const inventoryFile = join(dir, 'inventory.json');
    const inv = await runCli(['inventory', tls(), '--format', 'json', '--output', inventoryFile, '--fail-on', 'never']);
    expect(inv.code, inv.stderr).toBe(0);
    const report = JSON.parse((await cli('report', '--inventory', inventoryFile, '--format', 'json')).stdout);
    expect(report.revocation.drill).toMatchObject({ startedAt: drill.startedAt, certificates: 2 });
  });

  it('says what it could not replace, exits 1, and the old certificate stays served', async () => {
    writeConfig('api');
    try {
      const before = await served('api');
      const drill = await json<DrillResult>(['drill', 'api'], 1);
      expect(drill.summary).toMatchObject({ affected: 1, replaced: 0, failed: 1 });
      expect(drill.certificates[0]).toMatchObject({ name: 'api', secondsToReplace: null, error: expect.stringMatching(/change freeze in force/) });
      expect(drill.summary.withinDeadlines.map((d) => d.share)).toEqual([0, 0]);
      expect(await served('api')).toBe(before);
    } finally {
      writeConfig();
    }
  });

  it('an empty selection is a usage error', async () => {
    const r = await cli('drill', '--domain', 'nowhere.test');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no managed certificate matches/);
  });
});

describe('certfleet replace', () => {
  it('replaces what a CA\'s list of serials names, records it apart from drills, and needs a selection', async () => {
    const before = { www: await served('www'), api: await served('api') };
    const lastDrill = readFileSync(join(dir, 'state', 'drills', 'latest.json'), 'utf8');
    // As a CA's CSV export might have it: a header, colons, upper case, a comment.
    const colons = before.api.toUpperCase().padStart(before.api.length + (before.api.length % 2), '0').match(/../g)!.join(':');
    const list = join(dir, 'affected-serials.csv');
    writeFileSync(list, `serial,commonName\n# from the CA's incident notice\n${colons},${sni('api')}\n`);
    const look = await cli('replace', '--serials-from', list, '--dry-run');
    expect(look.code, look.stderr).toBe(0);
    expect(look.stdout).toContain(`api: would replace serial ${before.api}`);
    expect(look.stdout).toMatch(/dry run: 1 certificate\(s\) would be replaced; nothing was changed/);
    expect(await served('api')).toBe(before.api);
    const r = await json<DrillResult>(['replace', '--serials-from', list], 0);
    expect(r.purpose).toBe('incident');
    expect(r.certificates.map((c) => [c.name, c.serialNumber])).toEqual([['api', before.api]]);
    const replacement = r.certificates[0]!.replacedBy!.serialNumber;
    expect(await settledSerial(tlsPort, sni('api'), replacement)).toBe(replacement);
    expect(await served('www')).toBe(before.www);
    expect(await pebbleStatus(before.api)).toBe('Valid'); // revoking is the CA's part
    expect(r.recordPath).toContain(join('state', 'replacements'));
    expect(readFileSync(join(dir, 'state', 'drills', 'latest.json'), 'utf8')).toBe(lastDrill);

    const none = await cli('replace');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/say which certificates to replace/);
    writeFileSync(list, `${colons}\nnot-a-serial\n`);
    const bad = await cli('replace', '--serials-from', list);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${list}:2: "not-a-serial" is not a serial number`);
  });
});

describe('certfleet revoke', () => {
  it('refuses without --yes or without a selection, and a dry run changes nothing', async () => {
    const noYes = await cli('revoke', '--all');
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/cannot be undone: add --yes/);
    const noSelection = await cli('revoke', '--yes');
    expect(noSelection.code).toBe(2);
    expect(noSelection.stderr).toMatch(/say which certificates to revoke/);

    const www = await served('www');
    const dry = await json<RevokeRunResult>(['revoke', '--all', '--dry-run'], 0);
    expect(dry.certificates.map((c) => [c.name, c.action])).toEqual([
      ['www', 'would-revoke'],
      ['api', 'would-revoke'],
    ]);
    expect(await served('www')).toBe(www);
    expect(await pebbleStatus(www)).toBe('Valid');
    expect(existsSync(join(dir, 'state', 'revocations'))).toBe(false);
  });

  it('replaces first, revokes only what was replaced; a failed replacement stays valid and served', async () => {
    const before = { www: await served('www'), api: await served('api') };
    writeConfig('api');
    let result: RevokeRunResult;
    try {
      result = await json<RevokeRunResult>(['revoke', '--all', '--yes', '--reason', 'superseded'], 1);
    } finally {
      writeConfig();
    }
    const www = result.certificates.find((c) => c.name === 'www')!;
    const api = result.certificates.find((c) => c.name === 'api')!;
    expect(www).toMatchObject({ action: 'revoked', serialNumber: before.www });
    expect(await pebbleStatus(before.www)).toBe('Revoked');
    expect(await settledSerial(tlsPort, sni('www'), www.replacedBy!.serialNumber)).toBe(www.replacedBy!.serialNumber);
    expect(await pebbleStatus(www.replacedBy!.serialNumber)).toBe('Valid');

    expect(api).toMatchObject({ action: 'not-revoked', serialNumber: before.api, error: expect.stringMatching(/replacement failed, so it stays valid and in service/) });
    expect(await pebbleStatus(before.api)).toBe('Valid');
    expect(await served('api')).toBe(before.api);
    expect(result.summary).toMatchObject({ affected: 2, revoked: 1, notRevoked: 1, failed: 0 });
    expect(JSON.parse(readFileSync(result.recordPath!, 'utf8'))).toEqual(result);
  });

  it('keyCompromise is signed with the certificate key; --no-replace revokes what is served as is', async () => {
    const api = await served('api');
    const oldKey = deployedKey('api');
    const keyed = await json<RevokeRunResult>(['revoke', 'api', '--yes', '--reason', 'keyCompromise'], 0);
    expect(keyed.certificates[0]).toMatchObject({ name: 'api', action: 'revoked', serialNumber: api });
    const status = await pebble.certStatus(api);
    expect(status?.Status).toBe('Revoked');
    expect(status?.Reason).toBe(1); // RFC 5280 keyCompromise
    // reuseKey is set, but the replacement of a compromised key is on a new key.
    const newSerial = keyed.certificates[0]!.replacedBy!.serialNumber;
    expect(await settledSerial(tlsPort, sni('api'), newSerial)).toBe(newSerial);
    expect(deployedKey('api')).not.toBe(oldKey);
    // ...and every earlier, still valid certificate on the compromised key goes too: the first
    // issuance, the drill's and the incident replacement's all kept that key (reuseKey).
    const earlier = keyed.certificates[0]!.alsoRevoked ?? [];
    expect(earlier).toHaveLength(2);
    for (const serial of earlier) expect(await pebble.certStatus(serial)).toMatchObject({ Status: 'Revoked', Reason: 1 });
    expect(await pebbleStatus(newSerial)).toBe('Valid');

    const www = await served('www');
    const direct = await json<RevokeRunResult>(['revoke', '--serial', www, '--no-replace', '--yes', '--reason', 'cessationOfOperation'], 0);
    expect(direct.certificates).toEqual([expect.objectContaining({ name: 'www', action: 'revoked', serialNumber: www })]);
    expect(direct.certificates[0]!.replacedBy).toBeUndefined();
    expect(await pebbleStatus(www)).toBe('Revoked');
    expect(await served('www')).toBe(www); // nothing was redeployed

    // Revoking it again is not an error: the CA says it already is.
    const again = await json<RevokeRunResult>(['revoke', 'www', '--no-replace', '--yes'], 0);
    expect(again.certificates[0]!.action).toBe('already-revoked');
  });
});
