/**
 * Reading a dns-persist-01 challenge (draft-ietf-acme-dns-persist-02 3.1, 3.2): the -02 field
 * issuerDomainNames and -01's issuer-domain-names, normalised, with the account it binds; a
 * malformed one (empty, more than 10 names, a directory name missing from it, a name outside
 * caaIdentities) is left for another type, never solved.
 */
import { describe, expect, it } from 'vitest';
import { parseAuthorization } from '../../../src/acme/resources.js';

const body = (challenge: Record<string, unknown>) => ({ status: 'pending', identifier: { type: 'dns', value: 'example.com' }, challenges: [{ type: 'dns-persist-01', url: 'https://ca.example/chall/1', status: 'pending', ...challenge }] });
const account = { accountUrl: 'https://ca.example/acct/123', accountHashPrefix: 'https://ca.example/account-hash/' };

describe('parseAuthorization: dns-persist-01', () => {
  it('reads issuerDomainNames (-02) and issuer-domain-names (-01) into the task, with the account', () => {
    const authz = parseAuthorization(body({ issuerDomainNames: ['Authority.Example', 'ca.example.net.'] }), 'https://ca.example/authz/1', 'THUMB', undefined, account);
    expect(authz.challenges[0]?.task).toEqual({
      type: 'dns-persist-01',
      domain: 'example.com',
      wildcard: false,
      token: '',
      keyAuthorization: '',
      dnsTxtValue: '',
      persist: { issuerDomainNames: ['authority.example', 'ca.example.net'], accountUrl: account.accountUrl, thumbprint: 'THUMB', accountHashPrefix: account.accountHashPrefix },
    });
    const v01 = parseAuthorization(body({ 'issuer-domain-names': ['authority.example'] }), 'u', 'THUMB', undefined, { accountUrl: account.accountUrl });
    expect(v01.challenges[0]?.task.persist).toEqual({ issuerDomainNames: ['authority.example'], accountUrl: account.accountUrl, thumbprint: 'THUMB' });
  });

  it('leaves a malformed challenge unsolved (named among the types certfleet cannot solve)', () => {
    const malformed = [
      parseAuthorization(body({ issuerDomainNames: [] }), 'u', 'T', undefined, account),
      parseAuthorization(body({ issuerDomainNames: Array.from({ length: 11 }, (_, i) => `ca${i}.example`) }), 'u', 'T', undefined, account),
      parseAuthorization(body({ issuerDomainNames: ['ca.example.net'] }), 'u', 'T', undefined, { ...account, directoryIssuerDomainNames: ['authority.example'] }),
      parseAuthorization(body({ issuerDomainNames: ['authority.example'] }), 'u', 'T', undefined, { ...account, caaIdentities: ['other.example'] }),
      parseAuthorization(body({ issuerDomainNames: ['authority.example'] }), 'u', 'T', undefined, undefined),
    ];
    for (const authz of malformed) {
      expect(authz.challenges).toEqual([]);
      expect(authz.otherChallengeTypes).toEqual(['dns-persist-01']);
    }
    const consistent = parseAuthorization(body({ issuerDomainNames: ['authority.example', 'extra.example'] }), 'u', 'T', undefined, { ...account, directoryIssuerDomainNames: ['authority.example'], caaIdentities: ['Authority.Example', 'extra.example'] });
    expect(consistent.challenges).toHaveLength(1);
  });
});
