/**
 * The dns-persist-01 record text and its reading, against draft-ietf-acme-dns-persist-02
 * (https://www.ietf.org/archive/id/draft-ietf-acme-dns-persist-02.txt): the hashed accounturi
 * test vector of section 10.2, the normalisation examples of section 9.2, the record examples of
 * sections 4.1 and 10.4-10.6, the 255-octet string split of section 9.1, and the CA's verification
 * rules (sections 4.2, 4.3.2, 5, 9.3.1) as the pre-flight check applies them.
 */
import { domainToUnicode } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluatePersistRecords } from '../../../src/challenges/dns-persist-01/evaluate.js';
import {
  acceptedAccountUris,
  accountUriFor,
  hashedAccountUri,
  issuerDomainNames,
  normalizeDomainName,
  parsePersistRecord,
  persistRecordName,
  persistRecordValue,
  zoneFileStrings,
} from '../../../src/challenges/dns-persist-01/record.js';

// Section 10.2's inputs: RFC 7638's example thumbprint and the account URL https://ca.example/acct/123.
const vector = { accountHashPrefix: 'https://ca.example/account-hash/', thumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', accountUrl: 'https://ca.example/acct/123' };

describe('dns-persist-01 record', () => {
  it('computes the hashed accounturi of the draft\'s test vector (section 10.2), and its domain-omitted form', () => {
    expect(hashedAccountUri({ ...vector, domain: 'example.com' })).toBe('https://ca.example/account-hash/sha-256/5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw');
    expect(hashedAccountUri({ ...vector, domain: '*' })).toBe('https://ca.example/account-hash/sha-256/NpDnSwUthQK8zCgFdefYxAdAVPnygMLbs9US6oO-5ug');
    // The domain is hashed in its normalised form; a wildcard is published at its base name.
    expect(accountUriFor(vector, '*.EXAMPLE.com.')).toBe('https://ca.example/account-hash/sha-256/5SQm7n6tPh2-PlLbCKGnViTXX5z19SCN4cPGQHSk-kw');
    expect(acceptedAccountUris(vector, 'example.com')).toHaveLength(2);
  });

  it('uses the account URL itself for a CA without accountHashPrefix (the -01 form)', () => {
    const { accountHashPrefix: _, ...binding } = vector;
    expect(accountUriFor(binding, 'example.com')).toBe('https://ca.example/acct/123');
    expect(acceptedAccountUris(binding, 'example.com')).toEqual(['https://ca.example/acct/123']);
  });

  it('writes the draft\'s records (figures 2, 8, 10)', () => {
    const accountUri = hashedAccountUri({ ...vector, domain: 'example.com' });
    expect(persistRecordValue({ issuerDomainName: 'authority.example', accountUri })).toBe(`authority.example; accounturi=${accountUri}`);
    expect(persistRecordValue({ issuerDomainName: 'Authority.Example.', accountUri, wildcard: true, persistUntil: new Date('2024-07-26T00:00:00Z') })).toBe(
      `authority.example; accounturi=${accountUri}; policy=wildcard; persistUntil=1721952000`,
    );
    expect(persistRecordName('*.Example.COM')).toBe('_validation-persist.example.com.');
    expect(() => persistRecordValue({ issuerDomainName: 'a.example', accountUri: 'x; policy=wildcard' })).toThrow('an accounturi cannot hold');
  });

  it('normalises issuer domain names as section 9.2 says: case, NFC, A-labels, no trailing dot', () => {
    expect(normalizeDomainName('EXAMPLE.com.')).toBe('example.com');
    // The draft's IDN example is not self-consistent: "üÑICODE" folds to "üñicode", not "ünicode",
    // and its A-label xn--nicode-example-9jb decodes to "énicode-example". Checked instead by the
    // round trip through the A-label (Punycode per RFC 3492, Node's UTS 46 implementation).
    expect(normalizeDomainName('Ünicode-Example.com.')).toBe('xn--nicode-example-fsb.com');
    expect(domainToUnicode('xn--nicode-example-fsb.com')).toBe('ünicode-example.com');
    expect(domainToUnicode('xn--nicode-example-9jb.com')).toBe('énicode-example.com');
    expect(normalizeDomainName('üÑICODE-example.com.')).toBe(normalizeDomainName('üñicode-example.com'));
    expect(normalizeDomainName('u\u0308nicode-example.com')).toBe('xn--nicode-example-fsb.com');
    expect(issuerDomainNames(['Authority.Example', 'ca.example.net.'], 'the challenge')).toEqual(['authority.example', 'ca.example.net']);
    expect(() => issuerDomainNames([], 'the challenge')).toThrow('the challenge has 0 issuer domain names');
    expect(() => issuerDomainNames(Array.from({ length: 11 }, (_, i) => `ca${i}.example`), 'the challenge')).toThrow('allows 1 to 10');
  });

  it('splits a value longer than 255 octets into quoted strings and escapes quotes and backslashes (section 9.1)', () => {
    const long = `ca.example; accounturi=https://ca.example/${'a'.repeat(300)}`;
    const rdata = zoneFileStrings(long);
    const strings = [...rdata.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string);
    expect(strings.map((s) => s.length)).toEqual([255, long.length - 255]);
    expect(strings.join('')).toBe(long);
    expect(zoneFileStrings('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('reads records as RFC 8659 issue-values: spacing, case of policy, unknown tags kept, syntax errors named', () => {
    const parsed = parsePersistRecord('Authority.Example;accounturi=https://ca.example/acct/1 ;  policy=WILDCARD; future-tag=x; persistUntil=1767225600;');
    expect(parsed).toMatchObject({ issuerDomainName: 'authority.example', accountUri: 'https://ca.example/acct/1', wildcard: true, persistUntil: 1767225600 });
    expect(parsed.parameters.get('future-tag')).toBe('x');
    expect(parsePersistRecord('ca.example; accounturi=u; policy=other').wildcard).toBe(false);
    expect(() => parsePersistRecord('; accounturi=u')).toThrow('no issuer domain name');
    expect(() => parsePersistRecord('ca.example; accounturi')).toThrow('not a tag=value parameter');
    expect(() => parsePersistRecord('ca.example; accounturi=a; accounturi=b')).toThrow('parameter accounturi appears twice');
    expect(() => parsePersistRecord('ca.example; accounturi=a; persistUntil=2026-01-01')).toThrow('persistUntil=2026-01-01 is not a base-10 UNIX time');
  });
});

describe('dns-persist-01 pre-flight evaluation', () => {
  const accountUris = acceptedAccountUris(vector, 'example.com');
  const expected = { issuerDomainNames: ['authority.example', 'ca.example.net'], accountUris, wildcard: false };
  const now = new Date('2026-12-01T00:00:00Z');
  const good = `authority.example; accounturi=${accountUris[0]}`;

  it('accepts our record among another CA\'s (section 4.3.2), and the domain-omitted hash', () => {
    const finding = evaluatePersistRecords([`ca2.example; accounturi=https://ca2.example/a/1`, good], expected, now);
    expect(finding.ok).toBe(true);
    expect(evaluatePersistRecords([`ca.example.net; accounturi=${accountUris[1]}`], expected, now).ok).toBe(true);
  });

  it('says why not: absent, another issuer, another account, expired, no policy=wildcard, malformed', () => {
    expect(evaluatePersistRecords([], expected, now)).toMatchObject({ ok: false, reason: 'absent' });
    expect(evaluatePersistRecords(['ca2.example; accounturi=x'], expected, now)).toMatchObject({ ok: false, reason: 'other-issuer', detail: 'no record names this CA (authority.example, ca.example.net); found ca2.example' });
    expect(evaluatePersistRecords(['authority.example; accounturi=https://ca.example/acct/123'], expected, now)).toMatchObject({
      ok: false,
      reason: 'other-account',
      detail: `accounturi=https://ca.example/acct/123 is not this account's (expected ${accountUris[0]})`,
    });
    expect(evaluatePersistRecords(['authority.example; policy=wildcard'], expected, now)).toMatchObject({ ok: false, reason: 'other-account' });
    expect(evaluatePersistRecords([`${good}; persistUntil=1721952000`], expected, now)).toMatchObject({ ok: false, reason: 'expired', detail: 'persistUntil=1721952000 (2024-07-26T00:00:00.000Z) has passed' });
    expect(evaluatePersistRecords([good], { ...expected, wildcard: true }, now)).toMatchObject({ ok: false, reason: 'no-wildcard' });
    expect(evaluatePersistRecords([`${good}; policy=wildcard`], { ...expected, wildcard: true }, now).ok).toBe(true);
    expect(evaluatePersistRecords(['authority.example; accounturi'], expected, now)).toMatchObject({ ok: false, reason: 'malformed' });
  });
});
