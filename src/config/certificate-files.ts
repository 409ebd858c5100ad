/**
 * Managed certificates from more than one file: the main config's own `certificates`, and the
 * *.yaml, *.yml and *.json files of `certificates.d/` beside it (a fleet of 100,000 is not one
 * file a person edits, and a tool can own a file of its own). Each file is a list of certificate
 * entries or `{ certificates: [...] }`, checked by the main config's schema for them; relative
 * paths in it are relative to that file, as they are in the main file.
 *
 * Nothing here resolves an entry (CA, secrets, programs: renew-options.ts does, given as
 * `resolve`), and nothing reads every file up front: a run on the shared store reads the files
 * one at a time (`certfleet apply`) or not at all (its fingerprint did not change).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { ManagedCertificate } from '../renewal/managed.js';
import { issuePath } from './issue-text.js';
import { validateConfigFile } from './load.js';
import { certificatesSchema, type ManagedCertificateConfig } from './renew-schema.js';
import type { CertfleetConfig } from './schema.js';

export const CERTIFICATES_DIR = 'certificates.d';

/** One certificate entry as written, and where: what a message names and what its relative paths are relative to. */
export interface CertificateEntry {
  entry: ManagedCertificateConfig;
  /**
   * The entry as written in the file, before the schema's defaults and conversions: what the
   * shared store keeps (`certfleet apply`), so any certfleet version checks it again with its own
   * schema (a parsed entry does not parse again: a default timeout of 10000 ms is no duration).
   */
  written: unknown;
  /** The directory of the file that holds it (relative paths in the entry are relative to it). */
  baseDir: string;
  /** `certificates[3] (www)`, or `certificates.d/web.yaml: certificates[3] (www)`. */
  where: string;
  /** Absolute path of the file that holds it. */
  file: string;
}

export interface SpecSource {
  /** The main config's own `certificates`. */
  inline: CertificateEntry[];
  /** The certificates.d files, absolute, sorted by name (byte order): as listed when the source was opened. */
  files: string[];
  /**
   * One file's entries, validated. A name that the main file or a file read before by this source
   * already has is a ConfigError naming both places (reading every file in `files` checks them all).
   */
  read(file: string): Promise<CertificateEntry[]>;
  /**
   * sha256 (base64url) over the main config's certificates, acme and policy sections and each
   * file's name and bytes: it changes whenever any spec may have. It reads bytes and parses nothing.
   */
  fingerprint(): Promise<string>;
  /** One entry resolved (CA, secrets, program checks), its relative paths against its baseDir. */
  resolve(entry: CertificateEntry): Promise<ManagedCertificate>;
}

export interface SpecSourceOptions {
  config: Pick<CertfleetConfig, 'certificates' | 'acme' | 'policy'>;
  /** The main config file; undefined when none was found (then there is no certificates.d). */
  configFile: string | undefined;
  /** What the main file's relative paths are relative to (its directory, or the working directory without one). */
  baseDir: string;
  resolve: (entry: CertificateEntry) => Promise<ManagedCertificate>;
  /** The main file's `certificates` as written (the parsed ones stand in when not given). */
  writtenCertificates?: readonly unknown[];
}

/** A certificates.d file: either shape, nothing else beside `certificates`. */
const fileSchema = z.strictObject({ certificates: certificatesSchema });

const SPEC_FILE = /\.(ya?ml|json)$/;

/** Files read ahead while the fingerprint hashes: enough to overlap reading and hashing, few enough to bound memory. */
const READ_AHEAD = 4;

/** Lists certificates.d (parsing nothing in it) and returns the source of every entry. */
export async function openSpecSource(options: SpecSourceOptions): Promise<SpecSource> {
  const { config, configFile, baseDir } = options;
  const inlineFile = configFile ?? baseDir;
  const inline = (config.certificates ?? []).map(
    (entry, i): CertificateEntry => ({ entry, written: options.writtenCertificates?.[i] ?? entry, baseDir, where: `certificates[${i}] (${entry.name})`, file: inlineFile }),
  );
  const files = configFile ? await listCertificateFiles(join(dirname(configFile), CERTIFICATES_DIR)) : [];
  const shown = (file: string) => relative(baseDir, file);
  /**
   * Every name read so far -> its file and place: one map, so a duplicate across 100 files costs a
   * lookup, not a scan, and it holds no entry (the specs of a fleet are never all in memory at once).
   */
  const seen = new Map<string, { file: string; where: string }>(inline.map((e) => [e.entry.name, { file: e.file, where: e.where }]));
  return {
    inline,
    files,
    async read(file) {
      const entries = parseCertificateFile(await readSpecFile(file, shown(file)), file, shown(file));
      for (const e of entries) {
        const first = seen.get(e.entry.name);
        if (first && first.file !== file) {
          throw new ConfigError(`${e.where}: the name "${e.entry.name}" is also ${first.where}`, `each certificate's name must be unique across the config file and ${CERTIFICATES_DIR}/`);
        }
        seen.set(e.entry.name, { file, where: e.where });
      }
      return entries;
    },
    fingerprint: () => fingerprint(config, baseDir, files, shown),
    resolve: options.resolve,
  };
}

/**
 * The spec files of `dir`, absolute and sorted by name in byte order (the same on every host,
 * whatever its locale). Not recursive; dotfiles (editor swap files, `.web.yaml.swp`) and other
 * extensions (`web.yaml.bak`) are skipped; a spec file that is not a regular file is an error,
 * as a file that cannot be listed is (a symbolic link to a regular file is fine).
 */
export async function listCertificateFiles(dir: string): Promise<string[]> {
  let dirents;
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ENOTDIR') throw new ConfigError(`${dir} is not a directory`, `${CERTIFICATES_DIR} beside the config file holds certificate files; move this file away`);
    throw new ConfigError(`cannot list ${dir}: ${code ?? (err as Error).message}`, undefined, err);
  }
  const names = dirents.filter((d) => !d.name.startsWith('.') && SPEC_FILE.test(d.name));
  for (const d of names) {
    const path = join(dir, d.name);
    let regular = d.isFile();
    if (!regular && d.isSymbolicLink()) {
      try {
        regular = (await stat(path)).isFile();
      } catch (err) {
        throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'a symbolic link here must lead to a readable file');
      }
    }
    if (!regular) throw new ConfigError(`${path} is not a regular file`, `${CERTIFICATES_DIR}/ holds certificate files (*.yaml, *.yml, *.json); move it away or rename it`);
  }
  return names.map((d) => d.name).sort(byteOrder).map((name) => join(dir, name));
}

/** A file's entries from its text: YAML or JSON by its extension, validated, each with its place. */
export function parseCertificateFile(text: string, file: string, shown: string): CertificateEntry[] {
  const raw = file.endsWith('.json') ? parseJson(text, file) : parseYaml(text, file);
  if (raw === null || raw === undefined) {
    // Not zero certificates: a file emptied by mistake would otherwise retire its certificates quietly.
    throw new ConfigError(`invalid config file ${file}: it holds nothing`, 'write a list of certificates, or `[]` for none (or remove the file)');
  }
  if (typeof raw !== 'object') {
    throw new ConfigError(`invalid config file ${file}: (top level): a list of certificates, or { certificates: [...] }, not a ${typeof raw}`);
  }
  // One shape to validate, so a list's problems read `certificates[3] (www).deploy.key` as the main file's do.
  const shape = Array.isArray(raw) ? { certificates: raw as unknown[] } : (raw as { certificates: unknown[] });
  const { certificates } = validateConfigFile(fileSchema, shape, file);
  const baseDir = dirname(file);
  return certificates.map((entry, i) => ({ entry, written: shape.certificates[i], baseDir, where: `${shown}: certificates[${i}] (${entry.name})`, file }));
}

/**
 * An entry kept elsewhere (the specs table of the shared store) checked again by this version's
 * schema before it is resolved: another version of certfleet may have written it.
 */
export function checkedEntry(stored: { entry: unknown; baseDir: string; where: string; file: string }): CertificateEntry {
  const parsed = certificatesSchema.safeParse([stored.entry]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${stored.where}: as stored: ${issuePath(issue.path.slice(1))}: ${issue.message}`, 'apply the config again with this version of certfleet (certfleet apply)');
  }
  return { entry: parsed.data[0]!, written: stored.entry, baseDir: stored.baseDir, where: stored.where, file: stored.file };
}

function parseYaml(text: string, file: string): unknown {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) throw new ConfigError(`invalid config file ${file}: not valid YAML: ${error.message}`);
  return doc.toJS();
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`invalid config file ${file}: not valid JSON: ${(err as Error).message}`);
  }
}

async function readSpecFile(file: string, shown: string): Promise<string> {
  // Without the byte order mark some editors write: JSON.parse refuses it.
  return (await readBytes(file, shown)).toString('utf8').replace(/^\uFEFF/, '');
}

async function readBytes(file: string, shown: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new ConfigError(`cannot read ${shown} (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, err);
  }
}

async function fingerprint(config: SpecSourceOptions['config'], baseDir: string, files: readonly string[], shown: (file: string) => string): Promise<string> {
  const hash = createHash('sha256');
  // The base directory too: the main file's relative paths (and the files' own) mean other files when it moves.
  hash.update(canonicalJson({ baseDir, certificates: config.certificates ?? [], acme: config.acme ?? null, policy: config.policy ?? null }));
  const reads = new Map<number, Promise<Buffer>>();
  const start = (i: number) => {
    if (i >= files.length) return;
    const read = readBytes(files[i]!, shown(files[i]!));
    read.catch(() => undefined); // awaited in order below; a failure ahead of the one awaited must not be unhandled
    reads.set(i, read);
  };
  for (let i = 0; i < READ_AHEAD; i++) start(i);
  for (const [i, file] of files.entries()) {
    const bytes = await reads.get(i)!;
    reads.delete(i); // memory stays bounded by READ_AHEAD files
    start(i + READ_AHEAD);
    const name = basename(file);
    // Lengths first: no two different lists of (name, bytes) hash the same text.
    hash.update(`\0${Buffer.byteLength(name)}:${name}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('base64url');
}

/** JSON with every object's keys sorted: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]])) : v,
  );
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
