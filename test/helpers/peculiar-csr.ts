/**
 * The CSR as certfleet built it before src/acme/csr.ts wrote the DER itself: @peculiar/x509 over
 * WebCrypto. The reference for the differential test (and bench/signing.mjs does the same in JS).
 */
import 'reflect-metadata';
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

export async function peculiarCsr(identifiers: string[], keyPem: string): Promise<Uint8Array> {
  const key = createPrivateKey(keyPem);
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const named = curve === 'prime256v1' ? 'P-256' : 'P-384';
  const importParams = key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', namedCurve: named };
  const signing = key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : { name: 'ECDSA', hash: named === 'P-256' ? 'SHA-256' : 'SHA-384' };
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), importParams, false, ['sign']);
  const publicKey = await subtle.importKey('spki', createPublicKey(keyPem).export({ type: 'spki', format: 'der' }), importParams, true, ['verify']);
  const commonName = identifiers.find((id) => isIP(id) === 0 && id.length <= 64);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: commonName ? [{ CN: [commonName] }] : [],
      keys: { privateKey, publicKey },
      signingAlgorithm: signing,
      extensions: [new x509.SubjectAlternativeNameExtension(identifiers.map((id) => (isIP(id) ? { type: 'ip' as const, value: id } : { type: 'dns' as const, value: id })))],
    },
    webcrypto as unknown as Crypto,
  );
  return new Uint8Array(csr.rawData);
}
