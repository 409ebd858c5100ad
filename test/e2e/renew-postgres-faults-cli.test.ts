/**
 * Runners that race or die, on the PostgreSQL store, with real processes (bin/certfleet), a real
 * PostgreSQL and a real Pebble: two runners started together on one due certificate (one orders,
 * the other leaves it to that one), a runner SIGKILLed after taking the lease (the next runner
 * takes over once the lease expires and orders once), and one SIGKILLed in the middle of its
 * deployment (the next finishes that deployment without ordering again).
 *
 * A runner is stopped at a known point by a gate: a hook that records its pid and waits while the
 * test holds the gate. Every wait is for something observable (a gate reached, a lease expired in
 * the database, a process exited), never a sleep.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { endAll, waitUntil } from '../helpers/cli-process.js';
import { pebbleOrders, FaultFleet, keyMatches, serialOf } from '../helpers/postgres-fleet.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let root: string;
const hooks: Array<number | undefined> = [];

beforeAll(async () => {
  [pebble, postgres] = await Promise.all([startPebble(), startPostgres()]);
  root = tempDir('certfleet-pg-faults-');
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

describe('renew on the PostgreSQL store: runners that race or die', () => {
  it('two runners started together on one due certificate: one orders, the other leaves it to that one; both exit 0', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'race');
    const config = fleet.config({ pre: [[fleet.gateScript, 'pre']] });
    const orders = pebbleOrders(pebble);
    fleet.hold('pre');
    const runners = { a: fleet.start('a', config, ['renew', '--format', 'json']), b: fleet.start('b', config, ['renew', '--format', 'json']) };

    // The winner waits in its pre hook, holding the lease; the loser must finish meanwhile.
    await waitUntil('a runner reached its pre hook', () => fleet.reachedBy('pre').length > 0, 30_000, () => runners.a.output() + runners.b.output());
    const [winner] = fleet.reachedBy('pre') as ['a' | 'b'];
    hooks.push(fleet.reached('pre', winner));
    const loser = winner === 'a' ? 'b' : 'a';
    const lost = await runners[loser].exit;
    expect(lost.code, lost.stderr).toBe(0);
    const lostResult = json(lost.stdout);
    // Told by its lease (`leased`), or, when the run claims due work from the store, not handed it at all.
    const seen = lostResult.certificates.find((c) => c.name === 'www');
    if (seen) expect(seen).toMatchObject({ action: 'not-due', reason: 'leased' });
    else expect(lostResult.summary).toMatchObject({ notDue: 1, renewed: 0, failed: 0 });

    fleet.open('pre');
    const won = await runners[winner].exit;
    expect(won.code, won.stderr).toBe(0);
    expect(json(won.stdout).certificates).toEqual([expect.objectContaining({ name: 'www', action: 'renewed' })]);
    // Only the winner ever got as far as ordering, and it ordered once.
    expect(fleet.reachedBy('pre')).toEqual([winner]);
    expect(await fleet.versions()).toHaveLength(1);
    expect(orders.finalized()).toHaveLength(1);
  }, 60_000);

  it('a runner SIGKILLed after taking the lease: the next runner takes over once the lease expires, orders once, and its key decrypts and matches', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'killed');
    const config = fleet.config({ pre: [[fleet.gateScript, 'pre']] });
    fleet.hold('pre');
    const a = fleet.start('a', config, ['renew', '--format', 'json']);
    await waitUntil('runner a reached its pre hook', () => fleet.reached('pre', 'a') !== undefined, 30_000, () => a.output());
    hooks.push(fleet.reached('pre', 'a'));
    expect((await fleet.certificateRow())?.lease_owner).toMatch(new RegExp(`:${a.pid}:`));

    a.kill('SIGKILL');
    expect((await a.exit).signal).toBe('SIGKILL');
    FaultFleet.endHook(fleet.reached('pre', 'a'));
    fleet.open('pre');
    // The killed runner's lease is left behind: nobody releases it, it expires (store.leaseTtl 2s).
    expect(await fleet.leaseFree()).toBe(false);
    await waitUntil('the killed runner\'s lease expired', () => fleet.leaseFree());

    const b = await fleet.run('b', config, ['renew', '--format', 'json']);
    expect(b.code, b.stderr).toBe(0);
    const outcome = json(b.stdout).certificates[0]!;
    expect(outcome).toMatchObject({ name: 'www', action: 'renewed' });

    const versions = await fleet.versions();
    expect(versions).toHaveLength(1);
    const [version] = versions as [NonNullable<(typeof versions)[0]>];
    expect((await fleet.certificateRow())?.current_version).toBe(version.id);
    expect(serialOf(version.cert_pem!)).toBe(outcome.serialNumber);
    // No key lost: the stored key decrypts with the configured key, is the certificate's, and is the one deployed.
    const key = fleet.keyOf(version);
    expect(keyMatches(version.cert_pem!, key)).toBe(true);
    expect(readFileSync(fleet.deployed.key, 'utf8')).toBe(key);
    expect(serialOf(readFileSync(fleet.deployed.fullchain, 'utf8'))).toBe(outcome.serialNumber);
  }, 60_000);

  it('a runner SIGKILLed while its deploy command runs: the next runner finishes that deployment from the journal without ordering again', async () => {
    const fleet = await FaultFleet.create(pebble, postgres, root, 'deploy');
    const config = fleet.config({ deployCommands: [[fleet.gateScript, 'deploy']] });
    fleet.hold('deploy');
    const a = fleet.start('a', config, ['renew', '--format', 'json']);
    await waitUntil('runner a reached its deploy command', () => fleet.reached('deploy', 'a') !== undefined, 30_000, () => a.output());
    hooks.push(fleet.reached('deploy', 'a'));
    // Issued and stored, not yet current: the journal says what was being deployed.
    const [issued, ...more] = await fleet.versions();
    expect(more).toHaveLength(0);
    const row = await fleet.certificateRow();
    expect(row?.current_version).toBeNull();
    expect(row?.state).toMatchObject({ deploying: { version: issued!.id } });

    a.kill('SIGKILL');
    expect((await a.exit).signal).toBe('SIGKILL');
    FaultFleet.endHook(fleet.reached('deploy', 'a'));
    fleet.open('deploy');
    await waitUntil('the killed runner\'s lease expired', () => fleet.leaseFree());
    const orders = pebbleOrders(pebble);

    const b = await fleet.run('b', config, ['renew', '--format', 'json']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/stopped while deploying version/);
    const outcome = json(b.stdout).certificates[0]!;
    expect(outcome.action).not.toBe('renewed');
    expect(outcome.serialNumber).toBe(serialOf(issued!.cert_pem!));
    // The deploy command ran again, this time to the end; nothing was ordered.
    expect(fleet.reached('deploy', 'b')).toBeDefined();
    expect(orders.finalized()).toHaveLength(0);
    expect((await fleet.versions()).map((v) => v.id)).toEqual([issued!.id]);
    const after = await fleet.certificateRow();
    expect(after?.current_version).toBe(issued!.id);
    expect(after?.state.deploying).toBeUndefined();
    // The deployed pair is that version's: its certificate, and its key as stored (decrypted).
    expect(readFileSync(fleet.deployed.fullchain, 'utf8')).toContain(issued!.cert_pem!.trim());
    expect(readFileSync(fleet.deployed.key, 'utf8')).toBe(fleet.keyOf(issued!));
    expect(keyMatches(readFileSync(fleet.deployed.fullchain, 'utf8'), readFileSync(fleet.deployed.key, 'utf8'))).toBe(true);
  }, 60_000);
});
