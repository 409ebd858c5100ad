/**
 * ECIES key wrapping (src/store/key-wrap.ts): a private key wrapped to one host's X25519 key opens
 * with that key only, for the row it was made for only, and any changed byte is refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertfleetError } from '../../../src/errors.js';
import { hostKeyFingerprint, parseHostPrivateKey, parseHostPublicKey, publicKeyPem, unwrapForHost, wrapForHost, type WrapOwner } from '../../../src/store/key-wrap.js';

const PEM = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFakeKeyForTheTestOnly0123456789abcdefghij\n-----END PRIVATE KEY-----\n';
const owner: WrapOwner = { certificate: 'web', version: '20260101T000000Z-abc', host: 'a' };

function hostPair() {
  return generateKeyPairSync('x25519');
}

function refusal(fn: () => unknown): CertfleetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CertfleetError);
    return err as CertfleetError;
  }
  throw new Error('unwrapped');
}

describe('wrapping a private key to a host', () => {
  it('round-trips with the host key, and each wrap is new (an ephemeral key per wrap)', () => {
    const a = hostPair();
    const one = wrapForHost(a.publicKey, PEM, owner);
    const two = wrapForHost(a.publicKey, PEM, owner);
    expect(one.equals(two)).toBe(false);
    expect(one.includes(Buffer.from('FakeKeyForTheTest'))).toBe(false);
    expect(unwrapForHost(a.privateKey, one, owner)).toBe(PEM);
    expect(unwrapForHost(a.privateKey, two, owner)).toBe(PEM);
  });

  it("refuses another host's key", () => {
    const a = hostPair();
    const b = hostPair();
    const err = refusal(() => unwrapForHost(b.privateKey, wrapForHost(a.publicKey, PEM, owner), owner));
    expect(err.code).toBe('host-key-unwrap');
    expect(err.message).toBe(`the private key of web (version ${owner.version}) wrapped for host a cannot be unwrapped with this agent's key: wrong key, or tampered or moved`);
    expect(err.message).not.toContain('authenticate');
  });

  it('refuses a changed tag, ciphertext, ephemeral key or nonce, and a cut or unknown-format blob', () => {
    const a = hostPair();
    const wrapped = wrapForHost(a.publicKey, PEM, owner);
    for (const at of [wrapped.length - 1, wrapped.length - 20, 5, 1 + 32 + 3]) {
      const changed = Buffer.from(wrapped);
      changed[at]! ^= 0x01;
      expect(refusal(() => unwrapForHost(a.privateKey, changed, owner)).code).toBe('host-key-unwrap');
    }
    expect(refusal(() => unwrapForHost(a.privateKey, wrapped.subarray(0, 40), owner)).message).toMatch(/not a wrapped key of a format this certfleet knows/);
    const v2 = Buffer.from(wrapped);
    v2[0] = 2;
    expect(refusal(() => unwrapForHost(a.privateKey, v2, owner)).message).toMatch(/not a wrapped key of a format this certfleet knows/);
  });

  it('refuses a wrap moved to another certificate, version or host (the AAD)', () => {
    const a = hostPair();
    const wrapped = wrapForHost(a.publicKey, PEM, owner);
    for (const moved of [{ ...owner, certificate: 'mail' }, { ...owner, version: 'v2' }, { ...owner, host: 'b' }, { certificate: 'web\0x', version: owner.version, host: 'a' }]) {
      expect(refusal(() => unwrapForHost(a.privateKey, wrapped, moved)).code).toBe('host-key-unwrap');
    }
  });

  it('reads keys as PEM, refuses a key of another type, and fingerprints the public half', () => {
    const a = hostPair();
    const pem = publicKeyPem(a.privateKey);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(hostKeyFingerprint(parseHostPublicKey(pem, 'a.pub'))).toBe(hostKeyFingerprint(a.privateKey));
    expect(hostKeyFingerprint(a.publicKey)).toMatch(/^[0-9a-f]{64}$/);
    const private8 = a.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(hostKeyFingerprint(parseHostPrivateKey(private8, 'k'))).toBe(hostKeyFingerprint(a.publicKey));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(refusal(() => parseHostPublicKey(ec.publicKey.export({ format: 'pem', type: 'spki' }).toString(), 'ec.pub')).message).toBe("ec.pub: a ec key; an agent's key is X25519");
    expect(refusal(() => parseHostPublicKey('not a key', 'x.pub')).message).toBe('x.pub: not a PEM public key');
  });
});
