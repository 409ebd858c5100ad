/**
 * The agent's http-01 answer to one request (agent-answers.ts): which paths reach the store (only
 * /.well-known/acme-challenge/<base64url token> within the length limit), what 404s, the method
 * and length refusals, a store failure as 503, and the 200 carrying only the key authorization.
 */
import { describe, expect, it } from 'vitest';
import { answerChallenge, challengeToken, MAX_TOKEN_LENGTH, MAX_URL_LENGTH } from '../../../src/challenges/http-01/agent-answers.js';
import type { ChallengeToken } from '../../../src/store/ports.js';

const TOKEN = 'evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA';
const KEY_AUTHORIZATION = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const stored: ChallengeToken = { token: TOKEN, keyAuthorization: KEY_AUTHORIZATION, identifier: 'www.example.test', type: 'http-01', expiresAt: Date.now() + 60_000 };

/** A store holding `entries`, recording every lookup. */
function store(entries: ChallengeToken[] = [stored]) {
  const lookups: string[] = [];
  return {
    lookups,
    lookup: (token: string) => {
      lookups.push(token);
      return Promise.resolve(entries.find((e) => e.token === token));
    },
  };
}

describe('challengeToken', () => {
  it('takes the token of the challenge path, a query string ignored', () => {
    expect(challengeToken(`/.well-known/acme-challenge/${TOKEN}`)).toBe(TOKEN);
    expect(challengeToken(`/.well-known/acme-challenge/${TOKEN}?x=1`)).toBe(TOKEN);
  });

  it('gives nothing for any other path, a token that is not base64url, or one past the limit', () => {
    for (const url of [
      '/',
      '/metrics',
      '/.well-known/acme-challenge/',
      '/.well-known/acme-challenge',
      `/.well-known/acme-challenge/${TOKEN}/extra`,
      `/.well-known/acme-challenge/..%2F${TOKEN}`,
      `/.well-known/acme-challenge/../${TOKEN}`,
      `/.well-known/acme-challenge/${TOKEN}.txt`,
      `/.well-known/acme-challenge/${TOKEN}%00`,
      `/.WELL-KNOWN/acme-challenge/${TOKEN}`,
      `//.well-known/acme-challenge/${TOKEN}`,
      `http://evil.test/.well-known/acme-challenge/${TOKEN}`,
    ]) {
      expect(challengeToken(url), url).toBeUndefined();
    }
    expect(challengeToken(`/.well-known/acme-challenge/${'a'.repeat(MAX_TOKEN_LENGTH)}`)).toBe('a'.repeat(MAX_TOKEN_LENGTH));
    expect(challengeToken(`/.well-known/acme-challenge/${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`)).toBeUndefined();
  });
});

describe('answerChallenge', () => {
  it('answers a stored token with only its key authorization, as text/plain, not cached', async () => {
    const s = store();
    const answer = await answerChallenge({ method: 'GET', url: `/.well-known/acme-challenge/${TOKEN}` }, s.lookup);
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(KEY_AUTHORIZATION);
    expect(answer.headers).toEqual({ 'content-type': 'text/plain', 'cache-control': 'no-store' });
    expect(s.lookups).toEqual([TOKEN]);
    expect(answer.note).not.toContain(KEY_AUTHORIZATION.split('.')[1]);
    expect((await answerChallenge({ method: 'HEAD', url: `/.well-known/acme-challenge/${TOKEN}` }, s.lookup)).status).toBe(200);
  });

  it('is 404 for a token the store does not have (never stored, deleted, or expired: the lookup returns nothing)', async () => {
    const s = store();
    const answer = await answerChallenge({ method: 'GET', url: '/.well-known/acme-challenge/unknown-token' }, s.lookup);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('not found\n');
    expect(s.lookups).toEqual(['unknown-token']);
  });

  it('is 404 for a tls-alpn-01 answer: it is not served over HTTP', async () => {
    const s = store([{ ...stored, type: 'tls-alpn-01' }]);
    const answer = await answerChallenge({ method: 'GET', url: `/.well-known/acme-challenge/${TOKEN}` }, s.lookup);
    expect(answer.status).toBe(404);
    expect(answer.body).not.toContain(KEY_AUTHORIZATION);
  });

  it('is 404 for any other path, without asking the store', async () => {
    const s = store();
    for (const url of ['/', '/index.html', `/.well-known/acme-challenge/${TOKEN}/x`, '/.well-known/acme-challenge/a+b', `/.well-known/acme-challenge/${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`, undefined]) {
      const answer = await answerChallenge({ method: 'GET', url }, s.lookup);
      expect(answer.status, String(url)).toBe(404);
    }
    expect(s.lookups).toEqual([]);
  });

  it('refuses a request target past the limit with 414, and methods other than GET and HEAD with 405, without asking the store', async () => {
    const s = store();
    const long = await answerChallenge({ method: 'GET', url: `/.well-known/acme-challenge/${TOKEN}?${'q'.repeat(MAX_URL_LENGTH)}` }, s.lookup);
    expect(long.status).toBe(414);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', undefined]) {
      const answer = await answerChallenge({ method, url: `/.well-known/acme-challenge/${TOKEN}` }, s.lookup);
      expect(answer.status, String(method)).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    }
    expect(s.lookups).toEqual([]);
  });

  it('is 503 when the store cannot be read, saying so without any key authorization', async () => {
    const answer = await answerChallenge({ method: 'GET', url: `/.well-known/acme-challenge/${TOKEN}` }, () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body).toBe('the challenge store is unavailable\n');
    expect(answer.note).toContain('ECONNREFUSED');
  });
});
