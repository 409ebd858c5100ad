/**
 * The PostgreSQL store itself misbehaving under a run, with real processes (bin/certfleet), a real
 * PostgreSQL and a real Pebble: the server restarted while a run waits in its deploy command, a
 * runner paused (SIGSTOP) past its lease while another takes the certificate over, and a wrong
 * encryption key configured after issuance.
 *
 * A runner is stopped at a known point by a gate (a hook the test holds; postgres-fleet.ts). Every
 * wait is for something observable, never a sleep.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { endAll, waitUntil } from '../helpers/cli-process.js';
import { FaultFleet, keyMatches, pebbleOrders, serialOf } from '../helpers/postgres-fleet.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let root: string;
const hooks: Array<number | undefined> = [];

beforeAll(async () => {
  [pebble, postgres] = await Promise.all([startPebble(), startPostgres()]);
  root = tempDir('certfleet-pg-store-faults-');
}, 60_000);

afterEach(() => {
  endAll();
  for (const pid of hooks.splice(0)) FaultFleet.endHook(pid);
});

afterAll(async () => {
  await postgres?.stop();
  await pebble?.stop();
});

const json = (stdout: string) => JSON.parse(stdout) as RenewRunResult;
/** A Node stack frame: what a person must never be shown for a failure they can understand. */
const STACK = /^\s+at .+\(?.+:\d+:\d+\)?$/m;

/** Every version row is whole (certificate and encrypted key), and current names one of them. */
async function expectNoHalfWrittenVersion(fleet: FaultFleet): Promise<void> {
  const versions = await fleet.versions();
  for (const v of versions) {
    expect(v.cert_pem, v.id).toMatch(/BEGIN CERTIFICATE/);
    expect(keyMatches(v.cert_pem!, fleet.keyOf(v)), v.id).toBe(true);
  }
  const current = (await fleet.certificateRow())?.current_version;
  if (current !== null && current !== undefined) expect(versions.map((v) => v.id)).toContain(current);
}

describe('renew on the PostgreSQL store: the store misbehaving under a run', () => {
  it('PostgreSQL restarted while a run waits in its deploy command: the run finishes or fails naming the database, nothing is half-written, the next run completes', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'restart');
    const config = fleet.config({ deployCommands: [[fleet.gateScript, 'deploy']] });
    fleet.hold('deploy');
    const a = fleet.start('a', config, ['renew', '--format', 'json']);
    await waitUntil('runner a reached its deploy command', () => fleet.reached('deploy', 'a') !== undefined, 30_000, () => a.output());
    hooks.push(fleet.reached('deploy', 'a'));
    const pid = postgres.pid;
    await postgres.restart();
    expect(postgres.pid).not.toBe(pid);
    fleet.open('deploy');

    const r = await a.exit;
    expect(r.signal).toBeNull();
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toMatch(/internal error|report a bug/i);
    if (r.code === 0) {
      expect(json(r.stdout).certificates[0]).toMatchObject({ name: 'www', action: 'renewed' });
    } else {
      // A failure a person can act on: an exit code from the table, the database named.
      expect([1, 2, 3]).toContain(r.code);
      expect(r.stdout + r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${postgres.port}/restart`));
    }
    await expectNoHalfWrittenVersion(fleet);

    await waitUntil('runner a\'s lease is free', () => fleet.leaseFree());
    const next = await fleet.run('b', config, ['renew', '--format', 'json']);
    expect(next.code, next.stderr).toBe(0);
    expect(['renewed', 'deployed', 'not-due']).toContain(json(next.stdout).certificates[0]?.action ?? 'not-due');
    await expectNoHalfWrittenVersion(fleet);
    const row = await fleet.certificateRow();
    const current = (await fleet.versions()).find((v) => v.id === row?.current_version);
    expect(current).toBeDefined();
    expect(row?.state.deploying).toBeUndefined();
    expect(readFileSync(fleet.deployed.key, 'utf8')).toBe(fleet.keyOf(current!));
    expect(serialOf(readFileSync(fleet.deployed.fullchain, 'utf8'))).toBe(serialOf(current!.cert_pem!));
  }, 60_000);

  it('a runner paused past its lease: another takes over and completes; resumed, its late write is refused and the new owner\'s version stays current and deployed', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'paused');
    const config = fleet.config({ pre: [[fleet.gateScript, 'pre']] });
    fleet.hold('pre');
    const a = fleet.start('a', config, ['renew', '--format', 'json']);
    await waitUntil('runner a reached its pre hook', () => fleet.reached('pre', 'a') !== undefined, 30_000, () => a.output());
    hooks.push(fleet.reached('pre', 'a'));
    a.kill('SIGSTOP');
    // Its pre hook ends now; runner a, paused, cannot go on nor renew its lease, which expires.
    fleet.open('pre');
    await waitUntil('paused runner a\'s lease expired', () => fleet.leaseFree());

    const b = await fleet.run('b', config, ['renew', '--format', 'json']);
    expect(b.code, b.stderr).toBe(0);
    const taken = json(b.stdout).certificates[0]!;
    expect(taken).toMatchObject({ name: 'www', action: 'renewed' });
    const [version, ...others] = await fleet.versions();
    expect(others).toHaveLength(0);
    expect((await fleet.certificateRow())?.current_version).toBe(version!.id);

    const lateOrders = pebbleOrders(pebble);
    a.kill('SIGCONT');
    const late = await a.exit;
    expect(late.signal).toBeNull();
    expect(late.code).toBe(1);
    expect(late.stderr).not.toMatch(STACK);
    const refused = json(late.stdout).certificates[0]!;
    expect(refused).toMatchObject({ name: 'www', action: 'failed' });
    expect(refused.error).toMatch(/lease was taken over/);

    // Runner b's version is the only one, current, and the one deployed.
    expect((await fleet.versions()).map((v) => v.id)).toEqual([version!.id]);
    expect((await fleet.certificateRow())?.current_version).toBe(version!.id);
    expect(serialOf(readFileSync(fleet.deployed.fullchain, 'utf8'))).toBe(taken.serialNumber);
    expect(readFileSync(fleet.deployed.key, 'utf8')).toBe(fleet.keyOf(version!));
    // Resumed, runner a learns at its first lease renewal, before it orders, that the lease is gone:
    // an order then is a certificate nobody can store (its key is thrown away) and a CA rate-limit
    // unit spent for nothing.
    expect(late.stderr).toMatch(/the lease could not be renewed: .*taken over/);
    expect(lateOrders.finalized(), 'runner a ordered a certificate after it knew its lease was lost').toEqual([]);
  }, 60_000);

  it('a wrong encryption key after issuance: renew, status and deploy each fail naming the key id the rows need, and change nothing in the database', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'wrongkey');
    const first = await fleet.run('a', fleet.config(), ['renew', '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const deployed = readFileSync(fleet.deployed.fullchain, 'utf8');

    const wrongKey = join(fleet.dir, 'other.key');
    writeFileSync(wrongKey, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const config = fleet.config({ keyFile: wrongKey }, 'wrong-key.yaml');
    const needed = FaultFleet.keyIdOf(fleet.keyFile);
    const before = await fleet.dump();
    expect(before).toMatch(/^versions: .*"key_id":"/m);
    expect(before).toMatch(/^accounts: .*"key_id":"/m);
    const orders = pebbleOrders(pebble);

    for (const args of [['renew'], ['renew', '--force'], ['status'], ['deploy', 'www']]) {
      const r = await fleet.run('b', config, args);
      const said = `certfleet ${args.join(' ')} (exit ${r.code}):\n${r.stdout}${r.stderr}`;
      // A config error (exit 2), as any wrong setting: the key file is one.
      expect(r.code, said).toBe(2);
      expect(r.stdout + r.stderr, said).toContain(needed);
      expect(r.stderr, said).not.toMatch(STACK);
      expect(r.stderr, said).not.toMatch(/internal error|report a bug/i);
    }
    // Not a row changed in any table: versions, accounts, the certificate's state, the run records.
    expect(await fleet.dump()).toBe(before);
    expect(orders.finalized()).toHaveLength(0);
    expect(readFileSync(fleet.deployed.fullchain, 'utf8')).toBe(deployed);
  }, 60_000);
});
