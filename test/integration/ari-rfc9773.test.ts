/**
 * ARI (RFC 9773) against a loopback HTTPS CA that answers exactly as the RFC (and Pebble 2.10)
 * does, walked through with a fake clock: when renewalInfo is asked and when it is not (after an
 * answer's Retry-After, after a 404, a 500, a malformed window, a Retry-After of 0 or ten years,
 * never for an expired certificate, at once after a revocation), and `replaces` (RFC 9773 5):
 * sent only when it can be right, and an order the CA refuses because of it is placed again
 * without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClient, certificateIdentifier, createCsr, issueCertificate } from '../../src/acme/index.js';
import { recordingLogger } from '../../src/logger.js';
import { decideRenewal, defaultRenewalPolicy } from '../../src/renewal/decision.js';
import { askRenewalInfoNow, mayReplace, refreshRenewalInfo, renewalInfoDue, type CurrentCertificate } from '../../src/renewal/renewal-info.js';
import type { CertificateState, IssuedVersion } from '../../src/store/certificate-store.js';
import { parseCertificate } from '../../src/x509/certificate.js';
import { generatePrivateKey } from '../../src/x509/generate-key.js';
import { findPemBlocks } from '../../src/x509/pem.js';
import { runRevoke } from '../../src/revocation/revoke.js';
import type { ManagedCertificate, RenewSettings } from '../../src/renewal/managed.js';
import { runRenew } from '../../src/renewal/run.js';
import { CertificateStore } from '../../src/store/certificate-store.js';
import { FileStateStore } from '../../src/store/file-state-store.js';
import { startAriCa, type AriCa } from '../helpers/ari-ca.js';
import { tempDir } from '../helpers/pki.js';
import { noSpecs } from '../helpers/spec-source.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

let ca: AriCa;
let client: AcmeClient;
const logger = recordingLogger();

async function order(c: AcmeClient, identifiers: string[], replaces?: string): Promise<CurrentCertificate> {
  const keyPem = await generatePrivateKey('ec-p256');
  const issued = await issueCertificate(c, { identifiers, csrDer: await createCsr(identifiers, keyPem), ...(replaces ? { replaces } : {}) }, { solvers: {} });
  const leaf = findPemBlocks(issued.certificatePem)[0]!;
  const info = parseCertificate(leaf.der).info;
  const version: IssuedVersion = {
    id: info.serialNumber,
    serialNumber: info.serialNumber,
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    domains: identifiers,
    issuedAt: info.notBefore,
    ...(c.accountUrl ? { accountUrl: c.accountUrl } : {}),
  };
  return { version, files: { certPem: leaf.text + '\n', chainPem: '', fullchainPem: issued.certificatePem, keyPem } };
}

const idOf = (current: CurrentCertificate) => certificateIdentifier(findPemBlocks(current.files.certPem)[0]!.der);
const ariGets = () => ca.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/renewal-info/'));
const newOrders = () => ca.requests.filter((r) => r.path === '/new-order');

async function newClient(): Promise<AcmeClient> {
  const c = new AcmeClient({ directoryUrl: ca.directoryUrl, accountKeyPem: await generatePrivateKey('ec-p256'), caBundlePem: ca.caBundlePem, logger });
  await c.ensureAccount({ termsAgreed: true });
  return c;
}

beforeAll(async () => {
  ca = await startAriCa({ validityDays: 6 });
  client = await newClient();
});

afterAll(async () => {
  client?.close();
  await ca?.close();
});

describe('the renewalInfo poll schedule (RFC 9773 4.3, fake clock)', () => {
  it('asks right after issuance, then at Retry-After; after errors as 4.3.3 says; never once expired', async () => {
    const current = await order(client, ['poll.test']);
    const certId = idOf(current);
    let t = Date.now();
    const deps = { client: async () => client, now: () => new Date(t), random: () => 0.5, logger };
    let state: CertificateState = { schemaVersion: 1 };
    // What a run does: ask when due, never otherwise.
    const run = async () => {
      if (renewalInfoDue(current.version, state, t)) state = await refreshRenewalInfo(current, state, deps);
    };
    const gets = () => ariGets().filter((r) => r.path === `/renewal-info/${certId}`).length;

    await run();
    expect(gets()).toBe(1);
    // Pebble's window: ideal = notAfter - validity/3 (day 4 of 6), +-1 day; Retry-After 21600.
    const notBefore = Date.parse(current.version.notBefore);
    const ideal = notBefore + 4 * 24 * HOUR;
    expect(state.ari).toMatchObject({ windowStart: ideal - 24 * HOUR, windowEnd: ideal + 24 * HOUR, chosenAt: ideal });
    expect(state.ariPoll!.nextPollAt).toBe(t + 21_600_000);

    t += 5 * HOUR;
    await run();
    expect(gets()).toBe(1); // Retry-After not reached: nobody asks

    // 500: a temporary error, one minute.
    ca.script.renewalInfo = () => ({ status: 500, body: { type: 'urn:ietf:params:acme:error:serverInternal', detail: 'database down' } });
    t = state.ariPoll!.nextPollAt;
    await run();
    expect(gets()).toBe(2);
    expect(state.ariPoll!.nextPollAt).toBe(t + MINUTE);
    t += 30_000;
    await run();
    expect(gets()).toBe(2);

    // 503 with Retry-After: 0: two minutes (the backoff; 0 counts as a minute at least).
    ca.script.renewalInfo = () => ({ status: 503, headers: { 'Retry-After': '0' }, body: { type: 'urn:ietf:params:acme:error:serverInternal' } });
    t += 30_000;
    await run();
    expect(gets()).toBe(3);
    expect(state.ariPoll!.nextPollAt).toBe(t + 2 * MINUTE);

    // A malformed window (ends before it starts): a long-term error, six hours; the old window is kept.
    ca.script.renewalInfo = () => ({ status: 200, headers: { 'Retry-After': '60' }, body: { suggestedWindow: { start: '2030-01-02T00:00:00Z', end: '2030-01-01T00:00:00Z' } } });
    t += 2 * MINUTE;
    await run();
    expect(gets()).toBe(4);
    expect(state.ariPoll!.nextPollAt).toBe(t + 6 * HOUR);
    expect(state.ari!.windowStart).toBe(ideal - 24 * HOUR);
    t += 6 * HOUR - 1;
    await run();
    expect(gets()).toBe(4);

    // 404: long-term, six hours.
    ca.script.renewalInfo = () => ({ status: 404, body: { type: 'urn:ietf:params:acme:error:malformed', detail: 'unknown certificate' } });
    t += 1;
    await run();
    expect(gets()).toBe(5);
    expect(state.ariPoll!.nextPollAt).toBe(t + 6 * HOUR);

    // A Retry-After of ten years is a day.
    ca.script.renewalInfo = (id) => (id === certId ? { status: 200, headers: { 'Retry-After': String(10 * 365 * 86_400) }, body: { suggestedWindow: { start: new Date(ideal - HOUR).toISOString(), end: new Date(ideal + HOUR).toISOString() } } } : undefined);
    t += 6 * HOUR;
    await run();
    expect(gets()).toBe(6);
    expect(state.ariPoll!.nextPollAt).toBe(t + 24 * HOUR);
    ca.script.renewalInfo = undefined;

    // Expired: never asked again, whatever the schedule says.
    t = Date.parse(current.version.notAfter);
    state = { ...state, ariPoll: { serialNumber: current.version.serialNumber, nextPollAt: 0 } };
    await run();
    state = await refreshRenewalInfo(current, state, deps);
    expect(gets()).toBe(6);
  });

  it('asks at once after a revocation, and the window in the past makes a minutes-old certificate due now', async () => {
    const current = await order(client, ['revoked.test']);
    let t = Date.now();
    const deps = { client: async () => client, now: () => new Date(t), random: () => 0.5, logger };
    let state = await refreshRenewalInfo(current, { schemaVersion: 1 }, deps);
    const times = { serialNumber: current.version.serialNumber, notBefore: Date.parse(current.version.notBefore), notAfter: Date.parse(current.version.notAfter) };
    expect(decideRenewal({ certificate: times, ari: state.ari!, policy: defaultRenewalPolicy, now: t }).due).toBe(false);

    // `revoke --no-replace`: the CA revokes, certfleet notes it.
    await client.revoke(current.files.certPem);
    expect(ca.certificates.get(idOf(current))!.revoked).toBe(true);
    t += MINUTE;
    expect(renewalInfoDue(current.version, state, t)).toBe(false); // the last Retry-After is hours away
    state = askRenewalInfoNow(state, current.version.serialNumber);
    expect(renewalInfoDue(current.version, state, t)).toBe(true);
    state = await refreshRenewalInfo(current, state, deps);
    expect(state.ari!.windowEnd).toBeLessThan(t);
    const decision = decideRenewal({ certificate: times, ari: state.ari!, policy: defaultRenewalPolicy, now: t });
    // Issued two minutes ago, inside the storm guard's hour: the closed window wins.
    expect(decision).toMatchObject({ due: true, reason: 'ari-window-passed', explanationUrl: expect.stringMatching(/\/docs\/revoked$/) });
    expect(decision.explanation).toContain('/docs/revoked');
  });
});

describe('replaces (RFC 9773 5)', () => {
  it('names the certificate a renewal replaces; a second order naming it again (alreadyReplaced) is placed without it', async () => {
    const first = await order(client, ['r.test', 'www.r.test']);
    const before = newOrders().length;
    expect(mayReplace(first.version, { domains: ['r.test', 'www.r.test'], accountUrl: client.accountUrl })).toBe(true);
    await order(client, ['r.test', 'www.r.test'], idOf(first));
    expect(newOrders().slice(before)).toEqual([expect.objectContaining({ status: 201, payload: expect.objectContaining({ replaces: idOf(first) }) })]);

    // An earlier run ordered and finalized the replacement, then failed: the CA says 409 alreadyReplaced.
    await order(client, ['r.test', 'www.r.test'], idOf(first));
    const retried = newOrders().slice(before + 1);
    expect(retried.map((r) => r.status)).toEqual([409, 201]);
    expect(retried[1]!.payload).not.toHaveProperty('replaces');
  });

  it('does not send replaces for a domain change that shares no name (the CA would refuse every renewal)', async () => {
    const first = await order(client, ['old.test']);
    expect(mayReplace(first.version, { domains: ['new.test'], accountUrl: client.accountUrl })).toBe(false);
    // Were it sent, the CA refuses it (400 malformed, "must match") and the client orders again without it.
    const before = newOrders().length;
    await order(client, ['new.test'], idOf(first));
    const sent = newOrders().slice(before);
    expect(sent.map((r) => r.status)).toEqual([400, 201]);
    expect(sent[0]!.payload).toHaveProperty('replaces');
    expect(sent[1]!.payload).not.toHaveProperty('replaces');
    expect(logger.lines.some((l) => l.level === 'warn' && /refused the order's replaces \(identifiers in this order do not match/.test(l.message))).toBe(true);
  });

  it('orders again without replaces when the CA rejects it for a reason of its own (400 malformed), once', async () => {
    const first = await order(client, ['m.test']);
    let refusals = 0;
    ca.script.newOrder = (payload) => {
      if (payload.replaces === undefined) return undefined;
      refusals++;
      return { status: 400, body: { type: 'urn:ietf:params:acme:error:malformed', detail: 'replaces is not accepted today' } };
    };
    try {
      const before = newOrders().length;
      const renewed = await order(client, ['m.test'], idOf(first));
      expect(renewed.version.serialNumber).not.toBe(first.version.serialNumber);
      expect(newOrders().slice(before).map((r) => r.status)).toEqual([400, 201]);
      expect(refusals).toBe(1);
    } finally {
      ca.script.newOrder = undefined;
    }
  });

  it('does not retry a refusal that is not about replaces twice: a second refusal is the error', async () => {
    const first = await order(client, ['x.test']);
    ca.script.newOrder = () => ({ status: 400, body: { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'x.test is blocked' } });
    try {
      const before = newOrders().length;
      await expect(order(client, ['x.test'], idOf(first))).rejects.toThrow(/x\.test is blocked/);
      expect(newOrders().slice(before).map((r) => r.status)).toEqual([400, 400]);
    } finally {
      ca.script.newOrder = undefined;
    }
  });

  it('another account: not sent when the version recorded its account; refused and retried when it did not', async () => {
    const first = await order(client, ['acct.test']);
    const other = await newClient();
    try {
      expect(mayReplace(first.version, { domains: ['acct.test'], accountUrl: other.accountUrl })).toBe(false);
      const unrecorded = { ...first.version, accountUrl: undefined };
      expect(mayReplace(unrecorded, { domains: ['acct.test'], accountUrl: other.accountUrl })).toBe(true);
      const before = newOrders().length;
      await order(other, ['acct.test'], idOf(first));
      expect(newOrders().slice(before).map((r) => r.status)).toEqual([403, 201]);
    } finally {
      other.close();
    }
  });
});

describe('renew and revoke runs against the ARI CA (fake clock)', () => {
  it('polls on schedule, renews a revoked certificate at once with replaces, records the account, and shows the explanationURL', async () => {
    const stateDir = tempDir('certfleet-ari-');
    const certificate = (domains: string[]): ManagedCertificate => ({
      name: 'web',
      domains,
      keyType: 'ec-p256',
      reuseKey: false,
      ca: { directoryUrl: ca.directoryUrl, caBundlePem: ca.caBundlePem, requestTimeoutMs: 10_000, contact: [], acceptTermsOfService: true },
      challenge: { type: 'http-01', webroot: tempDir('certfleet-ari-webroot-') },
      pre: [],
      post: [],
      verify: [],
      verifyTimeoutMs: 1000,
      verifyCa: [],
    });
    const settings = (domains: string[]): RenewSettings => ({ stateDir, policy: defaultRenewalPolicy, certificates: [certificate(domains)], specs: noSpecs });
    let t = Date.now();
    const log = recordingLogger();
    const hooks = { now: () => new Date(t), random: () => 0.5, logger: log, commandEnv: {}, pid: process.pid };
    const renew = (domains = ['web.test'], force = false) => runRenew(settings(domains), { names: [], force, plan: false, concurrency: 1, lockWaitMs: 0 }, hooks);
    const store = new CertificateStore(stateDir);
    const gets = () => ariGets().length;

    // Run 1 issues; run 2 asks ARI once (right after issuance); run 3, a minute later, does not.
    expect((await renew()).certificates[0]!.action).toBe('renewed');
    const first = (await store.current('web'))!;
    expect(first.version.accountUrl).toMatch(/\/acct\/\d+$/);
    const atStart = gets();
    t += MINUTE;
    expect((await renew()).certificates[0]!.action).toBe('not-due');
    expect(gets()).toBe(atStart + 1);
    t += MINUTE;
    await renew();
    expect(gets()).toBe(atStart + 1);

    // revoke --no-replace: the next run asks at once, and renews with replaces, inside the storm guard's hour.
    const stateStore = new FileStateStore(stateDir, { lockWaitMs: 0, pid: process.pid });
    const revoked = await runRevoke(
      settings(['web.test']),
      { criteria: { names: ['web'], all: false, serials: [], domains: [], keyFingerprints: [] }, reason: 'superseded', replace: false, dryRun: false, concurrency: 1, lockWaitMs: 0 },
      { ...hooks, store: stateStore },
    );
    await stateStore.close();
    expect(revoked.certificates[0]!.action).toBe('revoked');
    const orders = newOrders().length;
    t += MINUTE;
    const after = await renew();
    expect(gets()).toBe(atStart + 2);
    expect(after.certificates[0]!.action).toBe('renewed');
    expect(newOrders().slice(orders)).toEqual([expect.objectContaining({ status: 201, payload: expect.objectContaining({ replaces: idOf(first) }) })]);
    expect(log.lines.some((l) => /renewing: the CA's renewal window ended .*the CA explains: https:\/\/127\.0\.0\.1:\d+\/docs\/revoked/.test(l.message))).toBe(true);

    // The new certificate is not asked about until the next run; a renewal to other names sends no replaces.
    const second = (await store.current('web'))!;
    const ordersBefore = newOrders().length;
    t += MINUTE;
    expect((await renew(['elsewhere.test'], true)).certificates[0]!.action).toBe('renewed');
    expect(newOrders().slice(ordersBefore).map((r) => [r.status, 'replaces' in (r.payload ?? {})])).toEqual([[201, false]]);
    expect(second.version.serialNumber).not.toBe(first.version.serialNumber);

    // Expired: the run never asks about it.
    const third = (await store.current('web'))!;
    await store.saveState('web', { schemaVersion: 1, ariPoll: { serialNumber: third.version.serialNumber, nextPollAt: 0 } });
    t = Date.parse(third.version.notAfter) + MINUTE;
    const getsBefore = gets();
    await renew(['elsewhere.test']);
    expect(gets()).toBe(getsBefore);
  });

  it('shows the CA\'s explanationURL in the outcome of a run that is not due', async () => {
    const stateDir = tempDir('certfleet-ari-');
    const cert: ManagedCertificate = {
      name: 'doc',
      domains: ['doc.test'],
      keyType: 'ec-p256',
      reuseKey: false,
      ca: { directoryUrl: ca.directoryUrl, caBundlePem: ca.caBundlePem, requestTimeoutMs: 10_000, contact: [], acceptTermsOfService: true },
      challenge: { type: 'http-01', webroot: tempDir('certfleet-ari-webroot-') },
      pre: [],
      post: [],
      verify: [],
      verifyTimeoutMs: 1000,
      verifyCa: [],
    };
    let t = Date.now();
    const hooks = { now: () => new Date(t), random: () => 0.5, logger: recordingLogger(), commandEnv: {}, pid: process.pid };
    const renew = () => runRenew({ stateDir, policy: defaultRenewalPolicy, certificates: [cert], specs: noSpecs }, { names: [], force: false, plan: false, concurrency: 1, lockWaitMs: 0 }, hooks);
    await renew();
    ca.script.renewalInfo = () => ({
      status: 200,
      headers: { 'Retry-After': '21600' },
      body: { suggestedWindow: { start: new Date(t + 2 * 86_400_000).toISOString(), end: new Date(t + 3 * 86_400_000).toISOString() }, explanationURL: 'https://ca.test/planned-rotation' },
    });
    try {
      t += MINUTE;
      const outcome = (await renew()).certificates[0]!;
      expect(outcome).toMatchObject({ action: 'not-due', reason: 'ari-window', explanationUrl: 'https://ca.test/planned-rotation' });
      expect(outcome.explanation).toContain('the CA explains: https://ca.test/planned-rotation');
    } finally {
      ca.script.renewalInfo = undefined;
    }
  });
});

