/**
 * `replace` and `revoke` across a fleet, against a real PostgreSQL and Pebble, with two agents
 * (hosts a and b, each a long-running `certfleet agent` with its own --root and state directory):
 * - `replace web` orders once, waits for both agents to confirm the new version deployed (woken by
 *   the `certfleet_deployed` notification), prints each host's report as it comes, and the
 *   replacement record keeps both hosts' timings; with --format json the reports are JSON lines on
 *   stdout before the result;
 * - `revoke web --yes` with b's agent stopped: a confirms, b is "not reporting" at the end of
 *   --wait, the old certificate is NOT revoked at Pebble (its management API says Valid), exit 1;
 * - meanwhile a revoke of `api` (no hosts: replaced and revoked at once, as before) carries web's
 *   pending revocation in its record;
 * - b's agent started again: the same `revoke` orders nothing new, waits for b, and revokes the
 *   certificate the first run replaced (not the replacement), exit 0.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { HostConfirmation } from '../../src/fleet/await-deployed.js';
import type { DrillResult } from '../../src/revocation/drill.js';
import type { RevokeRunResult } from '../../src/revocation/revoke.js';
import { runCli } from '../helpers/cli.js';
import { queryDatabase, storeConfig, useStoreAndCa } from '../helpers/store-and-ca.js';
import { startCli, waitUntil, type CliProcess } from '../helpers/cli-process.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-revoke-fleet-', (parts) => ({ pebble, postgres, dir } = parts));

// Absolute paths, under each agent's --root: the runner deploys nothing itself.
const deploy = { cert: '/srv/tls/web.pem', fullchain: '/srv/tls/web-fullchain.pem', key: '/srv/tls/web.key', createDirectories: true };

function configDir(): string {
  const home = join(dir, 'fleet');
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const challenge = { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } };
  writeFileSync(join(home, 'certificates.d', 'web.yaml'), stringify([{ name: 'web', domains: ['web.example.test'], challenge, hosts: ['a', 'b'], deploy }]));
  // No hosts: the runner deploys it itself, as before.
  const local = { fullchain: join(home, 'tls', 'api.pem'), key: join(home, 'tls', 'api.key'), createDirectories: true };
  writeFileSync(join(home, 'certificates.d', 'api.yaml'), stringify([{ name: 'api', domains: ['api.example.test'], challenge, deploy: local }]));
  const config = storeConfig(pebble, dir, join(home, 'state'));
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  return join(home, 'certfleet.config.yaml');
}

const query = queryDatabase;

/** Pebble's management API names a serial without leading zeros; certfleet writes whole bytes ("068c…"). */
const atPebble = (serial: string) => serial.replace(/^0+/, '');

describe('replace and revoke across the fleet', () => {
  it('waits for every host, revokes only once all confirmed, and picks a pending revocation up again', async () => {
    const database = await postgres.createDatabase('revoke_fleet');
    const config = configDir();
    const env = { CERTFLEET_TEST_DB: database };
    const cli = (args: string[]) => runCli(['--config', config, ...args], { env, timeoutMs: 120_000 });
    expect((await cli(['store', 'migrate'])).code).toBe(0);
    expect((await cli(['apply'])).code).toBe(0);
    expect((await cli(['renew'])).code).toBe(0);

    const current = async () => {
      const [row] = await query<{ id: string; serial: string }>(database, "SELECT v.id, v.meta->>'serialNumber' AS serial FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name = 'web'");
      return { version: row!.id, serial: row!.serial };
    };
    const deployedOn = async (host: string) =>
      (await query<{ version: string; status: string }>(database, `SELECT version, status FROM deployments WHERE certificate = 'web' AND host = '${host}'`))[0];
    const agents = new Map<string, CliProcess>();
    const startAgent = (host: string) => {
      const root = join(dir, `root-${host}`);
      mkdirSync(root, { recursive: true });
      agents.set(host, startCli(['--config', config, 'agent', '--host', host, '--root', root, '--state-dir', join(dir, `state-${host}`), '--interval', '1h'], { env }));
    };
    const detail = () => [...agents].map(([h, a]) => `--- agent ${h}\n${a.output()}`).join('\n');
    const bothDeployed = async (version: string) => {
      for (const h of ['a', 'b']) await waitUntil(`${h} deployed ${version}`, async () => (await deployedOn(h))?.version === version, 30_000, detail);
    };

    startAgent('a');
    startAgent('b');
    const v1 = await current();
    await bothDeployed(v1.version);

    // replace: waits for both hosts, says each one's report as it comes (stderr), records their timings.
    const replaced = await cli(['replace', 'web', '--wait', '2m']);
    expect(replaced.code, replaced.stderr + detail()).toBe(0);
    const v2 = await current();
    expect(v2.version).not.toBe(v1.version);
    for (const h of ['a', 'b']) {
      expect(replaced.stderr).toMatch(new RegExp(`^web: ${h} deployed ${v2.version} \\(\\d+\\.\\d s\\)$`, 'm'));
      expect(await deployedOn(h)).toEqual({ version: v2.version, status: 'deployed' });
    }
    expect(replaced.stdout).toMatch(/^web: replaced after .*, deployed on every host; hosts: a \d+\.\d s, b \d+\.\d s$/m);
    const [record] = await query<{ body: DrillResult }>(database, "SELECT body FROM run_records WHERE kind = 'replacement' ORDER BY id DESC LIMIT 1");
    const web = record!.body.certificates.find((c) => c.name === 'web')!;
    expect(web.hosts?.map((h) => [h.host, h.status, h.version])).toEqual([
      ['a', 'deployed', v2.version],
      ['b', 'deployed', v2.version],
    ]);
    for (const h of web.hosts!) expect(h.seconds).toBeGreaterThan(0);
    expect(web.secondsToReplace).toBe(Math.max(...web.hosts!.map((h) => h.seconds!)));

    // JSON lines: one object per host report, then the result on one line.
    const json = await cli(['replace', 'web', '--wait', '2m', '--format', 'json']);
    expect(json.code, json.stderr + detail()).toBe(0);
    const v3 = await current();
    const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(3);
    expect(lines.slice(0, 2).map((l) => [l.certificate, l.host, l.status, l.version]).sort()).toEqual([
      ['web', 'a', 'deployed', v3.version],
      ['web', 'b', 'deployed', v3.version],
    ]);
    for (const l of lines.slice(0, 2)) expect(typeof l.seconds).toBe('number');
    expect((lines[2] as unknown as DrillResult).summary).toMatchObject({ affected: 1, replaced: 1, failed: 0 });

    // revoke with b's agent stopped: a confirms, b does not; v3 stays valid at the CA.
    agents.get('b')!.kill('SIGTERM');
    expect((await agents.get('b')!.exit).code).toBe(0);
    const pending = await cli(['revoke', 'web', '--yes', '--wait', '15s', '--format', 'json']);
    expect(pending.code, pending.stderr + detail()).toBe(1);
    const v4 = await current();
    const pendingLines = pending.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(pendingLines.slice(0, -1)).toEqual([{ certificate: 'web', host: 'a', status: 'deployed', version: v4.version, seconds: expect.any(Number) }]);
    const first = pendingLines.at(-1) as unknown as RevokeRunResult;
    expect(first.certificates).toEqual([
      expect.objectContaining({
        name: 'web',
        action: 'not-revoked',
        serialNumber: v3.serial,
        replacedBy: expect.objectContaining({ serialNumber: v4.serial }),
        awaiting: { version: v4.version, oldVersion: v3.version },
        error: expect.stringMatching(/not confirmed deployed on every host \(b not reporting\)/),
      }),
    ]);
    expect(first.certificates[0]!.hosts).toEqual([
      { host: 'a', status: 'deployed', version: v4.version, seconds: expect.any(Number) },
      { host: 'b', status: 'not-reporting', version: v4.version, detail: expect.any(String) },
    ] satisfies Array<Partial<HostConfirmation>>);
    expect((await pebble.certStatus(atPebble(v3.serial)))?.Status).toBe('Valid');

    // Another certificate's revoke in between: no hosts, so as before; web's pending revocation is carried along.
    const api = await cli(['revoke', 'api', '--yes', '--wait', '5s', '--format', 'json']);
    expect(api.code, api.stderr).toBe(0);
    const apiResult = JSON.parse(api.stdout) as RevokeRunResult;
    expect(apiResult.certificates).toEqual([expect.objectContaining({ name: 'api', action: 'revoked' })]);
    expect(apiResult.certificates[0]!.hosts).toBeUndefined();
    expect(apiResult.stillAwaiting).toEqual([{ name: 'web', serialNumber: v3.serial, awaiting: { version: v4.version, oldVersion: v3.version } }]);

    // b comes back: the rerun orders nothing, waits for b, and revokes v3 (what v4 replaced), not v4.
    startAgent('b');
    const resumed = await cli(['revoke', 'web', '--yes', '--wait', '2m']);
    expect(resumed.code, resumed.stderr + resumed.stdout + detail()).toBe(0);
    expect((await current()).version).toBe(v4.version);
    expect(resumed.stdout).toMatch(new RegExp(`^web: serial ${v3.serial} revoked \\(superseded\\), replaced by ${v4.serial}; hosts: a \\d+\\.\\d s, b \\d+\\.\\d s$`, 'im'));
    expect((await pebble.certStatus(atPebble(v3.serial)))?.Status).toBe('Revoked');
    expect((await pebble.certStatus(atPebble(v4.serial)))?.Status).toBe('Valid');
    const [revocation] = await query<{ body: RevokeRunResult }>(database, "SELECT body FROM run_records WHERE kind = 'revocation' ORDER BY id DESC LIMIT 1");
    expect(revocation!.body.certificates[0]).toMatchObject({ action: 'revoked', serialNumber: v3.serial });
    expect(revocation!.body.certificates[0]!.hosts?.map((h) => [h.host, h.status])).toEqual([
      ['a', 'deployed'],
      ['b', 'deployed'],
    ]);

    for (const a of agents.values()) a.kill('SIGTERM');
    await Promise.all([...agents.values()].map((a) => a.exit));
  }, 240_000);
});
