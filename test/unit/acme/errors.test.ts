/** Problem documents become typed errors a person can read: type, detail, subproblems, hints. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AcmeProblemError, AcmeTransportError, isAcmeProblem, shortProblemType } from '../../../src/acme/errors.js';
import { parseRetryAfter, toProblem } from '../../../src/acme/http-values.js';
import { CertfleetError, ExitCode } from '../../../src/errors.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/acme/${name}`, import.meta.url), 'utf8'));

describe('toProblem', () => {
  it('reads a problem with subproblems (RFC 8555 6.7.1)', () => {
    const problem = toProblem(fixture('problem-with-subproblems.json'), 400);
    expect(problem.type).toBe('urn:ietf:params:acme:error:malformed');
    expect(problem.subproblems).toEqual([
      { type: 'urn:ietf:params:acme:error:malformed', detail: 'Invalid underscore in DNS name "_example.org"', identifier: '_example.org' },
      { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'This CA will not issue for "example.net"', identifier: 'example.net' },
    ]);
  });

  it('makes a short problem out of a body that is not one', () => {
    expect(toProblem('<html>Bad Gateway</html>', 502)).toEqual({ type: 'about:blank', detail: 'HTTP 502: <html>Bad Gateway</html>', status: 502 });
    expect(toProblem('', 500).detail).toBe('HTTP 500 without a problem document');
  });
});

describe('AcmeProblemError', () => {
  it('says what was refused, why, and for which identifier', () => {
    const err = new AcmeProblemError('creating the order', 'https://ca.test/new-order', 400, toProblem(fixture('problem-with-subproblems.json'), 400));
    expect(err).toBeInstanceOf(CertfleetError);
    expect(err.type).toBe('malformed');
    expect(err.code).toBe('acme-malformed');
    expect(err.exitCode).toBe(ExitCode.findings);
    expect(err.message).toBe(
      'ACME server refused creating the order (HTTP 400): Some of the identifiers requested were rejected (malformed); ' +
        'for _example.org: Invalid underscore in DNS name "_example.org" (malformed); ' +
        'for example.net: This CA will not issue for "example.net" (rejectedIdentifier)',
    );
    expect(isAcmeProblem(err, 'malformed')).toBe(true);
    expect(isAcmeProblem(err, 'badNonce')).toBe(false);
  });

  it('carries Retry-After into the rate-limit hint', () => {
    const err = new AcmeProblemError('creating the order', 'https://ca.test/new-order', 429, { type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many' }, 3600);
    expect(err.retryAfterSeconds).toBe(3600);
    expect(err.hint).toContain('3600 s');
  });

  it('leaves non-ACME problem types whole', () => {
    expect(shortProblemType('about:blank')).toBe('about:blank');
    expect(shortProblemType('urn:ietf:params:acme:error:badNonce')).toBe('badNonce');
  });
});

describe('AcmeTransportError', () => {
  it('names the cause\'s code even when Node\'s message does not', () => {
    const cause = Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const err = new AcmeTransportError('get', 'https://ca.test/dir', cause);
    expect(err.message).toBe('cannot reach the ACME server: GET https://ca.test/dir failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(err.cause).toBe(cause);
    expect(err.causeCode).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads seconds and HTTP dates; a past date is zero; anything else is unknown', () => {
    expect(parseRetryAfter('120', now)).toBe(120);
    expect(parseRetryAfter(['30'], now)).toBe(30);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('later', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
