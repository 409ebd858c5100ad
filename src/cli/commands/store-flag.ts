/**
 * `--store <url>`: the PostgreSQL store named on the command line instead of by store.postgres in
 * the config (a one-off import into a new database, a runner pointed at a replica). Only the URL
 * comes from the flag: the pool settings stay the config's, and so does the encryption key (a key
 * on the command line would be in the shell history and in `ps`). The URL is printed only through
 * connection.ts `redactUrl`.
 */
import { dirname } from 'node:path';
import { Option } from 'commander';
import { ConfigError, UsageError } from '../../errors.js';
import type { StoreSection } from '../../config/renew-schema.js';
import type { ResolvedStoreSettings } from '../../store/open-store.js';

export function storeOption(): Option {
  return new Option('--store <url>', 'PostgreSQL store URL (postgres://...), instead of store.postgres in the config; the encryption key still comes from the config');
}

export interface StoreFlagContext {
  /** The config file (its directory resolves the key file), or undefined when none was found. */
  configFile: string | undefined;
  cwd: string;
  /** The command reads or writes private keys (all but `store migrate`): the config must name a key. */
  needsKey: boolean;
}

/**
 * The config's store section (if any) with the URL of `--store <flag>` in place of store.postgres's.
 * The section may hold only the key (no store.postgres): the store is then the flag's alone.
 */
export async function storeFromFlag(section: StoreSection | undefined, flag: string, ctx: StoreFlagContext): Promise<ResolvedStoreSettings> {
  // The driver's module is loaded only when the flag is given: a file-store run never pays for it.
  const { redactUrl } = await import('../../store/postgres/connection.js');
  const url = flag.trim();
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new UsageError(`--store ${redactUrl(url)}: not a postgres:// URL`, 'write it as postgres://user:password@host:5432/database');
  }
  const { postgres, leaseTtl: _leaseTtl, ...encryption } = section ?? {};
  if (ctx.needsKey && encryption.encryptionKeyFile === undefined && encryption.encryptionKeyEnv === undefined) {
    throw new ConfigError(`--store ${redactUrl(url)}: the PostgreSQL store keeps private keys encrypted, and ${ctx.configFile ?? 'the config'} names no key`, 'set store.encryptionKeyFile in the config (generate the key with `openssl rand -hex 32`); the flag never carries the key');
  }
  const { url: _url, urlEnv: _urlEnv, urlFile: _urlFile, ...pool } = postgres ?? {};
  return { kind: 'postgres', postgres: { ...pool, url }, encryption, baseDir: ctx.configFile ? dirname(ctx.configFile) : ctx.cwd };
}
