/**
 * A host's name in the fleet (src/config/host-names.ts): checked as a DNS host name, and put in
 * lower case, the one form the store compares, because DNS compares names without regard to case.
 */
import { describe, expect, it } from 'vitest';
import { canonicalHostName, hostNameProblem } from '../../../src/config/host-names.js';

describe('canonicalHostName', () => {
  it('puts ASCII letters in lower case and changes nothing else', () => {
    expect(canonicalHostName('Web-1.DC1.Example')).toBe('web-1.dc1.example');
    expect(canonicalHostName('web-1')).toBe('web-1');
    expect(canonicalHostName('WEB-1')).toBe(canonicalHostName('web-1'));
  });

  it('does not fold a non-ASCII letter into a valid name: the Kelvin sign stays a problem', () => {
    // String#toLowerCase would turn U+212A into "k" and make the name valid.
    const kelvin = 'web\u212A';
    expect(hostNameProblem(kelvin)).toMatch(/is not a DNS host name/);
    expect(canonicalHostName(kelvin)).toBe(kelvin);
    expect(hostNameProblem(canonicalHostName(kelvin))).toMatch(/is not a DNS host name/);
  });

  it('keeps a valid name valid and an invalid one invalid', () => {
    for (const name of ['Web-1', 'A.B.C', 'x'.repeat(63)]) expect(hostNameProblem(canonicalHostName(name)), name).toBeUndefined();
    for (const name of ['Web_1', '-Web', 'A..B']) expect(hostNameProblem(canonicalHostName(name)), name).toBeDefined();
  });
});
