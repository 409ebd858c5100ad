/**
 * Finding and reading the configuration file (the only importer of cosmiconfig). Relative paths
 * inside a config file are relative to that file, so a config works from any working directory.
 */
import { cosmiconfig } from 'cosmiconfig';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { issueText } from './issue-text.js';
import { explainIssues } from './unknown-keys.js';
import { configSchema, type CertfleetConfig } from './schema.js';

export const configSearchPlaces = [
  'package.json',
  '.certfleetrc',
  '.certfleetrc.json',
  '.certfleetrc.yaml',
  '.certfleetrc.yml',
  '.certfleetrc.js',
  '.certfleetrc.mjs',
  '.certfleetrc.cjs',
  'certfleet.config.yaml',
  'certfleet.config.yml',
  'certfleet.config.json',
  'certfleet.config.js',
  'certfleet.config.mjs',
  'certfleet.config.cjs',
];

export interface LoadedConfig {
  config: CertfleetConfig;
  /** The file's content as written, before the schema's defaults and conversions (the shared store keeps certificates so). */
  written?: unknown;
  /** Absolute path of the file, or undefined when none was found. */
  filePath: string | undefined;
}

/** `explicitPath` (from --config) must exist; otherwise the search looks in `cwd` only. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  const explorer = cosmiconfig('certfleet', { searchPlaces: configSearchPlaces, cache: false });
  let found;
  try {
    found = explicitPath ? await explorer.load(explicitPath) : await explorer.search(cwd);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new ConfigError(`config file ${explicitPath} does not exist`, 'check the --config path');
    throw new ConfigError(`cannot read config file ${explicitPath ?? ''}: ${e.message}`.replace('  ', ' '), undefined, err);
  }
  if (!found || found.isEmpty) return { config: {}, filePath: found?.filepath };
  return { config: validateConfig(found.config, found.filepath), written: found.config, filePath: found.filepath };
}

/** At most this many problems are listed; the rest are counted. */
const MAX_LISTED = 5;

export function validateConfig(raw: unknown, fileName: string): CertfleetConfig {
  return validateConfigFile(configSchema, raw ?? {}, fileName);
}

/**
 * `raw` as `schema` has it, or a ConfigError naming the file and each problem by its path, a
 * certificate by its name too: the main config file and each certificates.d file
 * (certificate-files.ts) read the same way.
 */
export function validateConfigFile<S extends z.ZodType>(schema: S, raw: unknown, fileName: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = explainIssues(parsed.error.issues, schema, raw);
  const lines = issues.slice(0, MAX_LISTED).map((issue) => `  ${issueText(issue, (i) => certificateName(raw, issue.path, i))}`);
  if (issues.length > MAX_LISTED) lines.push(`  and ${issues.length - MAX_LISTED} more`);
  throw new ConfigError(`invalid config file ${fileName}:\n${lines.join('\n')}`, 'see the Configuration section of README.md');
}

/**
 * For commands that need a config file (the managed certificates are in it) when none was found:
 * where the search looked, so "no config" is never a mystery (cosmiconfig searches `cwd` only).
 */
export function noConfigFileError(cwd: string): ConfigError {
  const files = configSearchPlaces.filter((p) => p !== 'package.json');
  return new ConfigError(
    `no config file found: looked in ${cwd} for ${files.join(', ')} and a "certfleet" key in package.json`,
    'run certfleet in the directory that holds the config file, or give its path with --config FILE',
  );
}

/** ` (www)` after `certificates[2]`, as the messages about managed certificates name them. */
function certificateName(raw: unknown, path: readonly PropertyKey[], i: number): string {
  if (i !== 1 || path[0] !== 'certificates') return '';
  const name = (raw as { certificates?: Array<{ name?: unknown }> } | undefined)?.certificates?.[path[1] as number]?.name;
  return typeof name === 'string' && name !== '' ? ` (${name})` : '';
}
