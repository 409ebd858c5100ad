/**
 * The incident order a CA's list makes natural: `replace --serials-from ca.csv` (fast, sites stay
 * up), then `revoke --serials-from ca.csv --yes` to revoke the old certificates ourselves before
 * the CA's deadline. By then every listed serial is an earlier version: revoke revokes that
 * version, orders nothing, and says it was replaced. Against Pebble (its management API tells
 * Revoked from Valid):
 * - on the file store: the old serial is Revoked, the current one stays Valid and served as is;
 * - on PostgreSQL with hosts [a, b] (agents simulated by `agent --once` with a --root each): while
 *   b has not deployed the replacement (it still serves the old one), the old one is NOT revoked,
 *   exit 1, naming b; once b deployed it, the same command revokes it.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RevokeRunResult } from '../../src/revocation/revoke.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-revoke-earlier-', (parts) => ({ pebble, postgres, dir } = parts));

/** Pebble's management API names a serial without leading zeros; certfleet keeps whole bytes. */
const atPebble = async (serial: string) => (await pebble.certStatus(serial.replace(/^0+/, '')))?.Status;

/** A CA's CSV as an incident notice might have it: a header, colons, upper case. */
function caList(home: string, serials: string[]): string {
  const file = join(home, 'ca-affected.csv');
  const colons = (s: string) => s.toUpperCase().padStart(s.length + (s.length % 2), '0').match(/../g)!.join(':');
  writeFileSync(file, `serial,commonName\n${serials.map((s) => `${colons(s)},web.example.test`).join('\n')}\n`);
  return file;
}

const challenge = () => ({ type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } });

describe('revoke --serials-from after replace, on the file store', () => {
  it('revokes the old serial (an earlier version now) without ordering anything; the current one stays valid', async () => {
    const home = join(dir, 'files');
    const tls = join(home, 'tls');
    const config = join(home, 'certfleet.config.yaml');
    mkdirSync(home, { recursive: true });
    writeFileSync(
      config,
      stringify({
        stateDir: join(home, 'state'),
        acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { acceptTermsOfService: true } },
        certificates: [{ name: 'web', domains: ['web.example.test'], challenge: challenge(), deploy: { fullchain: join(tls, 'web.pem'), key: join(tls, 'web.key'), createDirectories: true } }],
      }),
    );
    const cli = (...args: string[]) => runCli(['--config', config, ...args], { timeoutMs: 90_000 });
    const served = () => new X509Certificate(readFileSync(join(tls, 'web.pem'))).serialNumber.toLowerCase().replace(/^0+/, '');

    const first = await cli('renew', '--format', 'json');
    expect(first.code, first.stderr).toBe(0);
    const old = (JSON.parse(first.stdout) as RenewRunResult).certificates[0]!.serialNumber!;
    const list = caList(home, [old]);
    const replaced = await cli('replace', '--serials-from', list);
    expect(replaced.code, replaced.stderr).toBe(0);
    const current = served();
    expect(current).not.toBe(old.toLowerCase().replace(/^0+/, ''));

    // A dry run says what it would do, and does nothing.
    const dry = await cli('revoke', '--serials-from', list, '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`^web: serial ${old} would be revoked \\(superseded\\): earlier version of web, replaced by 0*${current}$`, 'm'));
    expect(await atPebble(old)).toBe('Valid');

    const r = await cli('revoke', '--serials-from', list, '--yes', '--reason', 'keyCompromise', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RevokeRunResult;
    expect(result.certificates).toEqual([expect.objectContaining({ name: 'web', action: 'revoked', serialNumber: old, earlierVersion: true, replacedBy: { serialNumber: expect.stringMatching(new RegExp(`^0*${current}$`)) } })]);
    expect(result.summary).toMatchObject({ affected: 1, revoked: 1, notRevoked: 0, failed: 0 });
    // Signed with that version's own key (keyCompromise), as for a current certificate.
    expect(await pebble.certStatus(old.replace(/^0+/, ''))).toMatchObject({ Status: 'Revoked', Reason: 1 });
    expect(await atPebble(current)).toBe('Valid');
    expect(served()).toBe(current); // nothing ordered, nothing deployed
    expect(JSON.parse(readFileSync(result.recordPath!, 'utf8'))).toEqual(result);

    // Again: the CA says it already is; the table says which version it was.
    const again = await cli('revoke', '--serials-from', list, '--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^web: serial ${old} was already revoked: earlier version of web, replaced by 0*${current}$`, 'm'));
    // replace keeps skipping it: a list of only replaced serials has nothing to replace.
    const replaceAgain = await cli('replace', '--serials-from', list);
    expect(replaceAgain.code).toBe(2);
    expect(replaceAgain.stderr).toMatch(/every serial selected is of a certificate already replaced/);
    // A serial that is no certificate of ours is still exit 2, before anything.
    const unknown = await cli('revoke', '--serial', 'dead01', '--serials-from', list, '--yes');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/1 serial\(s\) selected match no certificate certfleet manages, current or earlier: dead01/);
  }, 120_000);

  it("keyCompromise of an earlier version on the current certificate's key (reuseKey): not revoked, pointed at revoking the certificate itself", async () => {
    const home = join(dir, 'reused');
    const config = join(home, 'certfleet.config.yaml');
    mkdirSync(home, { recursive: true });
    writeFileSync(
      config,
      stringify({
        stateDir: join(home, 'state'),
        acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { acceptTermsOfService: true } },
        certificates: [{ name: 'api', domains: ['api.example.test'], reuseKey: true, challenge: challenge(), deploy: { fullchain: join(home, 'tls', 'api.pem'), key: join(home, 'tls', 'api.key'), createDirectories: true } }],
      }),
    );
    const cli = (...args: string[]) => runCli(['--config', config, ...args], { timeoutMs: 90_000 });
    const first = await cli('renew', '--format', 'json');
    expect(first.code, first.stderr).toBe(0);
    const old = (JSON.parse(first.stdout) as RenewRunResult).certificates[0]!.serialNumber!;
    const list = caList(home, [old]);
    expect((await cli('replace', '--serials-from', list)).code).toBe(0);

    const r = await cli('revoke', '--serials-from', list, '--yes', '--reason', 'keyCompromise');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^api: serial ${old} NOT revoked \\(earlier version of api, replaced by [0-9a-f]+\\): its key is the key of api's current certificate too \\(reuseKey\\): revoke api itself with keyCompromise`, 'm'));
    expect(await atPebble(old)).toBe('Valid');
    // Another reason revokes it: only keyCompromise makes the CA block the key the current certificate is on.
    const superseded = await cli('revoke', '--serials-from', list, '--yes');
    expect(superseded.code, superseded.stderr).toBe(0);
    expect(await atPebble(old)).toBe('Revoked');
  }, 120_000);
});

describe('revoke --serials-from after replace, on PostgreSQL with hosts', () => {
  it('does not revoke the old version while a host still serves it; once every host deployed the replacement, it does', async () => {
    const database = await postgres.createDatabase('revoke_earlier');
    const home = join(dir, 'fleet');
    mkdirSync(join(home, 'certificates.d'), { recursive: true });
    const deploy = { cert: '/srv/tls/web.pem', key: '/srv/tls/web.key', createDirectories: true };
    writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge: challenge(), hosts: ['a', 'b'], deploy }]));
    const config = join(home, 'certfleet.config.yaml');
    writeFileSync(config, stringify(storeConfig(pebble, dir, join(home, 'state'))));
    const cli = (...args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 90_000 });
    const agent = async (host: string) => {
      const root = join(dir, `root-${host}`);
      mkdirSync(root, { recursive: true });
      const r = await cli('agent', '--once', '--host', host, '--root', root, '--state-dir', join(dir, `state-${host}`));
      expect(r.code, r.stderr + r.stdout).toBe(0);
    };
    const served = (host: string) => new X509Certificate(readFileSync(join(dir, `root-${host}`, 'srv/tls/web.pem'))).serialNumber.toLowerCase().replace(/^0+/, '');
    const current = async () => (await queryDatabase<{ serial: string }>(database, "SELECT v.meta->>'serialNumber' AS serial FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name = 'web'"))[0]!.serial;

    for (const step of [['store', 'migrate'], ['apply'], ['renew']]) {
      const r = await cli(...step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const old = await current();
    await agent('a');
    await agent('b');
    const list = caList(home, [old]);
    // No agent runs during the wait: the replacement is ordered and current, not yet deployed (exit 1, said so).
    const replaced = await cli('replace', '--serials-from', list, '--wait', '1s');
    expect(replaced.code, replaced.stderr).toBe(1);
    const replacement = await current();
    expect(replacement).not.toBe(old);
    await agent('a'); // a deploys the replacement; b still serves the old one

    const held = await cli('revoke', '--serials-from', list, '--yes', '--format', 'json');
    expect(held.code, held.stderr).toBe(1);
    const heldResult = JSON.parse(held.stdout) as RevokeRunResult;
    expect(heldResult.certificates).toEqual([
      expect.objectContaining({ name: 'web', action: 'not-revoked', serialNumber: old, earlierVersion: true, replacedBy: { serialNumber: replacement }, error: expect.stringMatching(/may still serve it \(b still serves it\)/) }),
    ]);
    expect(heldResult.certificates[0]!.hosts?.map((h) => [h.host, h.status, h.version.includes(replacement)])).toEqual([
      ['a', 'deployed', true],
      ['b', 'deployed', false],
    ]);
    expect(await atPebble(old)).toBe('Valid');
    expect(served('b')).toBe(old.replace(/^0+/, ''));
    const [record] = await queryDatabase<{ body: RevokeRunResult }>(database, "SELECT body FROM run_records WHERE kind = 'revocation' ORDER BY id DESC LIMIT 1");
    expect(record!.body.certificates[0]).toMatchObject({ action: 'not-revoked', serialNumber: old, earlierVersion: true });

    await agent('b');
    const done = await cli('revoke', '--serials-from', list, '--yes');
    expect(done.code, done.stderr + done.stdout).toBe(0);
    expect(done.stdout).toMatch(new RegExp(`^web: serial ${old} revoked \\(superseded\\): earlier version of web, replaced by ${replacement}$`, 'm'));
    expect(await atPebble(old)).toBe('Revoked');
    expect(await atPebble(replacement)).toBe('Valid');
    expect(await current()).toBe(replacement); // nothing was ordered
  }, 180_000);
});
