import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { KeystoreFormatError, KeystorePasswordError, type KeystoreContents } from '../../../src/x509/keystore-types.js';
import { looksLikePkcs12, readPkcs12 } from '../../../src/x509/pkcs12.js';
import { keytool, opensslPkcs12, requireTool, writePemPair, hex, keyFingerprint } from '../../helpers/keystores.js';
import { chain, issue, tempDir, type Issued } from '../../helpers/pki.js';

const PASSWORD = 's3cret pw!';
const UNICODE_PASSWORD = 'pässwörd-€';
const JAVA_PASSWORD = 'storepass1';

interface Fixtures {
  root: Issued;
  intermediate: Issued;
  rsaLeaf: Issued;
  ecLeaf: Issued;
  files: Record<string, Buffer>;
}

let fx: Fixtures;
/** Keystores and throwaway keys are written here and removed afterwards. */
let workDir: string | undefined;

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});



/** Whatever happens, only our two error types may escape: never a forge or RangeError. */
function outcome(read: () => KeystoreContents): string {
  try {
    read();
    return 'ok';
  } catch (err) {
    if (err instanceof KeystorePasswordError) return 'password';
    if (err instanceof KeystoreFormatError) return 'format';
    throw err;
  }
}

beforeAll(async () => {
  requireTool('openssl');
  requireTool('keytool');
  const dir = tempDir('certfleet-p12-');
  workDir = dir;
  const rsa = await chain({ commonName: 'rsa.p12.test', key: 'rsa-2048' });
  const ecLeaf = await issue({ commonName: 'ec.p12.test', key: 'ec-p256' }, rsa.intermediate);
  const common = { chain: [rsa.intermediate], password: PASSWORD };
  const rootPem = writePemPair(dir, 'root', rsa.root).cert;
  const javaStores = async (): Promise<void> => {
    // Java's own PKCS12 writer: a key entry copied from OpenSSL's file, then a trusted certificate.
    await keytool('-importkeystore', '-srckeystore', join(dir, 'rsa-default.p12'), '-srcstoretype', 'PKCS12', '-srcstorepass', PASSWORD,
      '-destkeystore', join(dir, 'java.p12'), '-deststoretype', 'PKCS12', '-deststorepass', JAVA_PASSWORD);
    await keytool('-importcert', '-alias', 'test root', '-file', rootPem, '-storetype', 'PKCS12', '-keystore', join(dir, 'java.p12'), '-storepass', JAVA_PASSWORD);
  };
  const builds: Promise<unknown>[] = [
    opensslPkcs12(dir, 'rsa-legacy.p12', { ...common, leaf: rsa.leaf, legacy: true, name: 'rsa-leaf' }),
    opensslPkcs12(dir, 'ec-default.p12', { ...common, leaf: ecLeaf, name: 'ec-leaf' }),
    opensslPkcs12(dir, 'ec-legacy.p12', { ...common, leaf: ecLeaf, legacy: true, name: 'ec-leaf' }),
    opensslPkcs12(dir, 'empty.p12', { leaf: ecLeaf, password: '' }),
    opensslPkcs12(dir, 'nomac.p12', { leaf: ecLeaf, password: PASSWORD, noMac: true }),
    opensslPkcs12(dir, 'unicode.p12', { leaf: rsa.leaf, password: UNICODE_PASSWORD }),
    opensslPkcs12(dir, 'unicode-legacy.p12', { leaf: ecLeaf, password: UNICODE_PASSWORD, legacy: true }),
    opensslPkcs12(dir, 'rsa-default.p12', { ...common, leaf: rsa.leaf, name: 'rsa-leaf' }).then(javaStores),
    keytool('-genkeypair', '-alias', 'generated', '-keyalg', 'EC', '-groupname', 'secp384r1', '-dname', 'CN=keytool.test', '-validity', '30',
      '-storetype', 'PKCS12', '-keystore', join(dir, 'genkey.p12'), '-storepass', JAVA_PASSWORD),
    keytool('-importcert', '-alias', 'only root', '-file', rootPem, '-storetype', 'PKCS12', '-keystore', join(dir, 'trusted.p12'), '-storepass', JAVA_PASSWORD),
  ];
  await Promise.all(builds);
  const names = ['rsa-default', 'rsa-legacy', 'ec-default', 'ec-legacy', 'empty', 'nomac', 'unicode', 'unicode-legacy', 'java', 'genkey', 'trusted'];
  const files = Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, `${n}.p12`))]));
  fx = { root: rsa.root, intermediate: rsa.intermediate, rsaLeaf: rsa.leaf, ecLeaf, files };
}, 60_000);

describe('readPkcs12: OpenSSL files', () => {
  it.each([
    ['rsa-default', 'rsaLeaf', 'RSA', 2048],
    ['rsa-legacy', 'rsaLeaf', 'RSA', 2048],
    ['ec-default', 'ecLeaf', 'EC', 256],
    ['ec-legacy', 'ecLeaf', 'EC', 256],
  ] as const)('%s: one entry with the key, its leaf and the intermediate, leaf first', (file, leafName, keyType, keyBits) => {
    const leaf = fx[leafName];
    const contents = readPkcs12(fx.files[file]!, [PASSWORD]);
    expect(contents.format).toBe('pkcs12');
    expect(contents.entries).toHaveLength(1);
    const [entry] = contents.entries;
    expect(entry!.alias).toBe(leafName === 'rsaLeaf' ? 'rsa-leaf' : 'ec-leaf');
    // Exact bytes: the same certificate read from PEM has the same fingerprint.
    expect(entry!.certificates.map(hex)).toEqual([hex(leaf.der), hex(fx.intermediate.der)]);
    expect(entry!.privateKey).toEqual({ publicKeyFingerprintSha256: keyFingerprint(leaf), keyType, keyBits });
    expect(entry!.privateKeyFrom).toBe('private-key');
    expect(contents.notes).toBeUndefined();
  });

  it('rejects a wrong password with KeystorePasswordError, without echoing the password', () => {
    for (const file of ['rsa-default', 'ec-legacy']) {
      const err = catchError(() => readPkcs12(fx.files[file]!, ['not-it', 'also wrong']));
      expect(err).toBeInstanceOf(KeystorePasswordError);
      expect(err.message).toBe('wrong PKCS#12 password (tried 3)'); // the two given, then ""
      expect(err.message).not.toContain('not-it');
    }
  });

  it('tries each password in order until one opens the file', () => {
    const contents = readPkcs12(fx.files['ec-default']!, ['first', 'second', PASSWORD, 'after']);
    expect(contents.entries[0]!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.ecLeaf));
  });

  it('always tries the empty password last', () => {
    const contents = readPkcs12(fx.files['empty']!, ['wrong']);
    expect(contents.entries[0]!.certificates.map(hex)).toEqual([hex(fx.ecLeaf.der)]);
    expect(contents.entries[0]!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.ecLeaf));
    expect(readPkcs12(fx.files['empty']!, []).entries).toHaveLength(1);
  });

  it('reads a file without a MAC, where only decryption can tell a wrong password', () => {
    const contents = readPkcs12(fx.files['nomac']!, ['wrong', PASSWORD]);
    expect(contents.entries[0]!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.ecLeaf));
    expect(contents.entries[0]!.privateKeyFrom).toBe('private-key');
    expect(() => readPkcs12(fx.files['nomac']!, ['wrong'])).toThrow(KeystorePasswordError);
  });

  it('encodes a non-ASCII password as each scheme wants (UTF-8 for PBES2, BMP for the MAC and legacy PBE)', () => {
    expect(readPkcs12(fx.files['unicode']!, [UNICODE_PASSWORD]).entries[0]!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.rsaLeaf));
    expect(readPkcs12(fx.files['unicode-legacy']!, [UNICODE_PASSWORD]).entries[0]!.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.ecLeaf));
    expect(() => readPkcs12(fx.files['unicode']!, ['passwort'])).toThrow(KeystorePasswordError);
  });
});

describe('readPkcs12: keytool (Java 17) files', () => {
  it('reads a key entry with its chain and a trusted-certificate entry without a key', () => {
    const contents = readPkcs12(fx.files['java']!, [JAVA_PASSWORD]);
    const byAlias = new Map(contents.entries.map((e) => [e.alias, e]));
    expect([...byAlias.keys()].sort()).toEqual(['rsa-leaf', 'test root']);
    const keyEntry = byAlias.get('rsa-leaf')!;
    expect(keyEntry.certificates.map(hex)).toEqual([hex(fx.rsaLeaf.der), hex(fx.intermediate.der)]);
    expect(keyEntry.privateKey?.publicKeyFingerprintSha256).toBe(keyFingerprint(fx.rsaLeaf));
    const trusted = byAlias.get('test root')!;
    expect(trusted.certificates.map(hex)).toEqual([hex(fx.root.der)]);
    expect(trusted.privateKey).toBeUndefined();
  });

  it('matches a keytool-generated key to its own certificate', () => {
    const [entry, ...rest] = readPkcs12(fx.files['genkey']!, [JAVA_PASSWORD]).entries;
    expect(rest).toHaveLength(0);
    expect(entry!.alias).toBe('generated');
    const info = parseCertificate(entry!.certificates[0]!).info;
    expect(info.subject).toBe('CN=keytool.test');
    expect(entry!.privateKey).toEqual({ publicKeyFingerprintSha256: info.publicKeyFingerprintSha256, keyType: 'EC', keyBits: 384 });
  });

  it('reads a trusted-certificate-only keystore', () => {
    const contents = readPkcs12(fx.files['trusted']!, [JAVA_PASSWORD]);
    expect(contents.entries).toEqual([{ alias: 'only root', certificates: [new Uint8Array(fx.root.der)] }]);
    expect(() => readPkcs12(fx.files['trusted']!, ['changeit'])).toThrow(KeystorePasswordError);
  });
});

describe('looksLikePkcs12 and corrupt input', () => {
  it('sniffs PFX structure and nothing else', () => {
    for (const data of Object.values(fx.files)) expect(looksLikePkcs12(data)).toBe(true);
    expect(looksLikePkcs12(Buffer.from(fx.rsaLeaf.certPem))).toBe(false);
    expect(looksLikePkcs12(fx.rsaLeaf.der)).toBe(false);
    expect(looksLikePkcs12(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toBe(false);
  });

  it('reports a truncated file as a format error wherever it is cut', () => {
    const data = fx.files['rsa-default']!;
    for (const cut of [1, 2, 10, 100, data.length >> 1, data.length - 40, data.length - 1]) {
      const err = catchError(() => readPkcs12(data.subarray(0, cut), [PASSWORD]));
      expect(err, `cut at ${cut}`).toBeInstanceOf(KeystoreFormatError);
      expect(err.message).toMatch(/^(corrupt|not a) /);
      expect(err.message).not.toContain('\n');
    }
  });

  it('reports random bytes as a format error, also behind a valid PFX header', () => {
    const noise = randomBytes(4096);
    noise[0] = 0x30; // looks like DER to a sniff of one byte, but not like a PFX
    expect(looksLikePkcs12(noise)).toBe(false);
    expect(() => readPkcs12(noise, [PASSWORD])).toThrow(KeystoreFormatError);
    const header = Buffer.from([0x30, 0x82, 0x10, 0x05, 0x02, 0x01, 0x03, 0x30, 0x82, 0x10, 0x00]);
    const disguised = Buffer.concat([header, randomBytes(0x1000)]);
    expect(looksLikePkcs12(disguised)).toBe(true);
    expect(() => readPkcs12(disguised, [PASSWORD])).toThrow(KeystoreFormatError);
  });

  it('survives corrupted bytes anywhere: only its own errors, quickly', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    const started = Date.now();
    const outcomes = new Set<string>();
    for (const file of ['rsa-default', 'ec-legacy', 'java', 'nomac']) {
      const original = fx.files[file]!;
      for (let i = 0; i < 20; i++) {
        const data = Buffer.from(original);
        for (let k = 0; k < 1 + (i % 3); k++) data[next() % data.length]! ^= 1 + (next() % 255); // always a change
        outcomes.add(outcome(() => readPkcs12(data, [PASSWORD, JAVA_PASSWORD])));
      }
    }
    expect(outcomes.has('format') || outcomes.has('password')).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}
