import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { looksLikeJks, readJks } from '../../../src/x509/jks.js';
import { KeystoreFormatError, KeystorePasswordError, type KeystoreContents } from '../../../src/x509/keystore-types.js';
import { keytool, opensslPkcs12, requireTool, writePemPair, hex, keyFingerprint } from '../../helpers/keystores.js';
import { chain, issue, tempDir, type Issued } from '../../helpers/pki.js';

const STORE_PASSWORD = 'storepass1';
const KEY_PASSWORD = 'keypass22';
const TRUSTED_ALIAS = 'wurzel-ä€'; // non-ASCII: Java writes aliases in modified UTF-8

interface Fixtures {
  root: Issued;
  intermediate: Issued;
  rsaLeaf: Issued;
  ecLeaf: Issued;
  files: Record<'jks' | 'ecKeyPassword' | 'trusted' | 'jceks' | 'genkey', Buffer>;
}

let fx: Fixtures;
/** Keystores and throwaway keys are written here and removed afterwards. */
let workDir: string | undefined;

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});



function byAlias(contents: KeystoreContents): Map<string | undefined, KeystoreContents['entries'][number]> {
  return new Map(contents.entries.map((e) => [e.alias, e]));
}

beforeAll(async () => {
  requireTool('openssl');
  requireTool('keytool');
  const dir = tempDir('certfleet-jks-');
  workDir = dir;
  const rsa = await chain({ commonName: 'rsa.jks.test', key: 'rsa-2048' });
  const ecLeaf = await issue({ commonName: 'ec.jks.test', key: 'ec-p256' }, rsa.intermediate);
  const rootPem = writePemPair(dir, 'root', rsa.root).cert;
  // keytool cannot import a PEM key, so keys go in through a PKCS#12 made by OpenSSL.
  const [rsaP12, ecP12] = await Promise.all([
    opensslPkcs12(dir, 'rsa.p12', { leaf: rsa.leaf, chain: [rsa.intermediate], password: STORE_PASSWORD, name: 'rsa-leaf' }),
    opensslPkcs12(dir, 'ec.p12', { leaf: ecLeaf, chain: [rsa.intermediate], password: STORE_PASSWORD, name: 'ec-leaf' }),
  ]);
  const path = (name: string): string => join(dir, name);
  const importKeys = (src: string, dest: string, type: string, ...extra: string[]): Promise<void> =>
    keytool('-importkeystore', '-srckeystore', src, '-srcstoretype', 'PKCS12', '-srcstorepass', STORE_PASSWORD,
      '-destkeystore', path(dest), '-deststoretype', type, '-deststorepass', STORE_PASSWORD, ...extra);
  const importRoot = (dest: string, type: string, alias = 'root'): Promise<void> =>
    keytool('-importcert', '-alias', alias, '-file', rootPem, '-storetype', type, '-keystore', path(dest), '-storepass', STORE_PASSWORD);
  // keytool starts a JVM each time (~0.5 s): independent stores are built side by side.
  await Promise.all([
    importKeys(rsaP12, 'store.jks', 'JKS').then(() => importRoot('store.jks', 'JKS')),
    importKeys(rsaP12, 'store.jceks', 'JCEKS')
      .then(() => keytool('-genseckey', '-alias', 'aes', '-keyalg', 'AES', '-keysize', '128', '-storetype', 'JCEKS', '-keystore', path('store.jceks'), '-storepass', STORE_PASSWORD, '-keypass', STORE_PASSWORD))
      .then(() => importRoot('store.jceks', 'JCEKS')),
    importKeys(ecP12, 'keypass.jks', 'JKS', '-destkeypass', KEY_PASSWORD)
      .then(() => importRoot('trusted.jks', 'JKS', TRUSTED_ALIAS)),
    keytool('-genkeypair', '-alias', 'generated', '-keyalg', 'EC', '-groupname', 'secp384r1', '-dname', 'CN=keytool.test', '-validity', '30',
      '-storetype', 'JKS', '-keystore', path('genkey.jks'), '-storepass', STORE_PASSWORD, '-keypass', STORE_PASSWORD),
  ]);
  fx = {
    root: rsa.root,
    intermediate: rsa.intermediate,
    rsaLeaf: rsa.leaf,
    ecLeaf,
    files: {
      jks: readFileSync(path('store.jks')),
      ecKeyPassword: readFileSync(path('keypass.jks')),
      trusted: readFileSync(path('trusted.jks')),
      jceks: readFileSync(path('store.jceks')),
      genkey: readFileSync(path('genkey.jks')),
    },
  };
}, 60_000);

describe('readJks', () => {
  it('reads a private-key entry with a chain of 2, leaf first, and a trusted certificate', () => {
    const contents = readJks(fx.files.jks, [STORE_PASSWORD]);
    expect(contents.format).toBe('jks');
    const entries = byAlias(contents);
    expect([...entries.keys()].sort()).toEqual(['root', 'rsa-leaf']);
    const keyEntry = entries.get('rsa-leaf')!;
    expect(keyEntry.certificates.map(hex)).toEqual([hex(fx.rsaLeaf.der), hex(fx.intermediate.der)]);
    // Decrypted from Sun's key protection, and it matches the certificate's key.
    expect(keyEntry.privateKey).toEqual({ publicKeyFingerprintSha256: keyFingerprint(fx.rsaLeaf), keyType: 'RSA', keyBits: 2048 });
    expect(keyEntry.privateKeyFrom).toBe('private-key');
    const trusted = entries.get('root')!;
    expect(trusted.certificates.map(hex)).toEqual([hex(fx.root.der)]);
    expect(trusted.privateKey).toBeUndefined();
    expect(contents.notes).toBeUndefined();
  });

  it('refuses a wrong password, counting the empty password it also tried', () => {
    const read = (): unknown => readJks(fx.files.jks, ['changeit']);
    expect(read).toThrow(KeystorePasswordError);
    expect(read).toThrow(/^wrong keystore password \(tried 2\)$/);
    // Trusted-only stores are refused too: listing them unverified would hide a wrong password.
    expect(() => readJks(fx.files.trusted, [])).toThrow('wrong keystore password (tried 1)');
  });

  it('tries several passwords in order', () => {
    const contents = readJks(fx.files.jks, ['changeit', 'secret', STORE_PASSWORD]);
    expect(byAlias(contents).get('rsa-leaf')!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.rsaLeaf));
  });

  it('falls back to the leaf certificate when the key password differs, and decrypts when it is given', () => {
    const withoutKeyPassword = readJks(fx.files.ecKeyPassword, [STORE_PASSWORD]);
    const entry = byAlias(withoutKeyPassword).get('ec-leaf')!;
    expect(entry.privateKeyFrom).toBe('leaf-certificate');
    expect(entry.privateKey).toEqual({ publicKeyFingerprintSha256: keyFingerprint(fx.ecLeaf), keyType: 'EC', keyBits: 256 });
    expect(withoutKeyPassword.notes).toEqual(['entry "ec-leaf": no password decrypts the private key (tried 2); key facts taken from its certificate']);

    const withKeyPassword = byAlias(readJks(fx.files.ecKeyPassword, [STORE_PASSWORD, KEY_PASSWORD])).get('ec-leaf')!;
    expect(withKeyPassword.privateKeyFrom).toBe('private-key');
    expect(withKeyPassword.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.ecLeaf));
    expect(withKeyPassword.certificates.map(hex)).toEqual([hex(fx.ecLeaf.der), hex(fx.intermediate.der)]);
  });

  it('reads a trusted-certificate-only keystore with a non-ASCII alias', () => {
    const contents = readJks(fx.files.trusted, ['wrong', STORE_PASSWORD]);
    expect(contents.entries).toEqual([{ alias: TRUSTED_ALIAS, certificates: [new Uint8Array(fx.root.der)] }]);
  });

  it('matches a keytool-generated key to its own certificate', () => {
    const [entry, ...rest] = readJks(fx.files.genkey, [STORE_PASSWORD]).entries;
    expect(rest).toHaveLength(0);
    const info = parseCertificate(entry!.certificates[0]!).info;
    expect(info.subject).toBe('CN=keytool.test');
    expect(entry!.privateKey).toEqual({ publicKeyFingerprintSha256: info.publicKeyFingerprintSha256, keyType: 'EC', keyBits: 384 });
    expect(entry!.privateKeyFrom).toBe('private-key');
  });

  it('reads JCEKS: decrypts its 3DES-protected key, steps over a secret key, keeps the trusted certificate', () => {
    const contents = readJks(fx.files.jceks, [STORE_PASSWORD]);
    expect(contents.format).toBe('jceks');
    const entries = byAlias(contents);
    expect([...entries.keys()].sort()).toEqual(['root', 'rsa-leaf']);
    const keyEntry = entries.get('rsa-leaf')!;
    expect(keyEntry.certificates.map(hex)).toEqual([hex(fx.rsaLeaf.der), hex(fx.intermediate.der)]);
    expect(keyEntry.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.rsaLeaf));
    expect(keyEntry.privateKeyFrom).toBe('private-key');
    expect(entries.get('root')!.certificates.map(hex)).toEqual([hex(fx.root.der)]);
    expect(contents.notes).toEqual(['skipped secret-key entry "aes"']);
    expect(() => readJks(fx.files.jceks, ['wrong'])).toThrow(KeystorePasswordError);
  });

  it('reads version 1 (no certificate type strings), written here from the format description', () => {
    const cert = Buffer.from(fx.root.der);
    const alias = Buffer.from('v1-root');
    const body = Buffer.concat([
      u32(0xfeedfeed), u32(1), u32(1),
      u32(2), u16(alias.length), alias, Buffer.alloc(8), u32(cert.length), cert,
    ]);
    const password = Buffer.from('version1', 'utf16le').swap16();
    const digest = createHash('sha1').update(password).update('Mighty Aphrodite').update(body).digest();
    const contents = readJks(Buffer.concat([body, digest]), ['version1']);
    expect(contents.entries).toEqual([{ alias: 'v1-root', certificates: [new Uint8Array(cert)] }]);
  });
});

describe('looksLikeJks and corrupt input', () => {
  it('sniffs the JKS and JCEKS magic numbers only', () => {
    expect(looksLikeJks(fx.files.jks)).toBe(true);
    expect(looksLikeJks(fx.files.jceks)).toBe(true);
    expect(looksLikeJks(fx.rsaLeaf.der)).toBe(false);
    expect(looksLikeJks(new Uint8Array([0xfe, 0xed, 0xfe]))).toBe(false);
  });

  it('reports a truncated keystore as a format error wherever it is cut', () => {
    for (const data of [fx.files.jks, fx.files.jceks]) {
      for (const cut of [0, 3, 4, 11, 12, 40, data.length >> 1, data.length - 21, data.length - 1]) {
        const read = (): unknown => readJks(data.subarray(0, cut), [STORE_PASSWORD]);
        expect(read, `cut at ${cut}`).toThrow(KeystoreFormatError);
        expect(read).toThrow(/^(truncated|corrupt|not a Java keystore)/);
      }
    }
  });

  it('reports random bytes as a format error, also behind a valid header', () => {
    const noise = randomBytes(4096);
    noise[0] = 0x00;
    expect(looksLikeJks(noise)).toBe(false);
    expect(() => readJks(noise, [STORE_PASSWORD])).toThrow('not a Java keystore');
    for (const magic of [0xfeedfeed, 0xcececece]) {
      const disguised = Buffer.concat([u32(magic), u32(2), randomBytes(4096)]);
      expect(looksLikeJks(disguised)).toBe(true);
      expect(() => readJks(disguised, [STORE_PASSWORD])).toThrow(KeystoreFormatError);
      // A plausible count with garbage entries.
      const plausible = Buffer.concat([u32(magic), u32(2), u32(3), randomBytes(4096)]);
      expect(() => readJks(plausible, [STORE_PASSWORD])).toThrow(KeystoreFormatError);
    }
  });

  it('survives corrupted bytes anywhere: only its own errors, quickly', () => {
    let seed = 4242;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const started = Date.now();
    const outcomes: Record<string, number> = {};
    for (const data of [fx.files.jks, fx.files.jceks, fx.files.trusted]) {
      for (let i = 0; i < 150; i++) {
        const copy = Buffer.from(data);
        for (let k = 0; k < 1 + (i % 3); k++) copy[next() % copy.length]! ^= 1 + (next() % 255); // always a change
        let result: string;
        try {
          readJks(copy, [STORE_PASSWORD]);
          result = 'ok';
        } catch (err) {
          if (err instanceof KeystorePasswordError) result = 'password';
          else if (err instanceof KeystoreFormatError) result = 'format';
          else throw err;
        }
        outcomes[result] = (outcomes[result] ?? 0) + 1;
      }
    }
    // Any change to the bytes before the digest breaks it: tampering reads as a wrong password.
    expect(outcomes['password']).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
