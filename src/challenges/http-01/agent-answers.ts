/**
 * What an agent answers to one HTTP request for an http-01 challenge another node ordered
 * (agents.ts put the answer in the shared store): the request in, the response out, the store
 * behind one lookup by token. Pure apart from that lookup, so every rule is tested without a socket.
 * Only GET/HEAD /.well-known/acme-challenge/<token> with a plausible token costs a lookup; anything
 * else is answered without touching the store, so a scanner cannot make the agent query it.
 */
import { describeError } from '../../errors.js';
import type { ChallengeToken } from '../../store/ports.js';

export const CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** ACME tokens are base64url of at least 128 bits (RFC 8555 §8.3): 43 characters at every CA we know; 256 leaves room. */
export const MAX_TOKEN_LENGTH = 256;
/** A request line's target longer than this is refused before it is parsed (414). */
export const MAX_URL_LENGTH = 1024;

const TOKEN = /^[A-Za-z0-9_-]+$/;

export interface AnswerRequest {
  method: string | undefined;
  url: string | undefined;
}

export interface AnswerResponse {
  status: 200 | 404 | 405 | 414 | 503;
  headers: Record<string, string>;
  /** The key authorization on 200; a short reason otherwise (never a key authorization). */
  body: string;
  /** What to log (debug), without the key authorization. */
  note: string;
}

/** The token of /.well-known/acme-challenge/<token> (a query string ignored), or undefined for any other path. */
export function challengeToken(url: string): string | undefined {
  const path = url.split('?', 1)[0] as string;
  if (!path.startsWith(CHALLENGE_PREFIX)) return undefined;
  const token = path.slice(CHALLENGE_PREFIX.length);
  return token.length <= MAX_TOKEN_LENGTH && TOKEN.test(token) ? token : undefined;
}

const plain = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

function refusal(status: AnswerResponse['status'], body: string, note: string, extra: Record<string, string> = {}): AnswerResponse {
  return { status, headers: { ...plain, ...extra }, body: `${body}\n`, note };
}

/**
 * The response to one request. `lookup` is one indexed read of the store by token that returns
 * nothing for an expired answer; its failure is a 503 (the CA may retry; a 404 would say "no such
 * challenge" when the truth is "the store is unreachable").
 */
export async function answerChallenge(request: AnswerRequest, lookup: (token: string) => Promise<ChallengeToken | undefined>): Promise<AnswerResponse> {
  const url = request.url ?? '';
  if (url.length > MAX_URL_LENGTH) return refusal(414, 'request target too long', `a ${url.length}-character request target`);
  const token = challengeToken(url);
  if (token === undefined) return refusal(404, 'not found', 'not a challenge path');
  if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405, 'GET or HEAD only', `method ${String(request.method)}`, { allow: 'GET, HEAD' });
  let answer: ChallengeToken | undefined;
  try {
    answer = await lookup(token);
  } catch (err) {
    return refusal(503, 'the challenge store is unavailable', `token ${token}: the store lookup failed: ${describeError(err)}`, { 'retry-after': '5' });
  }
  // A tls-alpn-01 answer is not served over HTTP: the CA asked for another proof.
  if (answer === undefined || answer.type !== 'http-01') return refusal(404, 'not found', `token ${token}: no http-01 answer in the store (none, or expired)`);
  // The key authorization as the CA compares it: the exact bytes, text/plain, nothing cached on the way.
  return { status: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' }, body: answer.keyAuthorization, note: `token ${token}: answered for ${answer.identifier}` };
}
