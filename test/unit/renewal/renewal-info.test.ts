import { describe, expect, it } from 'vitest';
import type { RenewalInfo } from '../../../src/acme/index.js';
import { recordingLogger } from '../../../src/logger.js';
import { NO_ARI_POLL_MS, ARI_POLL_MS, refreshRenewalInfo, type CurrentCertificate } from '../../../src/renewal/renewal-info.js';
import type { CertificateState } from '../../../src/store/certificate-store.js';

const now = Date.parse('2026-12-01T00:00:00Z');
const current: CurrentCertificate = {
  version: { id: 'v1', serialNumber: 'aa', notBefore: '2026-11-20T00:00:00Z', notAfter: '2027-01-04T00:00:00Z', domains: ['a.test'], issuedAt: '2026-11-20T00:00:00Z' },
  files: { certPem: 'PEM', chainPem: '', fullchainPem: 'PEM', keyPem: 'KEY' },
};

function deps(answer: RenewalInfo | undefined | Error, random = 0.5) {
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
      now: () => new Date(now),
      random: () => random,
      logger,
    },
  };
}

const empty: CertificateState = { schemaVersion: 1 };
const window = { start: now + 10 * 3_600_000, end: now + 20 * 3_600_000 };

describe('refreshRenewalInfo', () => {
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

  it('remembers a CA without ARI for a day', async () => {
    const state = await refreshRenewalInfo(current, { ...empty, ari: { serialNumber: 'aa', windowStart: 1, windowEnd: 2, chosenAt: 1 } }, deps(undefined).deps);
    expect(state.ari).toBeUndefined();
    expect(state.ariPoll).toEqual({ serialNumber: 'aa', nextPollAt: now + NO_ARI_POLL_MS });
  });

  it('never fails the run: a CA error leaves the state as it was, with a warning', async () => {
    const { deps: d, logger } = deps(new Error('connect ECONNREFUSED 127.0.0.1:14000'));
    expect(await refreshRenewalInfo(current, empty, d)).toBe(empty);
    expect(logger.lines).toEqual([{ level: 'warn', message: expect.stringMatching(/renewal information unavailable \(connect ECONNREFUSED.*\); using the lifetime schedule/) }]);
  });
});
