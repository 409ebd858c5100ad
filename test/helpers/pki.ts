/**
 * Throwaway PKI for tests, minted at test time (never committed): roots, intermediates and
 * leaves with any validity window, key type and signature hash, written as PEM when asked.
 */
import 'reflect-metadata';
import { webcrypto, KeyObject, createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type TestKeyKind = 'ec-p256' | 'ec-p384' | 'ec-p224' | 'rsa-1024' | 'rsa-2048' | 'rsa-3072';

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  certPem: string;
  /** PKCS#8 PEM of the private key. */
  keyPem: string;
  der: Uint8Array;
  signingAlgorithm: Algorithm & { hash?: string };
}

export interface IssueOptions {
  commonName: string;
  sans?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Shortcut: validity from now - 1 h for this many days. */
  days?: number;
  key?: TestKeyKind;
  /** Hash the issuer signs with. */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384';
  ca?: boolean;
  serial?: string;
}

function keyAlgorithm(kind: TestKeyKind, hash: string): RsaHashedKeyGenParams | EcKeyGenParams {
  switch (kind) {
    case 'ec-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ec-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'ec-p224':
      // WebCrypto has no P-224; callers wanting a weak EC key use makeWeakEcKeyPem instead.
      throw new Error('ec-p224 is not available through WebCrypto');
    default: {
      const bits = Number(kind.slice(4));
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: new Uint8Array([1, 0, 1]), hash };
    }
  }
}

function signingFor(keys: CryptoKeyPair, hash: string): Algorithm & { hash?: string } {
  const alg = keys.privateKey.algorithm as { name: string };
  return alg.name === 'ECDSA' ? ({ name: 'ECDSA', hash } as Algorithm) : ({ name: 'RSASSA-PKCS1-v1_5', hash } as Algorithm);
}

let serialCounter = 1;

/** WebCrypto binds an RSA key to one hash; re-import it to sign with another (SHA-1 for weak-signature tests). */
async function withHash(key: CryptoKey, hash: string): Promise<CryptoKey> {
  const alg = key.algorithm as RsaHashedKeyAlgorithm;
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || alg.hash.name === hash) return key;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key);
  return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: alg.name, hash }, true, ['sign']);
}

/** Issue a certificate; `issuer` undefined makes it self-signed. */
export async function issue(options: IssueOptions, issuer?: Issued): Promise<Issued> {
  const kind = options.key ?? 'ec-p256';
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm(kind, 'SHA-256'), true, ['sign', 'verify'])) as CryptoKeyPair;
  const { cert, signingAlgorithm } = await certify(options, keys.publicKey, issuer ?? { keys, subject: `CN=${options.commonName}` });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }) as string;
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem, der: new Uint8Array(cert.rawData), signingAlgorithm };
}

/**
 * What a CA issues at finalization: a leaf under `issuer` for the CSR's public key and, unless
 * `options.sans` says otherwise, the CSR's names (its subjectAltName dNSName and iPAddress entries).
 */
export async function issueForCsr(csrDer: Uint8Array, options: Omit<IssueOptions, 'commonName' | 'key'> & { commonName?: string }, issuer: Issued): Promise<Pick<Issued, 'cert' | 'certPem' | 'der'>> {
  const csr = new x509.Pkcs10CertificateRequest(new Uint8Array(csrDer));
  const san = csr.getExtension('2.5.29.17');
  const names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  const sans = options.sans ?? names.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value);
  const publicKey = await csr.publicKey.export(webcrypto as unknown as Crypto);
  const { cert } = await certify({ ...options, commonName: options.commonName ?? sans[0] ?? 'leaf', sans }, publicKey, issuer);
  return { cert, certPem: cert.toString('pem') + '\n', der: new Uint8Array(cert.rawData) };
}

/** Sign a certificate for `publicKey` with the issuer's key (itself, for a self-signed one). */
async function certify(options: IssueOptions, publicKey: CryptoKey, issuer: Pick<Issued, 'keys'> & ({ cert: x509.X509Certificate } | { subject: string })): Promise<{ cert: x509.X509Certificate; signingAlgorithm: Algorithm & { hash?: string } }> {
  const hash = options.hash ?? 'SHA-256';
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 3_600_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + (options.days ?? 30) * 86_400_000);
  const selfSigned = !('cert' in issuer);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
  ];
  if (!selfSigned) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  if (options.ca) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  }
  if (options.sans?.length) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        options.sans.map((v) => (/^[\d.]+$|:/.test(v) ? { type: 'ip' as const, value: v } : { type: 'dns' as const, value: v })),
      ),
    );
  }
  const signingAlgorithm = signingFor(issuer.keys, hash);
  const signingKey = await withHash(issuer.keys.privateKey, hash);
  const serial = options.serial ?? (0x1000 + serialCounter++).toString(16).padStart(4, '0') + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${options.commonName}`,
    issuer: selfSigned ? issuer.subject : issuer.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm,
    publicKey,
    signingKey,
    extensions,
  });
  return { cert, signingAlgorithm };
}

/** A root, an intermediate under it, and a leaf under that: the usual public chain shape. */
export async function chain(leaf: IssueOptions): Promise<{ root: Issued; intermediate: Issued; leaf: Issued }> {
  const root = await issue({ commonName: 'certfleet Test Root', ca: true, days: 3650 });
  const intermediate = await issue({ commonName: 'certfleet Test Intermediate', ca: true, days: 1825 }, root);
  return { root, intermediate, leaf: await issue(leaf, intermediate) };
}

/** A private key in a given legacy encoding: PKCS#1 (RSA) or SEC1 (EC), as PEM. */
export function traditionalKeyPem(issued: Issued): string {
  const key = createPrivateKey(issued.keyPem);
  return key.export({ type: key.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }) as string;
}

/** A fresh temporary directory under the OS temp dir. */
export function tempDir(prefix = 'certfleet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a file, making parent directories, with an optional mode. Returns the path. */
export function writeFile(path: string, content: string | Uint8Array, mode = 0o644): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  return path;
}
