/**
 * Whether this user may use the state directory, asked once before a command reads or writes it.
 * Without the question, a directory this user cannot enter looks empty to a reader (`status`
 * would say "no certificate yet" about a certificate that is served), and a writer fails halfway
 * with a raw EACCES deep in a lock or a key file (an "internal error"). The answer names the
 * path, the access the command needs and who owns it.
 *
 * Exit code 2 (usage/config), not a new one: like a bad config, it is the operator's to fix
 * (run as the owner, usually root, or change the directory's owner or mode); retrying the same
 * command as the same user never helps, so cron should not treat it as a certificate failure (1)
 * or a passing problem (3).
 */
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';

export type StateAccess = 'read' | 'read-write';

export class StateDirAccessError extends CertfleetError {
  readonly path: string;

  constructor(path: string, message: string, hint: string) {
    super('state-dir-access', message, { exitCode: ExitCode.usage, hint });
    this.name = 'StateDirAccessError';
    this.path = path;
  }
}

/** The subdirectories a command goes into by default: a reader (status) reads certificates only; accounts is 0700, its owner's. */
const defaultWithin = (access: StateAccess): readonly string[] => (access === 'read' ? ['certificates'] : ['certificates', 'accounts']);

/**
 * Throws a StateDirAccessError when this process cannot use `stateDir` (and the subdirectories
 * `within` it the command goes into) as `access` says. A state directory that does not exist yet
 * is fine for a reader (nothing issued yet: true) and for a writer that may create it.
 */
export function checkStateDirAccess(stateDir: string, access: StateAccess, within: readonly string[] = defaultWithin(access)): void {
  const label = `state directory ${stateDir}`;
  const stats = statOrProblem(stateDir, label, access);
  if (stats === undefined) {
    if (access === 'read-write') checkCreatable(stateDir);
    return;
  }
  if (!stats.isDirectory()) {
    throw new StateDirAccessError(stateDir, `${label} is not a directory`, 'point --state-dir (or stateDir in the config) at a directory');
  }
  checkDirectory(stateDir, label, stats, access);
  for (const sub of within) {
    const path = join(stateDir, sub);
    const subLabel = `${path} in the state directory`;
    const subStats = statOrProblem(path, subLabel, access);
    if (subStats?.isDirectory()) checkDirectory(path, subLabel, subStats, access);
  }
}

/** Also for one certificate's directory: a reader of many must not call an unreadable one "no certificate yet". */
export function checkDirectory(path: string, label: string, stats: Stats, access: StateAccess): void {
  const mode = access === 'read' ? constants.R_OK | constants.X_OK : constants.R_OK | constants.W_OK | constants.X_OK;
  try {
    accessSync(path, mode);
  } catch (err) {
    throw denied(path, `${label}${ownerText(stats)} cannot be ${access === 'read' ? 'read' : 'read and written'} by ${thisUser()} (${errorCode(err)}): this command needs ${access === 'read' ? 'read access (r-x)' : 'read and write access (rwx)'}`);
  }
}

/**
 * A permission error met while reading inside the state directory, as a StateDirAccessError
 * naming the file; undefined for any other error (missing, corrupt: the caller's business).
 */
export function accessErrorFrom(err: unknown, access: StateAccess): StateDirAccessError | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e.code !== 'EACCES' && e.code !== 'EPERM') return undefined;
  const path = e.path ?? '(unknown path)';
  return denied(path, `${path} in the state directory cannot be ${access === 'read' ? 'read' : 'read and written'} by ${thisUser()} (${e.code}): this command needs ${access === 'read' ? 'read access' : 'read and write access'} to the whole state directory`);
}

function statOrProblem(path: string, label: string, access: StateAccess): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') return undefined;
    // EACCES here: a directory above it cannot be entered.
    throw denied(path, `${label} cannot be reached by ${thisUser()} (${code}): this command needs ${access === 'read' ? 'read' : 'read and write'} access to it and search (x) access to the directories above it`);
  }
}

/** A state directory a writer will create: its nearest existing parent must take a new entry. */
function checkCreatable(stateDir: string): void {
  let parent = dirname(stateDir);
  for (;;) {
    let stats: Stats | undefined;
    try {
      stats = statSync(parent);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw denied(parent, `cannot create the state directory ${stateDir}: ${parent} cannot be reached by ${thisUser()} (${errorCode(err)})`);
    }
    if (stats) {
      try {
        accessSync(parent, constants.W_OK | constants.X_OK);
      } catch (err) {
        throw denied(parent, `cannot create the state directory ${stateDir}: ${parent}${ownerText(stats)} cannot be written by ${thisUser()} (${errorCode(err)})`);
      }
      return;
    }
    const up = dirname(parent);
    if (up === parent) return;
    parent = up;
  }
}

function denied(path: string, message: string): StateDirAccessError {
  return new StateDirAccessError(
    path,
    message,
    'run certfleet as the user that owns the state directory (root for /var/lib/certfleet), or give this user access to it; --state-dir chooses another',
  );
}

const thisUser = () => `uid ${process.getuid?.() ?? '?'}`;
const ownerText = (stats: Stats) => ` (owner uid ${stats.uid}, mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')})`;
const errorCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
