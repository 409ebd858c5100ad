/**
 * The signer signs with the KeyObject it is given, and the JWS is exactly right: every signature
 * verifies against the public JWK in the request (RFC 7515/7518: RS256, ES256, ES384 as raw
 * r||s), in `kid` and `jwk` form, POST-as-GET, and with an External Account Binding (RFC 8555
 * 7.3.4). acme-client is handed an empty key (see signer.ts), so if an upgrade of acme-client
 * signs from anywhere but the KeyObject put in its HttpClient, these tests fail instead of
 * issuance silently becoming slow again.
 */
import { createHmac, createPublicKey, generateKeyPairSync, sign as cryptoSign, verify, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AcmeSigner, type JwsBody } from '../../../src/acme/signer.js';
import type { AcmeHttpResponse, AcmeTransport, HttpMethod } from '../../../src/acme/transport.js';

const directoryUrl = 'https://127.0.0.1:9/dir';
const directory = { newNonce: 'https://127.0.0.1:9/nonce', newAccount: 'https://127.0.0.1:9/acct', newOrder: 'https://127.0.0.1:9/order' };

/** Answers every request itself (nothing is sent anywhere) and keeps the signed bodies. */
function fakeTransport(): { transport: AcmeTransport; posts: Array<{ url: string; body: JwsBody & Record<string, unknown> }> } {
  const posts: Array<{ url: string; body: JwsBody & Record<string, unknown> }> = [];
  let nonce = 0;
  const fake = {
    takeNonce: () => `nonce-${++nonce}`,
    request: async (url: string, method: HttpMethod, body?: unknown): Promise<AcmeHttpResponse> => {
      if (method === 'post') posts.push({ url, body: body as JwsBody & Record<string, unknown> });
      return { status: 200, headers: { 'replay-nonce': `nonce-${++nonce}` }, data: method === 'get' ? directory : { status: 'valid' } };
    },
  };
  return { transport: fake as unknown as AcmeTransport, posts };
}

const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

const keys: Array<{ alg: string; hash: string; key: KeyObject }> = [
  { alg: 'RS256', hash: 'sha256', key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey },
  { alg: 'ES256', hash: 'sha256', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey },
  { alg: 'ES384', hash: 'sha384', key: generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey },
];

/** Checks the JWS signature against `jwk` (the key named in the request, or the known account key). */
function expectValidJws(body: JwsBody, alg: string, hash: string, jwk: Record<string, string>): void {
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const data = Buffer.from(`${body.protected}.${body.payload}`, 'utf8');
  const signature = Buffer.from(body.signature, 'base64url');
  expect(decode(body.protected).alg).toBe(alg);
  // JWS ECDSA signatures are r||s of the curve's size (RFC 7518 3.4), not DER.
  if (alg !== 'RS256') expect(signature.length).toBe(alg === 'ES256' ? 64 : 96);
  expect(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
}

function newSigner(key: KeyObject, transport: AcmeTransport): AcmeSigner {
  return new AcmeSigner({ directoryUrl, key, transport, badNonceRetries: 0 });
}

describe('AcmeSigner', () => {
  for (const { alg, hash, key } of keys) {
    it(`signs ${alg} requests with the KeyObject, in jwk and kid form, that verify against the public JWK`, async () => {
      const { transport, posts } = fakeTransport();
      const signer = newSigner(key, transport);
      const jwk = signer.jwk();
      expect(jwk).toEqual(Object.fromEntries(Object.entries(createPublicKey(key).export({ format: 'jwk' })).sort(([a], [b]) => a.localeCompare(b))));

      await signer.post(directory.newAccount, { termsOfServiceAgreed: true });
      await signer.post(directory.newOrder, { identifiers: [{ type: 'dns', value: 'a.test' }] }, { kid: 'https://127.0.0.1:9/acct/1' });
      await signer.post('https://127.0.0.1:9/order/1', null, { kid: 'https://127.0.0.1:9/acct/1' });
      expect(posts).toHaveLength(3);

      const [account, order, postAsGet] = posts.map((p) => p.body as JwsBody) as [JwsBody, JwsBody, JwsBody];
      expect(decode(account.protected)).toEqual({ alg, url: directory.newAccount, nonce: expect.stringMatching(/^nonce-/), jwk });
      expect(decode(account.payload)).toEqual({ termsOfServiceAgreed: true });
      expectValidJws(account, alg, hash, decode(account.protected).jwk as Record<string, string>);

      expect(decode(order.protected)).toEqual({ alg, url: directory.newOrder, nonce: expect.stringMatching(/^nonce-/), kid: 'https://127.0.0.1:9/acct/1' });
      expectValidJws(order, alg, hash, jwk);

      expect(postAsGet.payload).toBe('');
      expectValidJws(postAsGet, alg, hash, jwk);

      const detached = signer.signDetached(directory.newAccount, { account: 'x' });
      expect(decode(detached.protected)).toEqual({ alg, url: directory.newAccount, jwk });
      expectValidJws(detached, alg, hash, jwk);
    });
  }

  it('RS256 signatures are the same bytes the PEM path gives (PKCS#1 v1.5 is deterministic)', async () => {
    const { key } = keys[0]!;
    const { transport, posts } = fakeTransport();
    await newSigner(key, transport).post(directory.newOrder, { identifiers: [] }, { kid: 'k' });
    const body = posts[0]!.body;
    const pem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(body.signature).toBe(cryptoSign('sha256', Buffer.from(`${body.protected}.${body.payload}`), pem).toString('base64url'));
  });

  it('adds an External Account Binding whose HMAC verifies and whose payload is the account JWK', async () => {
    const { key } = keys[1]!;
    const { transport, posts } = fakeTransport();
    const signer = newSigner(key, transport);
    const hmacKey = Buffer.from('an EAB key of thirty-two bytes!!').toString('base64url');
    await signer.post(directory.newAccount, { termsOfServiceAgreed: true }, { eab: { kid: 'eab-kid-1', hmacKey } });

    const body = posts[0]!.body;
    expectValidJws(body, 'ES256', 'sha256', signer.jwk());
    const eab = decode(body.payload).externalAccountBinding as JwsBody;
    expect(decode(eab.protected)).toEqual({ alg: 'HS256', kid: 'eab-kid-1', url: directory.newAccount });
    expect(decode(eab.payload)).toEqual(signer.jwk());
    const mac = createHmac('sha256', Buffer.from(hmacKey, 'base64url')).update(`${eab.protected}.${eab.payload}`).digest('base64url');
    expect(eab.signature).toBe(mac);

    // The HMAC key is gone after the request: the next newAccount carries no binding.
    await signer.post(directory.newAccount, { termsOfServiceAgreed: true });
    expect(decode(posts[1]!.body.payload).externalAccountBinding).toBeUndefined();
  });

  it('refuses public, Ed25519 and RSA-PSS keys before any request', () => {
    const { transport, posts } = fakeTransport();
    expect(() => newSigner(createPublicKey(keys[1]!.key), transport)).toThrow(/private key/);
    expect(() => newSigner(generateKeyPairSync('ed25519').privateKey, transport)).toThrow(/must be EC or RSA, not ed25519/);
    expect(() => newSigner(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey, transport)).toThrow(/must be EC or RSA, not rsa-pss/);
    expect(posts).toHaveLength(0);
  });
});
