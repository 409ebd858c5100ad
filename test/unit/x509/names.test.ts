import { describe, expect, it } from 'vitest';
import { coversName } from '../../../src/x509/names.js';

describe('coversName', () => {
  const sans = ['example.test', '*.example.test', '192.0.2.1'];
  it.each([
    ['example.test', true],
    ['EXAMPLE.test.', true],
    ['www.example.test', true],
    ['a.b.example.test', false],
    ['other.test', false],
    ['*.example.test', true],
    ['192.0.2.1', true],
    ['192.0.2.2', false],
  ])('%s -> %s', (name, expected) => {
    expect(coversName(sans, name)).toBe(expected);
  });

  it('does not let a wildcard SAN cover a different wildcard', () => {
    expect(coversName(['www.example.test'], '*.example.test')).toBe(false);
  });
});
