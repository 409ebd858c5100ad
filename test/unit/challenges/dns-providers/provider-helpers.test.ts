import { describe, expect, it } from 'vitest';
import { cachedToken, readTokenResponse } from '../../../../src/challenges/dns-providers/oauth.js';
import { keyedQueue, quoteTxt, unquoteTxt } from '../../../../src/challenges/dns-providers/txt-set.js';
import { inZone, longestZone, relativeName, zoneCandidates } from '../../../../src/challenges/dns-providers/zone-match.js';

const signal = new AbortController().signal;

describe('zone matching', () => {
  it('asks for the suffixes longest first, down to two labels', () => {
    expect(zoneCandidates('_acme-challenge.WWW.example.com.')).toEqual(['_acme-challenge.www.example.com', 'www.example.com', 'example.com']);
  });

  it('picks the longest zone that holds the name, on label boundaries', () => {
    const zones = ['example.com', 'www.example.com', 'ample.com', 'xwww.example.com'];
    expect(longestZone('_acme-challenge.www.example.com', zones, (z) => z)).toBe('www.example.com');
    expect(longestZone('_acme-challenge.example.org', zones, (z) => z)).toBeUndefined();
    expect(inZone('example.com', 'ample.com')).toBe(false);
    expect(relativeName('_acme-challenge.www.example.com', 'example.com.')).toBe('_acme-challenge.www');
    expect(relativeName('example.com', 'example.com')).toBe('@');
  });
});

describe('TXT sets', () => {
  it('quotes a value and reads quoted, split and escaped rdata back', () => {
    expect(quoteTxt('abc')).toBe('"abc"');
    expect(unquoteTxt(quoteTxt('a"b\\c'))).toBe('a"b\\c');
    expect(unquoteTxt('"part one" "part two"')).toBe('part onepart two');
    expect(unquoteTxt('bare')).toBe('bare');
  });

  it('runs tasks for one key one after another, even after a failure, and other keys alongside', async () => {
    const queue = keyedQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = queue('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
      throw new Error('a1 failed');
    });
    const second = queue('a', async () => {
      log.push('a2');
      return 2;
    });
    const other = queue('b', async () => {
      log.push('b1');
      return 'b';
    });
    await expect(other).resolves.toBe('b');
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await expect(first).rejects.toThrow('a1 failed');
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });
});

describe('cachedToken', () => {
  it('asks once for callers that arrive together, keeps the token until shortly before it expires, and does not keep a failure', async () => {
    let clock = new Date('2026-12-03T12:00:00Z');
    const answers: Array<() => Promise<{ accessToken: string; expiresIn: number }>> = [
      async () => {
        throw new Error('refused');
      },
      async () => ({ accessToken: 't1', expiresIn: 3600 }),
      async () => ({ accessToken: 't2', expiresIn: 3600 }),
    ];
    let asked = 0;
    const token = cachedToken(() => answers[asked++]!(), () => clock);
    await expect(token(signal)).rejects.toThrow('refused');
    expect(await Promise.all([token(signal), token(signal)])).toEqual(['t1', 't1']);
    expect(asked).toBe(2);
    clock = new Date(clock.getTime() + 3600_000 - 61_000);
    expect(await token(signal)).toBe('t1');
    clock = new Date(clock.getTime() + 2_000);
    expect(await token(signal)).toBe('t2');
    expect(asked).toBe(3);
  });

  it("does not bind the shared request to the first caller's signal: one cancelled caller leaves the others their token", async () => {
    let release: (token: { accessToken: string; expiresIn: number }) => void = () => {};
    let seen: AbortSignal | undefined;
    const token = cachedToken(
      (requestSignal) => {
        seen = requestSignal;
        return new Promise((resolve) => (release = resolve));
      },
      () => new Date('2026-12-03T12:00:00Z'),
    );
    const first = new AbortController();
    const cancelled = token(first.signal);
    const other = token(signal);
    first.abort(new Error('run cancelled'));
    await expect(cancelled).rejects.toThrow('run cancelled');
    expect(seen?.aborted).toBe(false);
    release({ accessToken: 't1', expiresIn: 3600 });
    expect(await other).toBe('t1');
  });

  it('reads a token answer, with expires_in as a number or a string', () => {
    expect(readTokenResponse({ access_token: 'a', expires_in: 3599 })).toEqual({ accessToken: 'a', expiresIn: 3599 });
    expect(readTokenResponse({ access_token: 'a', expires_in: '3599' })).toEqual({ accessToken: 'a', expiresIn: 3599 });
    expect(readTokenResponse({ access_token: '', expires_in: 1 })).toBeUndefined();
    expect(readTokenResponse('nope')).toBeUndefined();
  });
});
