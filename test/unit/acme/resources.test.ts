/**
 * Reading orders and authorizations: the fields renewal needs, ARI/profile echoes, wildcard
 * authorizations, and challenge tasks with their key authorizations computed from the thumbprint.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcmeError } from '../../../src/acme/errors.js';
import { parseAuthorization, parseOrder } from '../../../src/acme/resources.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/acme/${name}`, import.meta.url), 'utf8'));
const thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('parseOrder', () => {
  it('reads identifiers, URLs, and the profile and replaces the CA echoes', () => {
    const order = parseOrder(fixture('order-with-profile.json'), 'https://acme.example.com/acme/order/TOlocE8rfgo', 3);
    expect(order).toMatchObject({
      url: 'https://acme.example.com/acme/order/TOlocE8rfgo',
      status: 'pending',
      identifiers: ['www.example.org', 'example.org'],
      finalizeUrl: 'https://acme.example.com/acme/order/TOlocE8rfgo/finalize',
      certificateUrl: undefined,
      profile: 'shortlived',
      replaces: 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE',
      retryAfterSeconds: 3,
    });
    expect(order.authorizationUrls).toHaveLength(2);
  });

  it('keeps an invalid order\'s error', () => {
    const order = parseOrder({ status: 'invalid', finalize: 'https://f', error: { type: 'urn:ietf:params:acme:error:badCSR', detail: 'bad key' } }, 'https://o');
    expect(order.error).toEqual({ type: 'urn:ietf:params:acme:error:badCSR', detail: 'bad key' });
  });

  it('refuses an object without status or finalize', () => {
    expect(() => parseOrder({ status: 'pending' }, 'https://o')).toThrow(AcmeError);
  });
});

describe('parseAuthorization', () => {
  it('gives a wildcard authorization its dns-01 task and sets aside types it cannot solve', () => {
    const authz = parseAuthorization(fixture('authorization-wildcard.json'), 'https://acme.example.com/acme/authz/PAniVnsZcis', thumbprint);
    expect(authz.identifier).toBe('example.org');
    expect(authz.wildcard).toBe(true);
    expect(authz.otherChallengeTypes).toEqual(['dns-account-01']);
    expect(authz.challenges).toHaveLength(1);
    const [challenge] = authz.challenges;
    const keyAuthorization = `DGyRejmCefe7v4NfDGDKfA.${thumbprint}`;
    expect(challenge!.task).toEqual({
      type: 'dns-01',
      domain: 'example.org',
      wildcard: true,
      token: 'DGyRejmCefe7v4NfDGDKfA',
      keyAuthorization,
      dnsTxtValue: createHash('sha256').update(keyAuthorization).digest('base64url'),
    });
    expect(challenge!.url).toBe('https://acme.example.com/acme/chall/Rg5dV14Gh1Q');
  });

  it('refuses an authorization without an identifier', () => {
    expect(() => parseAuthorization({ status: 'pending', challenges: [] }, 'https://a', thumbprint)).toThrow(/malformed authorization/);
  });
});
