/**
 * Every branch of one certificate's run, through the ports with fakes and a fake clock (the real
 * file store in a temp directory): order, deploy, verify, rollback, redeploy without ordering,
 * spec drift, backoff, Retry-After, config failures, the deploy journal, ARI, a store that fails.
 * The same paths run against Pebble, nginx and real files in test/e2e.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { AcmeProblemError } from '../../../src/acme/errors.js';
import { oneAtATime } from '../../../src/concurrency.js';
import { CertfleetError, ExitCode } from '../../../src/errors.js';
import { silentLogger } from '../../../src/logger.js';
import { defaultRenewalPolicy, DAY_MS } from '../../../src/renewal/decision.js';
import { renewCertificate, type RenewDeps, type RenewRequest } from '../../../src/renewal/renew-certificate.js';
import { CertificateStore, type CertificateState } from '../../../src/store/certificate-store.js';
import { FakeCa, FakeCommands, FakeDeployer, FakeVerifier } from '../../helpers/fake-renew-ports.js';
import { managedCertificate } from '../../helpers/managed.js';
import { tempDir } from '../../helpers/pki.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const MINUTE = 60_000;

let now: number;
let store: CertificateStore;
let ca: FakeCa;
let deployer: FakeDeployer;
let verifier: FakeVerifier;
let commands: FakeCommands;
let deps: RenewDeps;

const certificate = managedCertificate;

const run = (cert = certificate(), request: Partial<RenewRequest> = {}) => renewCertificate(cert, { force: false, plan: false, ...request }, deps);
const state = (name = 'www'): Promise<CertificateState> => store.loadStateReadOnly(name, () => undefined);

beforeEach(() => {
  now = T0;
  store = new CertificateStore(tempDir('certfleet-renew-unit-'));
  ca = new FakeCa(() => new Date(now));
  deployer = new FakeDeployer();
  verifier = new FakeVerifier();
  commands = new FakeCommands();
  deps = {
    store,
    issuers: ca,
    deployer,
    verifier,
    runCommand: commands.run,
    policy: defaultRenewalPolicy,
    now: () => new Date(now),
    random: () => 0.5,
    logger: silentLogger,
    commandEnv: {},
    exclusive: oneAtATime(),
  };
});

describe('a first issuance', () => {
  it('orders, stores, deploys, runs the commands with the new serial, confirms it served, and records it', async () => {
    const outcome = await run();
    expect(outcome).toMatchObject({ action: 'renewed', reason: 'lifetime-fraction' });
    expect(ca.orders).toEqual([{ name: 'www', domains: ['www.example.test'] }]);
    const id = (await store.currentId('www'))!;
    expect(id).toMatch(new RegExp(`-${outcome.serialNumber}$`));
    expect(deployer.calls).toEqual([`stage www ${id}`, `activate www ${id}`, `prune www keep ${id}`]);
    expect(commands.runs.map((r) => [r.argv, r.env.CERTFLEET_SERIAL])).toEqual([[['reload-server'], outcome.serialNumber]]);
    expect(verifier.confirmed).toEqual([`www ${outcome.serialNumber}`]);
    const recorded = await state();
    expect(recorded.deployed?.version).toBe(id);
    expect([recorded.pendingDeploy, recorded.failures]).toEqual([undefined, undefined]);
  });

  it('then asks the CA for nothing until a third of the lifetime is left, and then renews with replaces', async () => {
    await run();
    now = T0 + 29 * DAY_MS;
    expect(await run()).toMatchObject({ action: 'not-due' });
    expect(ca.orders).toHaveLength(1);
    now = T0 + 30 * DAY_MS + MINUTE;
    expect(await run()).toMatchObject({ action: 'renewed' });
    expect(ca.orders[1]).toMatchObject({ replaces: expect.stringMatching(/^[\w-]+\.[\w-]+$/) });
  });

  it('--plan decides and changes nothing', async () => {
    expect(await run(certificate(), { plan: true })).toMatchObject({ action: 'would-renew', reason: 'no-certificate' });
    expect([ca.orders, deployer.calls, commands.runs]).toEqual([[], [], []]);
  });
});

describe('a changed config', () => {
  it('orders at once when the names change, whatever the schedule', async () => {
    await run();
    now += DAY_MS;
    const outcome = await run(certificate({ domains: ['www.example.test', 'new.example.test'] }));
    expect(outcome).toMatchObject({ action: 'renewed' });
    expect(ca.orders[1]!.domains).toEqual(['www.example.test', 'new.example.test']);
  });

  it('deploys again without ordering when the deploy section changes', async () => {
    await run();
    now += DAY_MS;
    deployer.calls.length = 0;
    const moved = certificate({ deploy: { targets: { fullchain: '/srv/new/www.pem', key: '/srv/new/www.key' }, commands: [['reload-server']], commandTimeoutMs: 1000 } });
    expect(await run(moved)).toMatchObject({ action: 'deployed', explanation: expect.stringMatching(/the deploy section changed/) });
    expect(ca.orders).toHaveLength(1);
    expect(deployer.calls.filter((c) => c.startsWith('activate'))).toHaveLength(1);
    expect(await run(moved)).toMatchObject({ action: 'not-due' });
  });
});

describe('a failed order', () => {
  it('backs off (a never-issued certificate too), then tries again', async () => {
    ca.failNextOrder = new Error('connect ECONNREFUSED');
    expect(await run()).toMatchObject({ action: 'failed', failedStage: 'order', reason: 'backoff', error: 'connect ECONNREFUSED' });
    expect((await state()).failures).toMatchObject({ consecutiveFailures: 1, stage: 'order' });
    now += MINUTE;
    expect(await run()).toMatchObject({ action: 'not-due', reason: 'backoff' });
    expect(ca.orders).toHaveLength(1);
    now += 5 * MINUTE;
    expect(await run()).toMatchObject({ action: 'renewed' });
    expect((await state()).failures).toBeUndefined();
  });

  it("keeps the CA's Retry-After as the floor of the next try", async () => {
    ca.failNextOrder = new AcmeProblemError('creating the order', 'https://ca.test/new-order', 429, { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many' }, 3600);
    await run();
    expect((await state()).failures).toMatchObject({ retryNotBefore: T0 + 3_600_000 });
    now += 30 * MINUTE;
    expect(await run()).toMatchObject({ action: 'not-due', reason: 'backoff', explanation: expect.stringMatching(/the CA asked to wait until then/) });
    now = T0 + 3_600_000;
    expect(await run()).toMatchObject({ action: 'renewed' });
  });

  it('records no backoff for a config problem (terms not accepted): the run after the fix goes ahead', async () => {
    ca.failNextOrder = new CertfleetError('terms-of-service', 'the CA requires accepting its terms', { exitCode: ExitCode.usage, hint: 'set acceptTermsOfService' });
    expect(await run()).toMatchObject({ action: 'failed', errorCode: 'terms-of-service', errorExitCode: 2, errorHint: 'set acceptTermsOfService' });
    expect((await state()).failures).toBeUndefined();
    expect(await run()).toMatchObject({ action: 'renewed' });
  });
});

describe('a failed deployment', () => {
  async function issuedAndThenRenewalFails(step: 'command' | 'verify') {
    const first = await run();
    now = T0 + 31 * DAY_MS;
    // The reload of the new version fails once; the one after putting the previous version back works.
    let refused = false;
    if (step === 'command') commands.fail = () => (refused ? undefined : ((refused = true), new Error('reload refused')));
    else verifier.failWith = new Error('verification failed: 127.0.0.1:443 serves the old serial');
    const failed = await run();
    verifier.failWith = undefined;
    return { first, failed };
  }

  it.each(['command', 'verify'] as const)('(%s) puts the previous version back, keeps the new certificate, and deploys it later without ordering', async (step) => {
    const { first, failed } = await issuedAndThenRenewalFails(step);
    expect(failed).toMatchObject({ action: 'failed', failedStage: 'deploy', error: expect.stringMatching(/^deployment failed and the previous certificate was put back/) });
    const firstId = (await store.currentId('www'))!;
    expect(firstId).toMatch(new RegExp(`-${first.serialNumber}$`));
    expect(deployer.liveVersions.get('www')).toBe(firstId);
    const pending = (await state()).pendingDeploy!;
    expect(pending.version).not.toBe(firstId);

    now += MINUTE;
    expect(await run()).toMatchObject({ action: 'not-due', reason: 'backoff', explanation: expect.stringMatching(/is not deployed yet/) });
    now += 10 * MINUTE;
    const redeployed = await run();
    expect(redeployed).toMatchObject({ action: 'deployed' });
    expect(ca.orders).toHaveLength(2); // the first issuance and the renewal: none for the redeploy
    expect(await store.currentId('www')).toBe(pending.version);
    expect(deployer.liveVersions.get('www')).toBe(pending.version);
    const after = await state();
    expect(after.deployed?.version).toBe(pending.version);
    expect([after.pendingDeploy, after.failures]).toEqual([undefined, undefined]);
  });

  it('on a first deployment puts back what was found at the paths', async () => {
    deployer.found.add('www');
    commands.fail = () => new Error('reload refused');
    expect(await run()).toMatchObject({ action: 'failed', error: expect.stringMatching(/the files that were there before certfleet were put back/) });
    expect(deployer.calls).toContain('restoreFound www');
  });

  it('on a first deployment where nothing was found, leaves the new files and says so', async () => {
    commands.fail = () => new Error('reload refused');
    expect(await run()).toMatchObject({ action: 'failed', error: expect.stringMatching(/nothing was at the deploy paths before, so the new files stay in place/) });
    expect(deployer.calls).not.toContain('restoreFound www');
  });

  it('`certfleet deploy` deploys on request, whatever the backoff', async () => {
    await issuedAndThenRenewalFails('command');
    const outcome = await run(certificate(), { deployOnly: true });
    expect(outcome).toMatchObject({ action: 'deployed', explanation: expect.stringMatching(/deployed on request/) });
    expect(ca.orders).toHaveLength(2);
  });
});

describe('what a killed run left', () => {
  it('finishes the deployment in the journal before anything else', async () => {
    await run();
    now = T0 + 31 * DAY_MS;
    // The renewal's new version is stored, and the run died after writing the journal.
    deployer.failOnce = { step: 'activate', error: new Error('killed') };
    commands.fail = () => undefined;
    await run();
    const pending = (await state()).pendingDeploy!.version;
    const s = await state();
    await store.saveState('www', { ...s, deploying: { version: pending, startedAt: new Date(now).toISOString() } });
    deployer.calls.length = 0;
    now += MINUTE;
    await run();
    expect(deployer.calls[0]).toBe(`stage www ${pending}`);
    expect(deployer.calls[1]).toBe(`activate www ${pending}`);
    expect(await store.currentId('www')).toBe(pending);
    expect((await state()).deploying).toBeUndefined();
  });
});

describe('ARI', () => {
  it("renews at once when the CA's window lies in the past (a revoked certificate), even inside the storm guard", async () => {
    await run();
    now += 10 * MINUTE;
    ca.renewalInfoAnswer = { suggestedWindow: { start: T0 - 2 * DAY_MS, end: T0 - DAY_MS }, explanationURL: 'https://ca.test/incident' };
    await store.saveState('www', { ...(await state()), ariPoll: { serialNumber: (await store.current('www'))!.version.serialNumber, nextPollAt: 0 } });
    const outcome = await run();
    expect(ca.renewalInfoAsked).toHaveLength(1);
    expect(outcome).toMatchObject({ action: 'renewed' });
    expect(ca.orders).toHaveLength(2);
  });
});

describe('a store that cannot be written', () => {
  it('is this certificate\'s failure, with the path, never an exception out of the run', async () => {
    const full = new (class extends CertificateStore {
      override async saveState(): Promise<void> {
        throw Object.assign(new Error(`cannot write ${this.stateDir}/certificates/www/state.json: ENOSPC: no space left on device`), { code: 'ENOSPC' });
      }
    })(store.stateDir);
    deps = { ...deps, store: full };
    const outcome = await run();
    expect(outcome).toMatchObject({ action: 'failed', error: expect.stringMatching(/cannot write .*state\.json: ENOSPC/) });
  });
});
