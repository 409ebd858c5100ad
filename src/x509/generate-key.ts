/** New private keys for certificates and accounts, as PKCS#8 PEM. */
import { generateKeyPair, type KeyObject } from 'node:crypto';

export const keyTypes = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] as const;
export type KeyTypeName = (typeof keyTypes)[number];

const encoding = { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } } as const;

export function generatePrivateKey(type: KeyTypeName): Promise<string> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: string, privateKey: string) => (err ? reject(err) : resolve(privateKey));
    if (type === 'ec-p256' || type === 'ec-p384') generateKeyPair('ec', { namedCurve: type === 'ec-p256' ? 'P-256' : 'P-384', ...encoding }, done);
    else generateKeyPair('rsa', { modulusLength: Number(type.slice(4)), ...encoding }, done);
  });
}

/**
 * A new key as both PEM (what is stored) and the KeyObject it came from, so the CSR signs with it
 * without parsing the PEM again (0.7 ms a certificate; issue 9's signing hot spot).
 */
export function generateKey(type: KeyTypeName): Promise<{ pem: string; key: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, _publicKey: KeyObject, key: KeyObject) => (err ? reject(err) : resolve({ key, pem: key.export({ type: 'pkcs8', format: 'pem' }) as string }));
    if (type === 'ec-p256' || type === 'ec-p384') generateKeyPair('ec', { namedCurve: type === 'ec-p256' ? 'P-256' : 'P-384' }, done);
    else generateKeyPair('rsa', { modulusLength: Number(type.slice(4)) }, done);
  });
}
