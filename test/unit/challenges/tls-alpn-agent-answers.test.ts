/**
 * What the agent presents to a tls-alpn-01 handshake (challenges/tls-alpn-01/agent-answers.ts),
 * with a fake store and a fake certificate maker: which answer, which refusals, and the bounds that
 * keep a scanner from making it generate keys or query the store without limit.
 */
import { describe, expect, it } from 'vitest';
import { TlsAlpnAnswers, type TlsAlpnAnswerLimits } from '../../../src/challenges/tls-alpn-01/agent-answers.js';
import type { ChallengeToken } from '../../../src/store/ports.js';

const answerFor = (identifier: string, keyAuthorization = `tok-${identifier}.thumb`, type: ChallengeToken['type'] = 'tls-alpn-01'): ChallengeToken => ({
  token: `tok-${identifier}`,
  keyAuthorization,
  identifier,
  type,
  expiresAt: 10_000_000,
});

interface Harness {
  answers: TlsAlpnAnswers<string>;
  lookups: string[];
  made: string[];
  clock: { t: number };
  store: Map<string, ChallengeToken>;
}

function harness(options: { limits?: Partial<TlsAlpnAnswerLimits>; lookup?: (name: string) => Promise<ChallengeToken | undefined>; make?: (name: string, ka: string) => Promise<string> } = {}): Harness {
  const store = new Map<string, ChallengeToken>();
  const lookups: string[] = [];
  const made: string[] = [];
  const clock = { t: 1_000_000 };
  const answers = new TlsAlpnAnswers<string>({
    lookup:
      options.lookup ??
      ((name) => {
        lookups.push(name);
        return Promise.resolve(store.get(name));
      }),
    makeContext:
      options.make ??
      ((name, ka) => {
        made.push(`${name} ${ka}`);
        return Promise.resolve(`context ${made.length} for ${name} ${ka}`);
      }),
    now: () => clock.t,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return { answers, lookups, made, clock, store };
}

describe('TlsAlpnAnswers: which answer', () => {
  it('presents the certificate for the key authorization stored under the SNI name, looked up in lower case', async () => {
    const h = harness();
    h.store.set('www.example.test', answerFor('www.example.test', 'abc.def'));
    const got = await h.answers.answer('WWW.Example.TEST');
    expect(got).toEqual({ ok: true, context: 'context 1 for www.example.test abc.def', name: 'www.example.test', made: true });
    expect(h.lookups).toEqual(['www.example.test']);
  });

  it('refuses a name without an answer, and one whose stored answer is of another type or another name', async () => {
    const h = harness();
    h.store.set('http.example.test', answerFor('http.example.test', 'k.a', 'http-01'));
    h.store.set('alias.example.test', answerFor('other.example.test'));
    for (const name of ['none.example.test', 'http.example.test', 'alias.example.test']) {
      const got = await h.answers.answer(name);
      expect(got, name).toMatchObject({ ok: false, reason: 'no-answer', name, note: `${name}: no tls-alpn-01 answer in the store (none, or expired)` });
    }
    expect(h.made).toEqual([]);
  });

  it('refuses what is no DNS name without a lookup', async () => {
    const h = harness();
    for (const name of ['', 'a..b', '-a.example', 'a.example.', 'under score.example', 'x'.repeat(64) + '.example', `${'a.'.repeat(127)}ab`, 'é.example']) {
      expect(await h.answers.answer(name), JSON.stringify(name)).toMatchObject({ ok: false, reason: 'not-a-name' });
    }
    expect(h.lookups).toEqual([]);
  });

  it('refuses when the store lookup fails, naming the error but no key authorization', async () => {
    const h = harness({ lookup: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) });
    expect(await h.answers.answer('www.example.test')).toEqual({
      ok: false,
      reason: 'store',
      name: 'www.example.test',
      note: 'www.example.test: the store lookup failed: connect ECONNREFUSED 127.0.0.1:5432',
    });
  });

  it('a certificate that cannot be made is a refusal, and is not kept: the next handshake tries again', async () => {
    let fail = true;
    const h = harness({ make: (name) => (fail ? Promise.reject(new Error('no entropy')) : Promise.resolve(`ok ${name}`)) });
    h.store.set('www.example.test', answerFor('www.example.test'));
    expect(await h.answers.answer('www.example.test')).toMatchObject({ ok: false, reason: 'failed', note: 'www.example.test: the challenge certificate could not be made: no entropy' });
    expect(h.answers.cached).toBe(0);
    fail = false;
    expect(await h.answers.answer('www.example.test')).toMatchObject({ ok: true, context: 'ok www.example.test' });
  });
});

describe('TlsAlpnAnswers: the cache', () => {
  it('reuses a certificate per name and key authorization for the TTL, but still asks the store every time', async () => {
    const h = harness({ limits: { cacheTtlMs: 5_000 } });
    h.store.set('www.example.test', answerFor('www.example.test', 'one.x'));
    const first = await h.answers.answer('www.example.test');
    h.clock.t += 4_999;
    const again = await h.answers.answer('www.example.test');
    expect(again).toEqual({ ...first, made: false });
    expect(h.made).toEqual(['www.example.test one.x']);
    expect(h.lookups).toHaveLength(2);
    // Another order for the same name: another key authorization, another certificate at once.
    h.store.set('www.example.test', answerFor('www.example.test', 'two.x'));
    expect(await h.answers.answer('www.example.test')).toMatchObject({ ok: true, context: 'context 2 for www.example.test two.x', made: true });
    // Past the TTL the first is made anew.
    h.store.set('www.example.test', answerFor('www.example.test', 'one.x'));
    h.clock.t += 1;
    expect(await h.answers.answer('www.example.test')).toMatchObject({ ok: true, context: 'context 3 for www.example.test one.x', made: true });
  });

  it('serves nothing from the cache once the answer left the store (cleanup)', async () => {
    const h = harness();
    h.store.set('www.example.test', answerFor('www.example.test'));
    expect((await h.answers.answer('www.example.test')).ok).toBe(true);
    h.store.delete('www.example.test');
    expect(await h.answers.answer('www.example.test')).toMatchObject({ ok: false, reason: 'no-answer' });
  });

  it('makes one certificate for handshakes that arrive together', async () => {
    const h = harness();
    h.store.set('www.example.test', answerFor('www.example.test'));
    const all = await Promise.all(Array.from({ length: 5 }, () => h.answers.answer('www.example.test')));
    expect(all.map((a) => a.ok)).toEqual([true, true, true, true, true]);
    expect(h.made).toHaveLength(1);
  });

  it('keeps at most cacheEntries certificates, the oldest leaving first, and drops expired ones', async () => {
    const h = harness({ limits: { cacheEntries: 3, cacheTtlMs: 10_000, burst: 100 } });
    for (const n of [1, 2, 3, 4, 5]) h.store.set(`n${n}.example.test`, answerFor(`n${n}.example.test`));
    for (const n of [1, 2, 3, 4, 5]) await h.answers.answer(`n${n}.example.test`);
    expect(h.answers.cached).toBe(3);
    // n1 left first: asking for it again makes a new certificate; n5 is still kept.
    await h.answers.answer('n5.example.test');
    expect(h.made).toHaveLength(5);
    await h.answers.answer('n1.example.test');
    expect(h.made).toHaveLength(6);
    expect(h.answers.cached).toBe(3);
    h.clock.t += 10_000;
    h.store.set('fresh.example.test', answerFor('fresh.example.test'));
    await h.answers.answer('fresh.example.test');
    expect(h.answers.cached).toBe(1);
  });
});

describe('TlsAlpnAnswers: rate and concurrency bounds', () => {
  it('makes at most `burst` certificates at once, then `perSecond` a second; reuse costs nothing', async () => {
    const h = harness({ limits: { burst: 3, perSecond: 2, cacheEntries: 100 } });
    for (let n = 0; n < 10; n++) h.store.set(`n${n}.example.test`, answerFor(`n${n}.example.test`));
    const burst = await Promise.all([0, 1, 2, 3, 4].map((n) => h.answers.answer(`n${n}.example.test`)));
    expect(burst.map((a) => (a.ok ? 'ok' : a.reason))).toEqual(['ok', 'ok', 'ok', 'rate', 'rate']);
    expect(burst[3]).toMatchObject({ note: 'n3.example.test: more than 2 challenge certificates a second asked for' });
    // Cached ones are still served while the bucket is empty.
    expect(await h.answers.answer('n0.example.test')).toMatchObject({ ok: true, made: false });
    h.clock.t += 499;
    expect(await h.answers.answer('n3.example.test')).toMatchObject({ ok: false, reason: 'rate' });
    h.clock.t += 1;
    expect(await h.answers.answer('n3.example.test')).toMatchObject({ ok: true, made: true });
    expect(await h.answers.answer('n4.example.test')).toMatchObject({ ok: false, reason: 'rate' });
    // A long pause refills to the burst, never beyond it.
    h.clock.t += 3_600_000;
    const after = await Promise.all([4, 5, 6, 7].map((n) => h.answers.answer(`n${n}.example.test`)));
    expect(after.map((a) => (a.ok ? 'ok' : a.reason))).toEqual(['ok', 'ok', 'ok', 'rate']);
    expect(h.made).toHaveLength(7);
  });

  it('lets at most pendingLookups wait on the store; the rest are refused without a query', async () => {
    const waiting: Array<() => void> = [];
    let queries = 0;
    const h = harness({
      limits: { pendingLookups: 2 },
      lookup: () => {
        queries++;
        return new Promise((resolve) => waiting.push(() => resolve(undefined)));
      },
    });
    const first = [h.answers.answer('a.example.test'), h.answers.answer('b.example.test')];
    expect(await h.answers.answer('c.example.test')).toMatchObject({ ok: false, reason: 'busy', note: 'c.example.test: 2 lookups already wait on the store' });
    expect(queries).toBe(2);
    for (const release of waiting) release();
    expect((await Promise.all(first)).map((a) => (a.ok ? 'ok' : a.reason))).toEqual(['no-answer', 'no-answer']);
    // Room again once they finished.
    const next = h.answers.answer('c.example.test');
    waiting[2]!();
    expect(await next).toMatchObject({ reason: 'no-answer' });
  });
});
