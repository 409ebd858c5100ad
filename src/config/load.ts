/**
 * Finding and reading the configuration file (the only importer of cosmiconfig). Relative paths
 * inside a config file are relative to that file, so a config works from any working directory.
 */
import { cosmiconfig } from 'cosmiconfig';
import { ConfigError } from '../errors.js';
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
  return { config: validateConfig(found.config, found.filepath), filePath: found.filepath };
}

export function validateConfig(raw: unknown, fileName: string): CertfleetConfig {
  const parsed = configSchema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
    return `  ${path || '(top level)'}: ${issue.message}${keys}`;
  });
  throw new ConfigError(`invalid config file ${fileName}:\n${lines.join('\n')}`, 'see the Configuration section of README.md');
}
