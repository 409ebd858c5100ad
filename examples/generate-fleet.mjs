#!/usr/bin/env node
// Makes the example fleet's certificates and keys (examples/fleet/generated/, git-ignored: keys
// are never committed). The configs under examples/fleet/etc/ point at these files by relative
// paths. Each file is chosen to show one finding of `certfleet inventory`; FLEET.md in the output
// says which. Plain Node ESM so it runs before any build; needs the `openssl` and `keytool` CLIs
// for the PKCS#12 and JKS stores.
//
// Usage: node examples/generate-fleet.mjs [--force] [--out <dir>]
//   Without --force an existing, complete output is left as it is (the run is idempotent).
//   The certificates' dates are relative to now: regenerate (--force) when the fleet gets old.
//   The password of every store and of the encrypted key is `changeit`, the documented example
//   password; it protects nothing.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { KeyObject, createPrivateKey, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const EXAMPLE_PASSWORD = 'changeit';
const DAY = 86_400_000;
const MARKER = 'FLEET.md';

function parseArgs(argv) {
  const args = { force: false, out: join(dirname(fileURLToPath(import.meta.url)), 'fleet', 'generated') };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') args.force = true;
    else if (argv[i] === '--out' && argv[i + 1]) args.out = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}; usage: generate-fleet.mjs [--force] [--out <dir>]`);
  }
  return args;
}

// ---- certificates ---------------------------------------------------------------------------

const keyAlgorithms = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-1024': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
};

async function generateKeys(kind) {
  return webcrypto.subtle.generateKey(keyAlgorithms[kind], true, ['sign', 'verify']);
}

/** WebCrypto binds an RSA key to one hash; re-import it to sign with another (SHA-1 for the weak one). */
async function signingKeyFor(keys, hash) {
  const alg = keys.privateKey.algorithm;
  if (alg.name !== 'RSASSA-PKCS1-v1_5' || alg.hash.name === hash) return keys.privateKey;
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return webcrypto.subtle.importKey('pkcs8', pkcs8, { name: alg.name, hash }, true, ['sign']);
}

let serial = 0x2000;

/** Issue a certificate; no issuer: self-signed. `keys` lets a caller reuse a key pair. */
async function issue({ commonName, sans = [], notBefore, days, key = 'ec-p256', hash = 'SHA-256', ca = false, keys }, issuer) {
  keys ??= await generateKeys(key);
  const signer = issuer ? issuer.keys : keys;
  const signerName = signer.privateKey.algorithm.name;
  const extensions = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey));
  if (ca) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
    extensions.push(new x509.SubjectAlternativeNameExtension(sans.map((value) => ({ type: 'dns', value }))));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16) + Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0'),
    subject: `CN=${commonName}`,
    issuer: issuer ? issuer.cert.subject : `CN=${commonName}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY),
    signingAlgorithm: { name: signerName, hash },
    publicKey: keys.publicKey,
    signingKey: await signingKeyFor(signer, hash),
    extensions,
  });
  const keyPem = KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' });
  return { cert, keys, pem: `${cert.toString('pem')}\n`, keyPem };
}

// ---- files ----------------------------------------------------------------------------------

function writer(base) {
  return (relativePath, content, mode = 0o644) => {
    const path = join(base, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
    chmodSync(path, mode); // the umask must not decide a key's mode
    return path;
  };
}

function run(tool, args, hint) {
  try {
    execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') throw new Error(`${tool} not found: ${hint}`, { cause: err });
    throw new Error(`${tool} ${args[0]} failed: ${String(err.stderr ?? err.message).trim()}`, { cause: err });
  }
}

// ---- the fleet ------------------------------------------------------------------------------

async function generate(out) {
  const write = writer(out);
  const now = Date.now();
  const ago = (days) => new Date(now - days * DAY);

  const root = await issue({ commonName: 'certfleet Example Root CA', notBefore: ago(1), days: 3650, key: 'rsa-2048', ca: true });
  const intermediate = await issue({ commonName: 'certfleet Example Intermediate CA', notBefore: ago(1), days: 1825, key: 'rsa-2048', ca: true }, root);
  write('ca/root.pem', root.pem);
  write('ca/intermediate.pem', intermediate.pem);
  const chainPem = intermediate.pem;

  /** A leaf under the intermediate, written as cert.pem, chain.pem, fullchain.pem and privkey.pem. */
  const leaf = async (dir, options, { keyMode = 0o600, withChain = true } = {}) => {
    const issued = await issue({ notBefore: ago(1), days: 90, ...options }, options.selfSigned ? undefined : intermediate);
    write(`${dir}/cert.pem`, issued.pem);
    if (withChain) {
      write(`${dir}/chain.pem`, chainPem);
      write(`${dir}/fullchain.pem`, issued.pem + chainPem);
    }
    write(`${dir}/privkey.pem`, issued.keyPem, keyMode);
    return issued;
  };

  const shop = ['shop.example.test', 'www.shop.example.test'];
  await leaf('healthy-ec', { commonName: shop[0], sans: shop });
  const rsa = await leaf('healthy-rsa', { commonName: shop[0], sans: shop, key: 'rsa-2048' });
  write('healthy-rsa/combined.pem', rsa.pem + chainPem + rsa.keyPem, 0o600);

  await leaf('expired', { commonName: 'old.example.test', sans: ['old.example.test'], notBefore: ago(100), days: 90 });
  await leaf('expiring-soon', { commonName: 'soon.example.test', sans: ['soon.example.test'], notBefore: ago(75), days: 90 });
  await leaf('not-yet-valid', { commonName: 'future.example.test', sans: ['future.example.test'], notBefore: ago(-10), days: 90 });
  // The 200-day limit applies to certificates issued from 2026-03-15 on; this one is issued after it.
  const longStart = new Date(Math.max(now - 3_600_000, Date.UTC(2026, 2, 16)));
  await leaf('long-lived', { commonName: 'long.example.test', sans: ['long.example.test'], notBefore: longStart, days: 398 });
  await leaf('self-signed', { commonName: 'selfsigned.example.test', sans: ['selfsigned.example.test'], selfSigned: true }, { withChain: false });
  await leaf('weak-rsa-1024', { commonName: 'weak.example.test', sans: ['weak.example.test'], key: 'rsa-1024' });
  await leaf('sha1', { commonName: 'legacy.example.test', sans: ['legacy.example.test'], hash: 'SHA-1' });
  await leaf('leaf-only', { commonName: 'leafonly.example.test', sans: ['leafonly.example.test'] }, { withChain: false });
  await leaf('hostname-mismatch', { commonName: 'blog.example.test', sans: ['blog.example.test'] });
  await leaf('loose-permissions', { commonName: 'perms.example.test', sans: ['perms.example.test'] }, { keyMode: 0o644 });

  // key-mismatch: privkey.pem belongs to a different key pair than cert.pem.
  await leaf('key-mismatch', { commonName: 'mismatch.example.test', sans: ['mismatch.example.test'] });
  const stranger = await generateKeys('ec-p256');
  write('key-mismatch/privkey.pem', KeyObject.from(stranger.privateKey).export({ type: 'pkcs8', format: 'pem' }), 0o600);

  const orphan = await generateKeys('ec-p256');
  write('orphaned/orphan.key', KeyObject.from(orphan.privateKey).export({ type: 'pkcs8', format: 'pem' }), 0o600);

  const encrypted = await leaf('encrypted-key', { commonName: 'vault.example.test', sans: ['vault.example.test'] });
  write(
    'encrypted-key/privkey.pem',
    createPrivateKey(encrypted.keyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: EXAMPLE_PASSWORD }),
    0o600,
  );

  const der = await issue({ commonName: 'der.example.test', sans: ['der.example.test'], notBefore: ago(1), days: 90 }, intermediate);
  write('der/cert.cer', new Uint8Array(der.cert.rawData));

  const bundled = await issue({ commonName: 'bundle.example.test', sans: ['bundle.example.test'], notBefore: ago(1), days: 90 }, intermediate);
  write('bundle/bundle.pem', bundled.pem + intermediate.pem + root.pem);

  // HAProxy: one combined PEM (leaf, chain, key), and a directory whose api.pem has its key beside it.
  const lb = await issue({ commonName: 'lb.example.test', sans: ['lb.example.test'], notBefore: ago(1), days: 90 }, intermediate);
  write('haproxy/site.pem', lb.pem + chainPem + lb.keyPem, 0o600);
  const api = await issue({ commonName: 'api.example.test', sans: ['api.example.test'], notBefore: ago(1), days: 90 }, intermediate);
  write('haproxy/certs/api.pem', api.pem + chainPem);
  write('haproxy/certs/api.pem.key', api.keyPem, 0o600);

  // Java stores: PKCS#12 as OpenSSL 3 writes it by default (AES-256, PBKDF2) and with -legacy
  // (RC2/3DES, what older Java and Windows read), and a JKS converted from it by keytool.
  await leaf('pkcs12/source', { commonName: 'app.example.test', sans: ['app.example.test'] });
  const source = (name) => join(out, 'pkcs12/source', name);
  const p12 = join(out, 'pkcs12/keystore.p12');
  const p12Args = ['pkcs12', '-export', '-in', source('cert.pem'), '-inkey', source('privkey.pem'), '-certfile', source('chain.pem'), '-name', 'app', '-passout', `pass:${EXAMPLE_PASSWORD}`];
  const openSslHint = 'install OpenSSL (apt-get install openssl)';
  run('openssl', [...p12Args, '-out', p12], openSslHint);
  run('openssl', [...p12Args, '-legacy', '-out', join(out, 'pkcs12/keystore-legacy.p12')], openSslHint);
  chmodSync(p12, 0o600);
  chmodSync(join(out, 'pkcs12/keystore-legacy.p12'), 0o600);
  mkdirSync(join(out, 'jks'), { recursive: true });
  run(
    'keytool',
    ['-importkeystore', '-noprompt', '-srckeystore', p12, '-srcstoretype', 'PKCS12', '-srcstorepass', EXAMPLE_PASSWORD,
      '-destkeystore', join(out, 'jks/keystore.jks'), '-deststoretype', 'JKS', '-deststorepass', EXAMPLE_PASSWORD],
    'install a Java runtime (apt-get install default-jre-headless)',
  );
  chmodSync(join(out, 'jks/keystore.jks'), 0o600);
  // The PEM sources of the stores are not part of the example; the stores are.
  rmSync(join(out, 'pkcs12/source'), { recursive: true, force: true });

  // For `certfleet inventory --password-file`: opens the stores and the encrypted key.
  write('example-password.txt', `${EXAMPLE_PASSWORD}\n`, 0o600);
  write(MARKER, fleetGuide(new Date(now)));
}

function fleetGuide(when) {
  return `# The example fleet's files (generated ${when.toISOString()})

Made by \`node examples/generate-fleet.mjs\`; dates are relative to that moment (regenerate with
\`--force\` when it gets old). All passwords are \`changeit\`. Every key is mode 0600 except where
the finding needs otherwise.

| file(s) | shows | served by |
| --- | --- | --- |
| ca/root.pem, ca/intermediate.pem | the private CA (pass ca/root.pem as a trust anchor) | - |
| healthy-ec/* (EC P-256) | nothing wrong | nginx (shop.conf, and the http-level default) |
| healthy-rsa/* (RSA 2048), healthy-rsa/combined.pem | nothing wrong (the RSA half of a dual-cert server) | nginx shop.conf, HAProxy crt-list |
| expired/* | expired | nginx lifecycle.conf |
| expiring-soon/* | expiring-soon (15 of 90 days left) | nginx lifecycle.conf |
| not-yet-valid/* | not-yet-valid (starts in 10 days) | nginx lifecycle.conf |
| long-lived/* | lifetime-exceeds-policy (398 days, issued after 2026-03-15) | nginx lifecycle.conf |
| self-signed/* | self-signed | nginx problems.conf |
| leaf-only/* | incomplete-chain (no intermediate served) | nginx problems.conf |
| hostname-mismatch/* | hostname-mismatch (news.example.test is not in the certificate) | nginx problems.conf |
| loose-permissions/privkey.pem (0644) | key-file-permissions | nginx problems.conf |
| weak-rsa-1024/* | weak-key (RSA 1024) | Traefik dynamic.yml |
| sha1/* | weak-signature (sha1WithRSAEncryption) | Apache legacy.conf (with SSLCertificateChainFile) |
| key-mismatch/* | key-mismatch (privkey.pem is another key) | Apache legacy.conf |
| orphaned/orphan.key | an orphaned key (no certificate uses it) | - |
| encrypted-key/privkey.pem | an encrypted PKCS#8 key (password changeit) | - |
| der/cert.cer | a DER certificate | - |
| bundle/bundle.pem | a PEM bundle of three certificates | - |
| pkcs12/keystore.p12, pkcs12/keystore-legacy.p12 | PKCS#12, OpenSSL 3 default and -legacy | - |
| jks/keystore.jks | a JKS keystore (keytool) | - |
| haproxy/site.pem | a HAProxy combined PEM (leaf, chain, key) | HAProxy haproxy.cfg |
| haproxy/certs/api.pem + api.pem.key | a HAProxy crt directory with the key beside the certificate | HAProxy haproxy.cfg |
| example-password.txt | the example password, for \`--password-file\` | - |
`;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (existsSync(join(args.out, MARKER)) && !args.force) {
    console.error(`${args.out} already generated (use --force to regenerate)`);
    return;
  }
  // Build beside the target and swap it in, so an interrupted run never leaves half a fleet.
  const building = `${args.out}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  try {
    await generate(building);
    rmSync(args.out, { recursive: true, force: true });
    renameSync(building, args.out);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    throw err;
  }
  console.error(`example fleet generated in ${args.out}`);
}

main().catch((err) => {
  console.error(`generate-fleet: ${err.message}`);
  process.exitCode = 1;
});
