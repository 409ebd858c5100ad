/**
 * Trust stores are not the fleet. A machine's CA bundle, its OpenSSL hash directory and Java's
 * cacerts hold the roots its clients trust (Debian's: 144, five of them expired): listing them as
 * the fleet's certificates made `inventory /etc/ssl` fail on a stock system. This file says which
 * files are trust stores and which certificates are therefore trust anchors.
 *
 * A file is a trust store when (paths match anywhere in the path, so a mounted copy of another
 * system, /mnt/img/etc/ssl/..., counts too):
 * - `system-bundle`: it is a distribution's CA bundle at its known path (systemBundles below);
 * - `ca-source`: it, or the file its symlink names, is inside a trust store's own folders
 *   (/usr/share/ca-certificates, /usr/local/share/ca-certificates, /etc/pki/ca-trust, ...): this is
 *   how Debian's /etc/ssl/certs/NAME.pem links are recognised;
 * - `java-cacerts`: it is a keystore named `cacerts` or `jssecacerts` (any JDK, any path);
 * - `hash-dir`: its name is an OpenSSL subject-hash name, `3513523f.0` (a CApath entry);
 * - `root-bundle`: by shape, a PEM file of at least ROOT_BUNDLE_MIN certificates, every one
 *   self-signed, and no private key (certifi's cacert.pem, a copied bundle). A chain file has a
 *   leaf first and never qualifies.
 *
 * A certificate is a trust anchor when a trust store holds it, nothing serves it (no proxy or
 * endpoint source), and either every file it is in is a trust store or it names no host. The last
 * clause keeps the machine's own certificates in the fleet: `openssl rehash` gives every
 * certificate in /etc/ssl/certs a hash link (the snakeoil one too), and a self-signed server
 * certificate is often added to the system store so local clients trust it; found also in a
 * file of its own, such a certificate is still checked.
 */
import { basename, sep } from 'node:path';
import { namesHost } from '../policy/leaf-or-root.js';
import type { CertificateRecord, TrustStoreKind } from './model.js';
import type { FileReadResult } from './sources/file-content.js';

/** Distribution CA bundles at their known paths (Debian/Ubuntu/Alpine/Gentoo, RHEL/Fedora, openSUSE, Arch/BSD). */
const systemBundles = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/ssl/certs/ca-bundle.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/pki/tls/certs/ca-bundle.trust.crt',
  '/etc/pki/tls/cert.pem',
  '/etc/pki/tls/cacert.pem',
  '/etc/ssl/ca-bundle.pem',
  '/etc/ssl/cert.pem',
];

/** Folders that belong to a trust store: the CA sources update-ca-certificates / update-ca-trust read, and what they write. */
const trustStoreFolders = [
  '/usr/share/ca-certificates/',
  '/usr/local/share/ca-certificates/',
  '/etc/pki/ca-trust/',
  '/usr/share/pki/ca-trust-source/',
  '/etc/pki/trust/',
  '/usr/share/pki/trust/',
  '/var/lib/ca-certificates/',
  '/etc/ca-certificates/extracted/',
];

const javaCacertsNames = new Set(['cacerts', 'jssecacerts']);
const HASH_NAME = /^[0-9a-f]{8}\.\d+$/;
export const ROOT_BUNDLE_MIN = 10;

/** Whether a Java keystore's name says it is a cacerts file (whose well-known password is `changeit`). */
export function isJavaCacertsName(path: string): boolean {
  return javaCacertsNames.has(basename(path));
}

/** The kind of trust store a file read is, or undefined when it is not one. */
export function trustStoreOf(file: Pick<FileReadResult, 'path' | 'linkTarget' | 'certificates' | 'keys'>): TrustStoreKind | undefined {
  const path = portable(file.path);
  const formats = new Set(file.certificates.map((c) => c.format));
  if (isJavaCacertsName(path) && (formats.has('jks') || formats.has('jceks') || formats.has('pkcs12'))) return 'java-cacerts';
  if (systemBundles.some((b) => path.endsWith(b))) return 'system-bundle';
  if ([path, file.linkTarget && portable(file.linkTarget)].some((p) => p && trustStoreFolders.some((d) => p.includes(d)))) return 'ca-source';
  if (HASH_NAME.test(basename(path))) return 'hash-dir';
  if (file.keys.length === 0 && file.certificates.length >= ROOT_BUNDLE_MIN && file.certificates.every((c) => c.format === 'pem' && c.info.selfSigned)) {
    return 'root-bundle';
  }
  return undefined;
}

/** Whether a record is a trust anchor: held by a trust store, served by nothing, and either only in trust stores or naming no host. */
export function isTrustAnchor(record: Pick<CertificateRecord, 'sources'> & Parameters<typeof namesHost>[0]): boolean {
  let inStore = false;
  let elsewhere = false;
  for (const source of record.sources) {
    if (source.kind !== 'file') return false;
    if (source.trustStore) inStore = true;
    else elsewhere = true;
  }
  return inStore && (!elsewhere || !namesHost(record));
}

function portable(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
