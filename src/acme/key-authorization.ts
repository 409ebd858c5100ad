/**
 * What a challenge answer is made of (RFC 8555 8.1): token "." base64url(JWK thumbprint of the
 * account key), and for dns-01 the base64url SHA-256 of that (8.4). The thumbprint is RFC 7638:
 * SHA-256 over the key's required members only, in lexicographic order, no whitespace.
 */
import { createHash } from 'node:crypto';
import type { PublicJwk } from './signer.js';

const requiredMembers: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

export function jwkThumbprint(jwk: PublicJwk): string {
  const members = requiredMembers[jwk.kty ?? ''];
  if (!members) throw new Error(`no RFC 7638 thumbprint for key type ${jwk.kty ?? 'unknown'}`);
  const canonical = `{${members.map((name) => `${JSON.stringify(name)}:${JSON.stringify(jwk[name] ?? '')}`).join(',')}}`;
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}

export function keyAuthorization(token: string, thumbprint: string): string {
  return `${token}.${thumbprint}`;
}

export function dnsTxtValue(keyAuth: string): string {
  return createHash('sha256').update(keyAuth, 'utf8').digest('base64url');
}
