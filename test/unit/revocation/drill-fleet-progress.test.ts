/**
 * A drill (src/revocation/drill.ts) over certificates whose spec names hosts sees each host's
 * report while the other orders still go on: the wait listens from the drill's start, a
 * certificate joins it as soon as its order made it current, and it is reported replaced (with
 * its time from the drill's start to its slowest host) the moment its last host confirms, not
 * after the last order. The same for `revoke`: its hosts' reports are shown while later
 * certificates are still being ordered, and nothing is revoked before every host confirmed.
 *
 * Fakes: the CA (one order held back until the test lets it go), the deployments table and its
 * change feed (the test plays the agents); the real file store in a temp directory; a fake clock
 * for the drill's times.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HostProgress } from '../../../src/fleet/await-deployed.js';
import { silentLogger } from '../../../src/logger.js';
import { defaultRenewalPolicy } from '../../../src/renewal/decision.js';
import type { ManagedCertificate, RenewSettings } from '../../../src/renewal/managed.js';
import type { Issuers } from '../../../src/renewal/ports.js';
import { runDrill, type DrillCertificate } from '../../../src/revocation/drill.js';
import { runRevoke } from '../../../src/revocation/revoke.js';
import { runRenew } from '../../../src/renewal/run.js';
import { FileStateStore } from '../../../src/store/file-state-store.js';
import type { ChangeListener, DeploymentRecords, HostDeployment, ReplacementStatus } from '../../../src/store/ports.js';
import { FakeCa, FakeCommands, FakeDeployer, FakeVerifier } from '../../helpers/fake-renew-ports.js';
import { managedCertificate } from '../../helpers/managed.js';
import { tempDir } from '../../helpers/pki.js';
import { noSpecs } from '../../helpers/spec-source.js';

const T0 = Date.parse('2026-12-03T16:00:00Z');

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  // A guard against a hang, not a measurement: generous for a loaded machine.
  const end = Date.now() + 20_000;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`never happened: ${what}`);
}

/** The deployments table and its change feed, as the PostgreSQL store offers them; the test writes the agents' reports. */
class FakeFleet {
  rows = new Map<string, Array<HostDeployment & { host: string }>>();
  listener: ChangeListener | undefined;
  /** The names of each batch read. */
  batches: string[][] = [];
  constructor(private readonly file: FileStateStore) {}
  deployments = {
    replacementStatus: async (names: readonly string[]) => {
      this.batches.push([...names]);
      const out = new Map<string, ReplacementStatus>();
      for (const n of names) out.set(n, { currentVersion: await this.file.certificates.currentId(n), hosts: [...(this.rows.get(n) ?? [])] });
      return out;
    },
    lastReports: () => Promise.resolve(new Map<string, string>()),
  };
  listen = (_channel: string, listener: ChangeListener) => {
    this.listener = listener;
    listener.connection(true);
    return Promise.resolve({ close: () => Promise.resolve() });
  };
  /** What an agent writes once it deployed the certificate's current version, and the trigger's notification. */
  async deployed(name: string, host: string): Promise<void> {
    const version = (await this.file.certificates.currentId(name))!;
    this.rows.set(name, [...(this.rows.get(name) ?? []).filter((r) => r.host !== host), { host, version, status: 'deployed', detail: undefined, attemptedAt: new Date(T0).toISOString(), deployedAt: new Date(T0).toISOString() }]);
    this.listener?.message(name);
  }
  joined(name: string): boolean {
    return this.batches.some((b) => b.includes(name));
  }
}

/**
 * The wait's timers, kept for the test: `runOut` fires them in time order (the clock moved to each)
 * until `work` settles, so minutes of waiting pass at once.
 */
function manualTimers(clock: { now: () => number; advance: (ms: number) => void }) {
  const timers: Array<{ at: number; fire: () => void }> = [];
  return {
    set: (ms: number, fire: () => void) => {
      const timer = { at: clock.now() + ms, fire };
      timers.push(timer);
      return () => {
        const at = timers.indexOf(timer);
        if (at >= 0) timers.splice(at, 1);
      };
    },
    async runOut<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      void work.finally(() => (settled = true));
      while (!settled) {
        await until('a timer is set', () => settled || timers.length > 0);
        const next = timers.sort((x, y) => x.at - y.at).shift();
        if (!next) continue;
        clock.advance(Math.max(0, next.at - clock.now()));
        next.fire();
        await settle();
      }
      return work;
    },
  };
}

const stores: FileStateStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

function setup(certificates: ManagedCertificate[]) {
  let now = T0;
  const file = new FileStateStore(tempDir('certfleet-drill-fleet-'), { now: () => now });
  stores.push(file);
  const fleet = new FakeFleet(file);
  // Only what a drill and revoke ask of the deployments.
  const store = Object.assign(file, { deployments: fleet.deployments as unknown as DeploymentRecords, listen: fleet.listen });
  const ca = new FakeCa(() => new Date(now));
  // api's order is held until the test lets it go: the ordering is still going on meanwhile.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let holding = true;
  let apiOrdered = false;
  const issuers: Issuers = {
    get: async (settings) => {
      const port = await ca.get(settings);
      return {
        ...port,
        order: async (request, context) => {
          if (request.cert.name === 'api' && holding) {
            await held;
            apiOrdered = true;
          }
          return port.order(request, context);
        },
      };
    },
  };
  const settings: RenewSettings = { stateDir: file.location, policy: defaultRenewalPolicy, certificates, specs: noSpecs };
  const hooks = {
    now: () => new Date(now),
    random: () => 0.5,
    logger: silentLogger,
    commandEnv: {},
    pid: process.pid,
    ports: { issuers, deployer: new FakeDeployer(), verifier: new FakeVerifier(), runCommand: new FakeCommands().run },
    store,
  };
  return {
    fleet,
    settings,
    hooks,
    release,
    hold: (on: boolean) => {
      holding = on;
    },
    apiOrdered: () => apiOrdered,
    advance: (ms: number) => {
      now += ms;
    },
    now: () => now,
  };
}

const certificates = [
  managedCertificate({ name: 'www', domains: ['www.example.test'], hosts: ['a', 'b'] }),
  managedCertificate({ name: 'api', domains: ['api.example.test'], hosts: ['c'] }),
];

describe('a drill over hosts, while the orders go on', () => {
  it('reports a certificate confirmed on every host before the last order finishes, with its time from the drill start', async () => {
    const t = setup(certificates);
    const reported: Array<{ result: DrillCertificate; done: number; total: number; apiOrdered: boolean }> = [];
    const progress: HostProgress[] = [];
    const drill = runDrill(
      t.settings,
      { purpose: 'drill', criteria: { names: [], all: true, serials: [], domains: [], keyFingerprints: [] }, concurrency: 1, lockWaitMs: 1000 },
      {
        ...t.hooks,
        fleet: { waitMs: 30 * 60_000, setTimer: () => () => undefined, onHostProgress: (e) => progress.push(e) },
        onCertificate: (result, done, total) => reported.push({ result, done, total, apiOrdered: t.apiOrdered() }),
      },
    );
    // www is ordered and joins the wait; api's order is held.
    await until('www joined the wait', () => t.fleet.joined('www'));
    t.advance(40_000);
    await t.fleet.deployed('www', 'a');
    await until('a seen', () => progress.length === 1);
    t.advance(20_000);
    await t.fleet.deployed('www', 'b');
    await until('www reported', () => reported.length === 1);

    expect(t.apiOrdered()).toBe(false);
    expect(progress.map((p) => [p.certificate, p.host, p.seconds])).toEqual([
      ['www', 'a', 40],
      ['www', 'b', 60],
    ]);
    expect(reported[0]).toMatchObject({ done: 1, total: 2, apiOrdered: false, result: { name: 'www', secondsToReplace: 60, hosts: [{ host: 'a', seconds: 40 }, { host: 'b', seconds: 60 }] } });

    // The rest of the ordering: api joins and its host confirms it 90 s into the drill.
    t.release();
    await until('api joined the wait', () => t.fleet.joined('api'));
    t.advance(30_000);
    await t.fleet.deployed('api', 'c');
    const result = await drill;
    expect(reported.map((r) => [r.result.name, r.done, r.total, r.result.secondsToReplace])).toEqual([
      ['www', 1, 2, 60],
      ['api', 2, 2, 90],
    ]);
    expect(result.certificates.map((c) => [c.name, c.secondsToReplace, c.error])).toEqual([
      ['www', 60, undefined],
      ['api', 90, undefined],
    ]);
    expect(result.summary).toMatchObject({ replaced: 2, failed: 0, secondsToReplace: { median: 60, max: 90 } });
  });

  it('a certificate not confirmed on every host by the deadline is reported then, not replaced, with the hosts it lacks', async () => {
    const t = setup(certificates);
    const reported: DrillCertificate[] = [];
    const timers = manualTimers(t);
    const drill = runDrill(
      t.settings,
      { purpose: 'drill', criteria: { names: ['www', 'api'], all: false, serials: [], domains: [], keyFingerprints: [] }, concurrency: 1, lockWaitMs: 1000 },
      {
        ...t.hooks,
        fleet: {
          waitMs: 5 * 60_000,
          setTimer: timers.set,
        },
        onCertificate: (result) => reported.push(result),
      },
    );
    await until('www joined', () => t.fleet.joined('www'));
    t.advance(10_000);
    await t.fleet.deployed('www', 'a');
    // The last order is done 10 s in: the wait's deadline is 5 min from then.
    t.release();
    await until('api joined', () => t.fleet.joined('api'));
    await t.fleet.deployed('api', 'c');
    await until('api reported', () => reported.length === 1);
    // Five minutes pass with b silent: the safety re-reads, then the deadline.
    const result = await timers.runOut(drill);
    expect(reported.map((r) => r.name)).toEqual(['api', 'www']);
    expect(result.certificates.find((c) => c.name === 'www')).toMatchObject({ secondsToReplace: null, error: 'ordered, but not confirmed deployed on every host: b not reporting' });
    expect(result.summary).toMatchObject({ replaced: 1, failed: 1 });
    // The deadline counted from the last order (10 s in), not from the start: at least 5 min after it.
    expect(t.now() - T0).toBeGreaterThanOrEqual(10_000 + 5 * 60_000);
  });
});

describe('revoke over hosts, while the orders go on', () => {
  it('shows a host report while a later certificate is still being ordered, and revokes nothing its hosts have not all confirmed', async () => {
    const t = setup(certificates);
    // Issued once before the incident (nothing held), so there is something to revoke.
    t.hold(false);
    const issued = await runRenew(t.settings, { names: [], force: true, plan: false, concurrency: 1, lockWaitMs: 1000 }, t.hooks);
    expect(issued.summary.renewed).toBe(2);
    t.hold(true);
    const progress: Array<HostProgress & { apiOrdered: boolean }> = [];
    const timers = manualTimers(t);
    const revoke = runRevoke(
      t.settings,
      { criteria: { names: [], all: true, serials: [], domains: [], keyFingerprints: [] }, reason: 'superseded', replace: true, dryRun: false, concurrency: 1, lockWaitMs: 1000 },
      {
        ...t.hooks,
        fleet: {
          waitMs: 60_000,
          setTimer: timers.set,
          onHostProgress: (e) => progress.push({ ...e, apiOrdered: t.apiOrdered() }),
        },
      },
    );
    await until('www joined the wait', () => t.fleet.joined('www'));
    t.advance(7_000);
    await t.fleet.deployed('www', 'a');
    await until('a progress line', () => progress.length === 1);
    expect(progress[0]).toMatchObject({ certificate: 'www', host: 'a', status: 'deployed', seconds: 7, apiOrdered: false });

    t.release();
    await until('api joined the wait', () => t.fleet.joined('api'));
    const result = await timers.runOut(revoke);
    expect(result.certificates.map((c) => [c.name, c.action, c.hosts?.map((h) => [h.host, h.status, h.seconds])])).toEqual([
      ['www', 'not-revoked', [['a', 'deployed', 7], ['b', 'not-reporting', undefined]]],
      ['api', 'not-revoked', [['c', 'not-reporting', undefined]]],
    ]);
    expect(result.certificates.every((c) => c.awaiting !== undefined)).toBe(true);
  });
});
