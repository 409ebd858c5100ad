/**
 * A run costs what is due (issue 9): `renew` skips, without reading them, the certificates whose
 * recorded schedule has not come and whose config is unchanged; anything else that touched a
 * certificate voids its schedule; a certificate another runner holds the lease of is left to it.
 * Fakes for the CA, deployer, verifier and commands; the real file store in a temp directory.
 */
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../src/logger.js';
import { defaultRenewalPolicy, DAY_MS } from '../../../src/renewal/decision.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { askRenewalInfoNow } from '../../../src/renewal/renewal-info.js';
import { runRenew } from '../../../src/renewal/run.js';
import { FileStateStore } from '../../../src/store/file-state-store.js';
import { FakeCa, FakeCommands, FakeDeployer, FakeVerifier } from '../../helpers/fake-renew-ports.js';
import { managedCertificate } from '../../helpers/managed.js';
import { tempDir } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
let now: number;
let stateDir: string;
let ca: FakeCa;

const renew = async (certs: ManagedCertificate[], store?: FileStateStore) => {
  const result = await runRenew(
    { stateDir, policy: defaultRenewalPolicy, certificates: certs, specs: noSpecs },
    { names: [], force: false, plan: false, concurrency: 2, lockWaitMs: 1000 },
    {
      now: () => new Date(now),
      random: () => 0.5,
      logger: silentLogger,
      commandEnv: {},
      pid: process.pid,
      ports: { issuers: ca, deployer: new FakeDeployer(), verifier: new FakeVerifier(), runCommand: new FakeCommands().run },
      ...(store ? { store } : {}),
    },
  );
  await store?.close();
  return result;
};

/** A store whose loadState calls are counted: a skipped certificate is never loaded. */
function countingStore() {
  const store = new FileStateStore(stateDir, { now: () => now });
  const loads = vi.spyOn(store.certificates, 'loadState');
  return { store, loads };
}

beforeEach(() => {
  now = T0;
  stateDir = tempDir('certfleet-schedule-');
  ca = new FakeCa(() => new Date(now));
});

describe('a nothing-due run reads nothing it does not need', () => {
  it('skips every certificate after the run that recorded its schedule, with the same outcome', async () => {
    const certs = ['a', 'b', 'c'].map((name) => managedCertificate({ name, domains: [`${name}.example.test`] }));
    expect((await renew(certs)).summary.renewed).toBe(3);
    now += 60_000;
    const first = await renew(certs); // looks at each once (just issued: ARI asked) and records schedules
    expect(first.summary.notDue).toBe(3);
    now += 60_000;
    const { store, loads } = countingStore();
    const second = await renew(certs, store);
    expect(loads).not.toHaveBeenCalled();
    expect(second.certificates.map((c) => [c.name, c.action, c.serialNumber])).toEqual(first.certificates.map((c) => [c.name, c.action, c.serialNumber]));
    expect(second.certificates[0]!.nextRenewalAt).toBe(first.certificates[0]!.nextRenewalAt);
    expect(ca.orders).toHaveLength(3);
  });

  it('looks again when the config changed: a new domain is ordered at once', async () => {
    const cert = managedCertificate();
    await renew([cert]);
    now += 60_000;
    await renew([cert]);
    now += 60_000;
    const result = await renew([managedCertificate({ domains: ['www.example.test', 'new.example.test'] })]);
    expect(result.certificates[0]).toMatchObject({ action: 'renewed' });
    expect(ca.orders.at(-1)!.domains).toContain('new.example.test');
  });

  it('looks again when anything else wrote the state (a revocation asking for ARI now)', async () => {
    const cert = managedCertificate();
    await renew([cert]);
    now += 60_000;
    await renew([cert]);
    const store = new FileStateStore(stateDir);
    const state = await store.certificates.loadState('www', () => undefined);
    const serial = (await store.certificates.current('www'))!.version.serialNumber;
    await store.certificates.saveState('www', askRenewalInfoNow(state, serial));
    now += 60_000;
    const { store: counted, loads } = countingStore();
    await renew([cert], counted);
    expect(loads).toHaveBeenCalledTimes(1);
  });

  it('looks again when the recorded moment comes, and renews when due', async () => {
    const cert = managedCertificate();
    await renew([cert]);
    now += 60_000;
    const recorded = await renew([cert]);
    now = Date.parse(recorded.certificates[0]!.nextRenewalAt!) + 1;
    const due = await renew([cert]);
    expect(due.certificates[0]!.action).toBe('renewed');
    expect(ca.orders).toHaveLength(2);
  });

  it('looks at every certificate when the schedule file is lost or corrupt (one slower run, never a wrong one)', async () => {
    const cert = managedCertificate();
    await renew([cert]);
    now += 60_000;
    await renew([cert]);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${stateDir}/schedule.json`, '{"schemaVersion": 1, "entr');
    now += 60_000;
    const { store, loads } = countingStore();
    const result = await renew([cert], store);
    expect(loads).toHaveBeenCalledTimes(1);
    expect(result.certificates[0]!.action).toBe('not-due');
  });
});

describe('leases', () => {
  it('leaves a certificate another runner holds to that runner, and orders nothing for it', async () => {
    const store = new FileStateStore(stateDir, { now: () => now });
    const lease = await store.leases.acquire('www', 'other-host:1', 5 * 60_000);
    expect(lease).toBeDefined();
    const result = await renew([managedCertificate()]);
    expect(result.certificates[0]).toMatchObject({ action: 'not-due', reason: 'leased' });
    expect(ca.orders).toHaveLength(0);
    // Its holder died: after the lease expires, the next run does the work.
    now += 6 * 60_000;
    expect((await renew([managedCertificate()])).certificates[0]!.action).toBe('renewed');
    expect(ca.orders).toHaveLength(1);
  });

  it('a holder killed with SIGKILL loses its lease at once (its runner lock dies with it), not after the TTL', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [new URL('../../helpers/lease-child.mjs', import.meta.url).pathname, stateDir, 'www'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const said = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    expect(said).toBe('held');
    const store = new FileStateStore(stateDir);
    expect(await store.leases.acquire('www', 'me', 60_000)).toBeUndefined(); // alive: its lease holds
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await store.leases.acquire('www', 'me', 60_000)).toBeDefined();
    await store.close();
  });

  it('a runner paused past its lease has its writes refused; the new owner\'s state is kept', async () => {
    const store = new FileStateStore(stateDir, { now: () => now });
    const slow = (await store.leases.acquire('www', 'slow', 60_000))!;
    now += 2 * 60_000;
    const fast = (await store.leases.acquire('www', 'fast', 60_000))!;
    expect(fast.token).toBeGreaterThan(slow.token);
    await store.certificates.saveState('www', { schemaVersion: 1, lastRunAt: 'fast' }, fast);
    await expect(store.certificates.saveState('www', { schemaVersion: 1, lastRunAt: 'slow' }, slow)).rejects.toThrow(/lease was taken over .*now held by fast/);
    await expect(store.certificates.setCurrent('www', 'x', slow)).rejects.toThrow(/lease was taken over/);
    await expect(store.leases.renew(slow, 60_000)).rejects.toThrow(/lease was taken over/);
    expect((await store.certificates.loadState('www', () => undefined)).lastRunAt).toBe('fast');
    // Releasing a lost lease leaves the new owner's.
    await store.leases.release(slow);
    expect(await store.leases.acquire('www', 'third', 60_000)).toBeUndefined();
  });

  it('of many concurrent takers of an expired lease, exactly one wins', async () => {
    const store = new FileStateStore(stateDir, { now: () => now });
    await store.leases.acquire('www', 'dead', 1000);
    now += DAY_MS;
    const takers = await Promise.all(Array.from({ length: 12 }, (_, i) => new FileStateStore(stateDir, { now: () => now }).leases.acquire('www', `runner-${i}`, 60_000)));
    expect(takers.filter(Boolean)).toHaveLength(1);
  });

  it('exactly one wins every time, over many rounds of takeovers (the path is never empty for a third racer)', async () => {
    for (let round = 0; round < 40; round++) {
      const name = `round-${round}`;
      // Owners are new each round: a store of this process holds each owner's runner file.
      await new FileStateStore(stateDir, { now: () => now }).leases.acquire(name, `dead-${round}`, 1000);
      now += DAY_MS;
      const takers = await Promise.all(Array.from({ length: 16 }, (_, i) => new FileStateStore(stateDir, { now: () => now }).leases.acquire(name, `runner-${round}-${i}`, 60_000)));
      expect(takers.filter(Boolean), `round ${round}`).toHaveLength(1);
    }
    // No claim is left behind.
    expect(readdirSync(join(stateDir, 'leases')).filter((f) => f.endsWith('.claim'))).toEqual([]);
  });

  it('while another runner holds the takeover claim of an expired lease, a taker backs off and the lease file stays; a claim left by a dead runner goes stale', async () => {
    const store = new FileStateStore(stateDir, { now: () => now });
    const dead = (await store.leases.acquire('www', 'dead', 1000))!;
    now += DAY_MS;
    const leaseFile = join(stateDir, 'leases', 'www.json');
    const claim = `${leaseFile}.${dead.token}.claim`;
    writeFileSync(claim, '1\n');
    expect(await new FileStateStore(stateDir, { now: () => now }).leases.acquire('www', 'taker', 60_000)).toBeUndefined();
    expect(JSON.parse(readFileSync(leaseFile, 'utf8'))).toMatchObject({ owner: 'dead', token: dead.token });
    // A minute old (file times are the real clock's): its runner died between claiming and replacing.
    const old = new Date(Date.now() - 60_000);
    utimesSync(claim, old, old);
    const taken = await new FileStateStore(stateDir, { now: () => now }).leases.acquire('www', 'taker-2', 60_000);
    expect(taken?.owner).toBe('taker-2');
    expect(existsSync(claim)).toBe(false);
  });
});
