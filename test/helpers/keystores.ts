/**
 * Build keystores at test time with the real tools (never committed): `openssl pkcs12 -export`
 * for PKCS#12 and `keytool` for JKS, JCEKS and Java's own PKCS12. A missing tool fails the test
 * with the reason; nothing is skipped silently.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseCertificate } from '../../src/x509/certificate.js';
import type { Issued } from './pki.js';
import { writeFile } from './pki.js';

const execFileAsync = promisify(execFile);

const installHints: Record<string, string> = {
  openssl: 'install OpenSSL 3 (apt-get install openssl)',
  keytool: 'install a Java runtime with keytool (apt-get install openjdk-17-jre-headless)',
};

/** Throw, naming the tool and how to get it, unless `tool` runs. */
export function requireTool(tool: 'openssl' | 'keytool'): void {
  const probe = spawnSync(tool, tool === 'openssl' ? ['version'] : ['-help'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(`these tests build keystores with the real ${tool}, which is not runnable here (${probe.error.message}): ${installHints[tool]}`);
  }
}

/**
 * Run a tool; on failure the error carries its stderr, so a broken fixture explains itself. Stdin
 * is closed at once: a tool that prompts (keytool asks for missing passwords) fails instead of hanging.
 */
export async function run(tool: string, args: readonly string[]): Promise<void> {
  try {
    const running = execFileAsync(tool, args, { timeout: 30_000 });
    running.child.stdin?.end();
    await running;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${tool} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Write an issued certificate and its key as PEM files; returns their paths. */
export function writePemPair(dir: string, name: string, issued: Issued): { cert: string; key: string } {
  return { cert: writeFile(join(dir, `${name}.crt`), issued.certPem), key: writeFile(join(dir, `${name}.key`), issued.keyPem, 0o600) };
}

export interface Pkcs12Options {
  leaf: Issued;
  /** Further certificates for the same entry (intermediates), as -certfile. */
  chain?: Issued[];
  password: string;
  /** OpenSSL's -legacy: RC2-40 for certificates, 3DES for the key, SHA-1 MAC. */
  legacy?: boolean;
  /** No MAC at all (-nomac): decryption is then the only password test. */
  noMac?: boolean;
  /** friendlyName of the key and leaf. */
  name?: string;
}

/** `openssl pkcs12 -export` into `dir/file`; returns the path. */
export async function opensslPkcs12(dir: string, file: string, options: Pkcs12Options): Promise<string> {
  const base = file.replace(/\W/g, '_');
  const { cert, key } = writePemPair(dir, base, options.leaf);
  const out = join(dir, file);
  const args = ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', out, '-passout', `pass:${options.password}`];
  if (options.chain?.length) {
    args.push('-certfile', writeFile(join(dir, `${base}-chain.pem`), options.chain.map((c) => c.certPem).join('')));
  }
  if (options.legacy) args.push('-legacy');
  if (options.noMac) args.push('-nomac');
  if (options.name !== undefined) args.push('-name', options.name);
  await run('openssl', args);
  return out;
}

/** `keytool` with the arguments given; -noprompt keeps it from waiting on stdin. */
export function keytool(...args: string[]): Promise<void> {
  return run('keytool', [...args, '-noprompt']);
}

/** The public-key fingerprint a keystore's key must carry to be matched to this certificate. */
export function keyFingerprint(issued: Issued): string {
  return parseCertificate(issued.der).info.publicKeyFingerprintSha256;
}

/** Bytes as hex, so certificate DER compares readably in assertions. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
