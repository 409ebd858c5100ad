/** What the commands that use the state directory (renew family, revoke, drill) resolve the same way. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDurationFlag } from '../../config/duration.js';
import { loadConfig, noConfigFileError } from '../../config/load.js';
import { resolveRenewSettings } from '../../config/renew-options.js';
import type { Logger } from '../../logger.js';
import type { RenewSettings } from '../../renewal/managed.js';
import { checkStateDirAccess, type StateAccess } from '../../store/state-dir-access.js';
import { stderrLogger } from '../logger.js';
import { storeFromFlag } from './store-flag.js';
import type { GlobalOptions } from '../main.js';

export interface ManagedSettingsOptions {
  /** No config file found is an error saying where it looked (default true: the certificates are in it). */
  requireConfig?: boolean;
  /** What the command does with the state directory, checked before it starts (default read-write). */
  access?: StateAccess;
  /**
   * Resolve no certificate up front (default false): the command resolves them one by one through
   * settings.specs. 'with-shared-store': lazily when the store is PostgreSQL (its runs claim what
   * is due from the stored specs), eagerly with the state directory.
   */
  lazyCertificates?: boolean | 'with-shared-store';
  /** 'agent': certificates resolved without the CA or the challenge, so the config needs no acme section (renew-options.ts). */
  role?: 'runner' | 'agent';
}

/**
 * The config file, the managed certificates in it with --state-dir applied, and the stderr logger;
 * the state directory checked for the access the command needs (state-dir-access.ts), so a
 * directory this user cannot use is one clear error (exit 2) before any work.
 */
export async function loadManagedSettings(
  flags: Record<string, unknown>,
  globals: GlobalOptions,
  staging: boolean,
  options: ManagedSettingsOptions = {},
): Promise<{ settings: RenewSettings; logger: Logger }> {
  const loaded = await loadConfig(process.cwd(), globals.config);
  if (!loaded.filePath && options.requireConfig !== false) throw noConfigFileError(process.cwd());
  const logger = stderrLogger({ quiet: globals.quiet ?? false, verbose: flags.verbose === true });
  const settings = await resolveRenewSettings(loaded.config, {
    cwd: process.cwd(),
    env: process.env,
    configFile: loaded.filePath,
    written: loaded.written,
    ...(typeof flags.stateDir === 'string' ? { stateDirFlag: flags.stateDir } : {}),
    defaultStateDir: defaultStateDir(),
    staging,
    lazyCertificates: options.lazyCertificates === 'with-shared-store' ? loaded.config.store?.postgres !== undefined || typeof flags.store === 'string' : (options.lazyCertificates ?? false),
    ...(options.role ? { role: options.role } : {}),
  });
  if (typeof flags.store === 'string') settings.store = await storeFromFlag(loaded.config.store, flags.store, { configFile: loaded.filePath, cwd: process.cwd(), needsKey: true });
  checkStateDirAccess(settings.stateDir, options.access ?? (flags.dryRun === true ? 'read' : 'read-write'));
  return { settings, logger };
}

/** certbot's /etc/letsencrypt idea, in the places the FHS and XDG give state. */
export function defaultStateDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/certfleet';
  return join(process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'certfleet');
}

/** A duration flag in milliseconds: `10s`, `2m`, or bare seconds (the rule lives in config/duration.ts). */
export const durationFlag = parseDurationFlag;
