/**
 * The certificate signing request sent at finalization (RFC 8555 7.4: DER, base64url in the
 * request). Every identifier goes into the subjectAltName (dNSName, or iPAddress per RFC 8738);
 * the first DNS name short enough (64 characters) is also the CN, which CAs copy or ignore.
 * Built with @peculiar/x509 over WebCrypto, the key imported from its PEM.
 */
import { createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';
import { AcmeError } from './errors.js';

/**
 * @peculiar/x509 (reflect-metadata and its ASN.1 schemas with it) takes ~100 ms to load: loaded
 * by the first CSR, so a `renew` run in which nothing is due does not pay for it.
 */
async function loadX509(): Promise<typeof X509> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}

const MAX_CN_LENGTH = 64;

interface KeyAlgorithms {
  importParams: RsaHashedImportParams | EcKeyImportParams;
  signing: Algorithm & { hash?: string };
}

function algorithmsFor(keyPem: string): KeyAlgorithms {
  const key = createPrivateKey(keyPem);
  if (key.asymmetricKeyType === 'rsa') {
    return {
      importParams: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm,
    };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const named = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (!named) throw new AcmeError(`certificate keys on curve ${curve ?? 'unknown'} are not supported (use P-256 or P-384)`);
    return {
      importParams: { name: 'ECDSA', namedCurve: named },
      signing: { name: 'ECDSA', hash: named === 'P-256' ? 'SHA-256' : 'SHA-384' } as Algorithm,
    };
  }
  throw new AcmeError(`certificate keys of type ${key.asymmetricKeyType ?? 'unknown'} are not supported (use EC or RSA)`);
}

/** DER of a PKCS#10 request for `identifiers`, signed with the PEM private key. */
export async function createCsr(identifiers: string[], keyPem: string): Promise<Uint8Array> {
  if (identifiers.length === 0) throw new AcmeError('a certificate needs at least one identifier');
  const { importParams, signing } = algorithmsFor(keyPem);
  const pkcs8 = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', pkcs8, importParams, false, ['sign']);
  const publicKey = await subtle.importKey('spki', spki, importParams, true, ['verify']);
  const commonName = identifiers.find((id) => isIP(id) === 0 && id.length <= MAX_CN_LENGTH);
  const x509 = await loadX509();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name: commonName ? [{ CN: [commonName] }] : [],
      keys: { privateKey, publicKey },
      signingAlgorithm: signing,
      extensions: [
        new x509.SubjectAlternativeNameExtension(
          identifiers.map((id) => (isIP(id) ? { type: 'ip' as const, value: id } : { type: 'dns' as const, value: id })),
        ),
      ],
    },
    webcrypto as unknown as Crypto,
  );
  return new Uint8Array(csr.rawData);
}
