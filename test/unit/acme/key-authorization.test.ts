/** JWK thumbprints (RFC 7638) and key authorizations (RFC 8555 8.1). */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dnsTxtValue, jwkThumbprint, keyAuthorization } from '../../../src/acme/key-authorization.js';

// RFC 7638 section 3.1: the example RSA key and its thumbprint.
const rfc7638Key = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

describe('jwkThumbprint', () => {
  it('matches the RFC 7638 example, ignoring optional members', () => {
    expect(jwkThumbprint(rfc7638Key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('does not depend on member order for EC keys', () => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const reversed = Object.fromEntries(Object.entries(jwk).reverse());
    expect(jwkThumbprint(reversed)).toBe(jwkThumbprint(jwk));
    expect(jwkThumbprint(jwk)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a key type it has no rule for', () => {
    expect(() => jwkThumbprint({ kty: 'oct', k: 'x' })).toThrow(/no RFC 7638 thumbprint/);
  });
});

describe('keyAuthorization and dnsTxtValue', () => {
  it('joins token and thumbprint; the TXT value is a 43-character base64url digest of that', () => {
    const keyAuth = keyAuthorization('evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(keyAuth).toBe('evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    const txt = dnsTxtValue(keyAuth);
    expect(txt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(dnsTxtValue(`${keyAuth}x`)).not.toBe(txt);
  });
});
