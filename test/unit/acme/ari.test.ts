/**
 * ACME Renewal Information (RFC 9773): the certificate identifier against the RFC's own example,
 * the sign byte of high-bit serials, and reading RenewalInfo answers shaped like the RFC's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { certificateIdentifier, clampRetryAfter, InvalidRenewalInfoError, parseRenewalInfo, renewalInfoUrl, MAX_RETRY_AFTER_SECONDS, MIN_RETRY_AFTER_SECONDS } from '../../../src/acme/ari.js';
import { AcmeError } from '../../../src/acme/errors.js';
import { findPemBlocks } from '../../../src/x509/pem.js';
import { chain, issue } from '../../helpers/pki.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../fixtures/acme/${name}`, import.meta.url), 'utf8'));

// RFC 9773 Appendix A: the example certificate (AKI 69:88:5B:6B:..., serial 0x87654321, whose
// high bit makes its DER encoding 00 87 65 43 21). A certificate, no key.
const rfc9773ExampleCertificate = `-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----`;

describe('certificateIdentifier', () => {
  it('gives the RFC 9773 example identifier for the example certificate', () => {
    const der = findPemBlocks(rfc9773ExampleCertificate)[0]!.der;
    expect(certificateIdentifier(der)).toBe('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE');
  });

  it('keeps the 0x00 sign byte of a high-bit serial and adds none to a low one', async () => {
    const { intermediate } = await chain({ commonName: 'unused.test' });
    const high = await issue({ commonName: 'high.test', serial: '80a1b2c3' }, intermediate);
    const low = await issue({ commonName: 'low.test', serial: '7fa1b2c3' }, intermediate);
    const [highAki, highSerial] = certificateIdentifier(high.der).split('.');
    const [lowAki, lowSerial] = certificateIdentifier(low.der).split('.');
    expect(Buffer.from(highSerial!, 'base64url').toString('hex')).toBe('0080a1b2c3');
    expect(Buffer.from(lowSerial!, 'base64url').toString('hex')).toBe('7fa1b2c3');
    // Both name the same issuer key: the intermediate's subject key identifier.
    expect(highAki).toBe(lowAki);
    const ski = intermediate.cert.getExtension('2.5.29.14')!;
    expect(Buffer.from(highAki!, 'base64url').toString('hex')).toBe(Buffer.from(ski.value).toString('hex').slice(4));
  });

  it('refuses a certificate without an Authority Key Identifier', async () => {
    const selfSigned = await issue({ commonName: 'no-aki.test' });
    expect(() => certificateIdentifier(selfSigned.der)).toThrow(/no Authority Key Identifier/);
  });

  it('joins the renewalInfo URL with or without a trailing slash', () => {
    expect(renewalInfoUrl('https://ca.test/ari/', 'a.b')).toBe('https://ca.test/ari/a.b');
    expect(renewalInfoUrl('https://ca.test/ari', 'a.b')).toBe('https://ca.test/ari/a.b');
  });
});

describe('parseRenewalInfo', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads the suggested window, the explanation and Retry-After seconds', () => {
    const info = parseRenewalInfo(fixture('renewal-info.json'), '21600', now);
    expect(info).toEqual({
      suggestedWindow: { start: Date.parse('2025-01-02T04:00:00Z'), end: Date.parse('2025-01-03T04:00:00Z') },
      explanationURL: 'https://acme.example.com/docs/ari',
      retryAfterSeconds: 21600,
    });
  });

  it('reads Retry-After as an HTTP date', () => {
    const info = parseRenewalInfo(fixture('renewal-info.json'), 'Wed, 01 Jan 2025 02:00:00 GMT', now);
    expect(info.retryAfterSeconds).toBe(7200);
  });

  it('clamps Retry-After to between a minute and a day (RFC 9773 4.3)', () => {
    expect(parseRenewalInfo(fixture('renewal-info.json'), '5', now).retryAfterSeconds).toBe(MIN_RETRY_AFTER_SECONDS);
    expect(parseRenewalInfo(fixture('renewal-info.json'), String(7 * 86_400), now).retryAfterSeconds).toBe(MAX_RETRY_AFTER_SECONDS);
  });

  it('leaves retryAfterSeconds out when the CA sent none or nonsense', () => {
    expect(parseRenewalInfo(fixture('renewal-info.json'), undefined, now)).not.toHaveProperty('retryAfterSeconds');
    expect(parseRenewalInfo(fixture('renewal-info.json'), 'soon', now)).not.toHaveProperty('retryAfterSeconds');
  });

  it('reads a revoked certificate\'s window, which lies in the past', () => {
    const info = parseRenewalInfo(fixture('renewal-info-revoked.json'), undefined, Date.parse('2025-02-01T00:00:00Z'));
    expect(info.suggestedWindow.end).toBeLessThan(Date.parse('2025-02-01T00:00:00Z'));
  });

  it('rejects a window that ends before it starts, or none at all', () => {
    const backwards = { suggestedWindow: { start: '2025-01-03T00:00:00Z', end: '2025-01-02T00:00:00Z' } };
    expect(() => parseRenewalInfo(backwards)).toThrow(AcmeError);
    expect(() => parseRenewalInfo(backwards)).toThrow(/ends .* before it starts/);
    expect(() => parseRenewalInfo({ suggestedWindow: { start: 'x', end: 'y' } })).toThrow(/no readable suggestedWindow/);
    expect(() => parseRenewalInfo('<html>')).toThrow(/no readable suggestedWindow/);
  });

  it('keeps an invalid answer\'s Retry-After (clamped) on the error, for the next poll', () => {
    const backwards = { suggestedWindow: { start: '2025-01-03T00:00:00Z', end: '2025-01-02T00:00:00Z' } };
    const err = (() => {
      try {
        parseRenewalInfo(backwards, '0', now);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidRenewalInfoError);
    expect((err as InvalidRenewalInfoError).retryAfterSeconds).toBe(MIN_RETRY_AFTER_SECONDS);
  });

  it('clamps a Retry-After of 0 or ten years to a minute or a day', () => {
    expect(clampRetryAfter(0)).toBe(60);
    expect(clampRetryAfter(10 * 365 * 86_400)).toBe(86_400);
    expect(clampRetryAfter(Number('99999999999999999999999'))).toBe(86_400);
    expect(clampRetryAfter(undefined)).toBeUndefined();
    expect(parseRenewalInfo(fixture('renewal-info.json'), 'Mon, 01 Jan 2035 00:00:00 GMT', now).retryAfterSeconds).toBe(86_400);
  });

  it('shows only an http(s) explanationURL', () => {
    const window = { start: '2025-01-02T04:00:00Z', end: '2025-01-03T04:00:00Z' };
    expect(parseRenewalInfo({ suggestedWindow: window, explanationURL: 'javascript:alert(1)' }, undefined, now)).not.toHaveProperty('explanationURL');
    expect(parseRenewalInfo({ suggestedWindow: window, explanationURL: 'not a url' }, undefined, now)).not.toHaveProperty('explanationURL');
    expect(parseRenewalInfo({ suggestedWindow: window, explanationURL: 'http://ca.test/why' }, undefined, now).explanationURL).toBe('http://ca.test/why');
  });
});
