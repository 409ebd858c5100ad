/** New certificate keys come as the PEM that is stored and the KeyObject the CSR signs with: the same key. */
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, keyTypes } from '../../../src/x509/generate-key.js';

describe('generateKey', () => {
  it.each(keyTypes.filter((t) => t !== 'rsa-4096'))('%s: the PEM and the KeyObject are one key of that type', async (type) => {
    const { pem, key } = await generateKey(type);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.type).toBe('private');
    const spki = (k: Parameters<typeof createPublicKey>[0]) => createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('base64');
    expect(spki(pem)).toBe(spki(key));
    if (type.startsWith('ec-')) expect(key.asymmetricKeyDetails?.namedCurve).toBe(type === 'ec-p256' ? 'prime256v1' : 'secp384r1');
    else expect(key.asymmetricKeyDetails?.modulusLength).toBe(Number(type.slice(4)));
  });
});
