/**
 * ARI polling (RFC 9773 4.3) with a fake clock and a fake client: the schedule after answers and
 * after each kind of error (4.3.3), no request about an expired certificate, asking at once after
 * a revocation, and when a renewal may name its predecessor in `replaces` (5).
 */
import { describe, expect, it } from 'vitest';
import { AcmeProblemError, AcmeTransportError, InvalidRenewalInfoError, type RenewalInfo } from '../../../src/acme/index.js';
import { recordingLogger } from '../../../src/logger.js';
import {
  ARI_POLL_MS,
  ARI_TEMPORARY_TRIES,
  NO_ARI_POLL_MS,
  askRenewalInfoNow,
  classifyRenewalInfoError,
  mayReplace,
  refreshRenewalInfo,
  renewalInfoDue,
  renewalInfoErrorWait,
  type CurrentCertificate,
} from '../../../src/renewal/renewal-info.js';
import type { CertificateState } from '../../../src/store/certificate-store.js';

const now = Date.parse('2026-12-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 3_600_000;
const current: CurrentCertificate = {
  version: { id: 'v1', serialNumber: 'aa', notBefore: '2026-11-20T00:00:00Z', notAfter: '2027-01-04T00:00:00Z', domains: ['a.test'], issuedAt: '2026-11-20T00:00:00Z' },
  files: { certPem: 'PEM', chainPem: '', fullchainPem: 'PEM', keyPem: 'KEY' },
};

function deps(answer: RenewalInfo | undefined | Error, random = 0.5, at = now) {
  const logger = recordingLogger();
  let asked = 0;
  return {
    logger,
    asked: () => asked,
    deps: {
      client: async () => ({
        renewalInfo: async () => {
          asked++;
          if (answer instanceof Error) throw answer;
          return answer;
        },
      }),
      now: () => new Date(at),
      random: () => random,
      logger,
    },
  };
}

const empty: CertificateState = { schemaVersion: 1 };
const window = { start: now + 10 * HOUR, end: now + 20 * HOUR };
const problem = (status: number, type: string, retryAfterSeconds?: number) =>
  new AcmeProblemError('the renewal information request', 'https://ca.test/ari/x.y', status, { type: `urn:ietf:params:acme:error:${type}`, detail: `HTTP ${status}` }, retryAfterSeconds);
const transport = (code: string) => new AcmeTransportError('get', 'https://ca.test/ari/x.y', Object.assign(new Error(`boom ${code}`), { code }));

describe('refreshRenewalInfo: answers', () => {
  it('picks a moment inside a new window, and polls again at Retry-After', async () => {
    const { deps: d } = deps({ suggestedWindow: window, retryAfterSeconds: 3600 }, 0.25);
    const state = await refreshRenewalInfo(current, empty, d);
    expect(state.ari).toEqual({ serialNumber: 'aa', windowStart: window.start, windowEnd: window.end, chosenAt: window.start + 2.5 * 3_600_000 });
    expect(state.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: now + 3_600_000 });
  });

  it('keeps the chosen moment while the window is the same, and chooses again when it moves', async () => {
    const first = await refreshRenewalInfo(current, empty, deps({ suggestedWindow: window }, 0.1).deps);
    const same = await refreshRenewalInfo(current, first, deps({ suggestedWindow: window }, 0.9).deps);
    expect(same.ari!.chosenAt).toBe(first.ari!.chosenAt);
    expect(same.ariPoll!.nextPollAt).toBe(now + ARI_POLL_MS);
    const moved = await refreshRenewalInfo(current, first, deps({ suggestedWindow: { start: now - 7_200_000, end: now - 3_600_000 } }, 0.9).deps);
    expect(moved.ari!.chosenAt).toBe(now - 7_200_000 + 0.9 * 3_600_000);
  });

  it('keeps the explanationURL with the window', async () => {
    const state = await refreshRenewalInfo(current, empty, deps({ suggestedWindow: window, explanationURL: 'https://ca.test/incident' }).deps);
    expect(state.ari!.explanationUrl).toBe('https://ca.test/incident');
  });

  it('remembers a CA without ARI for a day', async () => {
    const state = await refreshRenewalInfo(current, { ...empty, ari: { serialNumber: 'aa', windowStart: 1, windowEnd: 2, chosenAt: 1 } }, deps(undefined).deps);
    expect(state.ari).toBeUndefined();
    expect(state.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: now + NO_ARI_POLL_MS });
  });

  it('clears the error count after an answer', async () => {
    const failing: CertificateState = { ...empty, ariPoll: { serialNumber: 'aa', nextPollAt: now, temporaryErrors: 3, lastError: 'HTTP 503' } };
    const state = await refreshRenewalInfo(current, failing, deps({ suggestedWindow: window, retryAfterSeconds: 21600 }).deps);
    expect(state.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: now + 21600 * 1000 });
  });
});

describe('refreshRenewalInfo: errors wait as RFC 9773 4.3.3 says (fake clock)', () => {
  it('never fails the run: the state keeps the last window, the warning says when it asks again', async () => {
    const withWindow: CertificateState = { ...empty, ari: { serialNumber: 'aa', windowStart: window.start, windowEnd: window.end, chosenAt: window.start } };
    const { deps: d, logger } = deps(transport('ECONNREFUSED'));
    const state = await refreshRenewalInfo(current, withWindow, d);
    expect(state.ari).toEqual(withWindow.ari);
    expect(logger.lines).toEqual([
      { level: 'warn', message: expect.stringMatching(/renewal information unavailable \(.*ECONNREFUSED.*\); asking again at 2026-12-01T06:00:00.000Z, keeping the last window the CA suggested until then/) },
    ]);
  });

  it('waits six hours after a 404 (a certificate the CA does not know: a long-term error)', async () => {
    const state = await refreshRenewalInfo(current, empty, deps(problem(404, 'malformed')).deps);
    expect(state.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: now + 6 * HOUR, lastError: expect.stringContaining('HTTP 404') });
    expect(renewalInfoDue(current.version, state, now + 6 * HOUR - 1)).toBe(false);
    expect(renewalInfoDue(current.version, state, now + 6 * HOUR)).toBe(true);
  });

  it('waits six hours after an invalid window, and a refused connection or a failed DNS lookup', async () => {
    for (const err of [new InvalidRenewalInfoError('window ends before it starts', undefined), transport('ECONNREFUSED'), transport('ENOTFOUND'), new Error('anything else')]) {
      const state = await refreshRenewalInfo(current, empty, deps(err).deps);
      expect(state.ariPoll!.nextPollAt).toBe(now + 6 * HOUR);
      expect(state.ariPoll!.temporaryErrors).toBeUndefined();
    }
  });

  it('backs off 1, 2, 4, 8 minutes after 5xx answers and timeouts in a row, then six hours, then starts again', async () => {
    let state = empty;
    let at = now;
    const waits: number[] = [];
    const errors = [problem(500, 'serverInternal'), problem(503, 'serverInternal'), transport('ETIMEDOUT'), transport('ECONNRESET'), problem(502, 'serverInternal'), problem(500, 'serverInternal')];
    for (const err of errors) {
      const next = await refreshRenewalInfo(current, state, deps(err, 0.5, at).deps);
      waits.push(next.ariPoll!.nextPollAt - at);
      at = next.ariPoll!.nextPollAt;
      state = next;
    }
    expect(ARI_TEMPORARY_TRIES).toBe(5);
    expect(waits).toEqual([1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 6 * HOUR, 1 * MINUTE]);
  });

  it('counts temporary errors per serial: a new certificate starts at a minute', async () => {
    const old: CertificateState = { ...empty, ariPoll: { serialNumber: 'old', nextPollAt: now, temporaryErrors: 4 } };
    const state = await refreshRenewalInfo(current, old, deps(problem(500, 'serverInternal')).deps);
    expect(state.ariPoll).toMatchObject({ serialNumber: 'aa', nextPollAt: now + MINUTE, temporaryErrors: 1 });
  });

  it('honours an error answer\'s Retry-After as a floor, clamped to a minute .. a day', async () => {
    expect((await refreshRenewalInfo(current, empty, deps(problem(503, 'serverInternal', 600)).deps)).ariPoll!.nextPollAt).toBe(now + 10 * MINUTE);
    // 0 is a minute at least, never "ask on every run"; ten years is a day, never "never again".
    expect((await refreshRenewalInfo(current, empty, deps(problem(503, 'serverInternal', 0)).deps)).ariPoll!.nextPollAt).toBe(now + MINUTE);
    expect((await refreshRenewalInfo(current, empty, deps(problem(503, 'serverInternal', 10 * 365 * 86_400)).deps)).ariPoll!.nextPollAt).toBe(now + 24 * HOUR);
    expect((await refreshRenewalInfo(current, empty, deps(problem(429, 'rateLimited', 12 * 3600)).deps)).ariPoll!.nextPollAt).toBe(now + 12 * HOUR);
    // A long-term error's six hours are not shortened by a smaller Retry-After.
    expect((await refreshRenewalInfo(current, empty, deps(problem(404, 'malformed', 60)).deps)).ariPoll!.nextPollAt).toBe(now + 6 * HOUR);
    expect((await refreshRenewalInfo(current, empty, deps(new InvalidRenewalInfoError('bad window', 86_400)).deps)).ariPoll!.nextPollAt).toBe(now + 24 * HOUR);
  });

  it('classifies as the RFC lists: timeouts and 5xx temporary, 4xx, DNS and refused connections long-term', () => {
    expect(classifyRenewalInfoError(problem(500, 'serverInternal')).kind).toBe('temporary');
    expect(classifyRenewalInfoError(transport('ETIMEDOUT')).kind).toBe('temporary');
    expect(classifyRenewalInfoError(problem(404, 'malformed')).kind).toBe('long-term');
    expect(classifyRenewalInfoError(problem(400, 'malformed')).kind).toBe('long-term');
    expect(classifyRenewalInfoError(transport('ENOTFOUND')).kind).toBe('long-term');
    expect(classifyRenewalInfoError(transport('ECONNREFUSED')).kind).toBe('long-term');
    expect(renewalInfoErrorWait(0)).toBe(6 * HOUR);
    expect(renewalInfoErrorWait(1, 5)).toBe(MINUTE);
  });
});

describe('renewalInfoDue', () => {
  const expired = { ...current.version, notAfter: new Date(now).toISOString() };

  it('asks for a serial never asked about, and when the time set has come', () => {
    expect(renewalInfoDue(current.version, empty, now)).toBe(true);
    expect(renewalInfoDue(current.version, { ariPoll: { serialNumber: 'other', nextPollAt: now + HOUR } }, now)).toBe(true);
    expect(renewalInfoDue(current.version, { ariPoll: { serialNumber: 'aa', nextPollAt: now + HOUR } }, now)).toBe(false);
    expect(renewalInfoDue(current.version, { ariPoll: { serialNumber: 'aa', nextPollAt: now } }, now)).toBe(true);
  });

  it('never asks about an expired certificate (RFC 9773 4.3: MUST NOT)', async () => {
    expect(renewalInfoDue(expired, empty, now)).toBe(false);
    expect(renewalInfoDue(expired, { ariPoll: { serialNumber: 'aa', nextPollAt: 0 } }, now + DAY)).toBe(false);
    const d = deps({ suggestedWindow: window });
    expect(await refreshRenewalInfo({ ...current, version: expired }, empty, d.deps)).toBe(empty);
    expect(d.asked()).toBe(0);
  });

  it('asks at once after a revocation, whatever the last answer said', () => {
    const polled: CertificateState = { ...empty, ariPoll: { serialNumber: 'aa', nextPollAt: now + 20 * HOUR, temporaryErrors: 2 } };
    const revoked = askRenewalInfoNow(polled, 'aa');
    expect(revoked.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: 0 });
    expect(renewalInfoDue(current.version, revoked, now)).toBe(true);
  });
});

const DAY = 24 * HOUR;

describe('mayReplace (RFC 9773 5)', () => {
  const previous = { serialNumber: 'aa', domains: ['a.test', 'www.a.test'], accountUrl: 'https://ca.test/acct/1' };

  it('names the predecessor when the order shares a name and comes from the same account', () => {
    expect(mayReplace(previous, { domains: ['a.test', 'new.a.test'], accountUrl: 'https://ca.test/acct/1' })).toBe(true);
    expect(mayReplace(previous, { domains: ['WWW.A.TEST'], accountUrl: 'https://ca.test/acct/1' })).toBe(true);
  });

  it('does not when no name is shared, and says why', () => {
    const log = recordingLogger();
    expect(mayReplace(previous, { domains: ['b.test'], accountUrl: 'https://ca.test/acct/1' }, log)).toBe(false);
    expect(log.lines[0]!.message).toMatch(/shares no name with serial aa/);
  });

  it('does not when another account orders', () => {
    const log = recordingLogger();
    expect(mayReplace(previous, { domains: ['a.test'], accountUrl: 'https://ca.test/acct/2' }, log)).toBe(false);
    expect(log.lines[0]!.message).toMatch(/another ACME account/);
  });

  it('sends it when the old version did not record its account (the client falls back if the CA refuses)', () => {
    expect(mayReplace({ serialNumber: 'aa', domains: ['a.test'] }, { domains: ['a.test'], accountUrl: 'https://ca.test/acct/9' })).toBe(true);
  });
});
