/**
 * certfleet runs as root and writes keys into directories other users may be able to write to.
 * Nothing it creates, prunes or renames may be reached through a symlink it did not make: its own
 * directories are checked with lstat (a planted `.certfleet-NAME -> /etc` would otherwise have its
 * target's entries pruned and a private key written into it), must be real directories owned by
 * the user certfleet runs as, and writable by nobody else. A check that fails touches nothing.
 */
import { chmod, lstat, mkdir, readlink, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CertfleetError, ExitCode } from '../../errors.js';

export class UnsafePathError extends CertfleetError {
  constructor(message: string, hint: string) {
    super('unsafe-path', message, { exitCode: ExitCode.partial, hint });
    this.name = 'UnsafePathError';
  }
}

const myUid = (): number | undefined => process.getuid?.();

/**
 * Make sure `dir` is a directory of ours: create it (mode 0755; its parent is created as needed)
 * or check the one there. Throws UnsafePathError, having changed nothing, when it is a symlink,
 * not a directory, owned by someone else, or writable by group or others.
 */
export async function ensureOwnDirectory(dir: string, mode = 0o755): Promise<void> {
  let info = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!info) {
    await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
    try {
      await mkdir(dir, { mode });
      // mkdir applies the umask; a umask of 002 would make our own directory fail our own check.
      await chmod(dir, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    info = await lstat(dir);
  }
  await assertOwnDirectoryInfo(dir, info);
}

/** The same checks for a directory that must already exist; false when it does not. */
export async function isOwnDirectory(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return false;
  await assertOwnDirectoryInfo(dir, info);
  return true;
}

async function assertOwnDirectoryInfo(dir: string, info: Awaited<ReturnType<typeof lstat>>): Promise<void> {
  if (info.isSymbolicLink()) {
    const target = await readlink(dir).catch(() => '?');
    throw new UnsafePathError(
      `${dir} is a symbolic link (to ${target}), not a directory certfleet made; nothing was changed`,
      'certfleet never follows a link it did not make in its own directories: remove the link (and find out who planted it)',
    );
  }
  if (!info.isDirectory()) {
    throw new UnsafePathError(`${dir} is not a directory; nothing was changed`, 'move it away: certfleet keeps its deployed versions there');
  }
  const uid = myUid();
  if (uid !== undefined && info.uid !== uid) {
    throw new UnsafePathError(
      `${dir} is owned by uid ${info.uid}, not by the user certfleet runs as (uid ${uid}); nothing was changed`,
      'a directory another user owns could hold links that redirect certfleet\'s writes: remove it, or run certfleet as its owner',
    );
  }
  if ((Number(info.mode) & 0o022) !== 0) {
    throw new UnsafePathError(
      `${dir} is writable by ${Number(info.mode) & 0o002 ? 'others' : 'its group'} (mode ${(Number(info.mode) & 0o777).toString(8)}); nothing was changed`,
      `make it writable by its owner only: chmod go-w ${dir}`,
    );
  }
}

/**
 * Like OpenSSH's StrictModes, but a warning: a deploy directory others can write to lets them
 * replace the links a server reads its key through. Sticky directories (/tmp) protect each
 * user's entries and are not reported.
 */
export async function writableByOthers(dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return undefined;
  const mode = info.mode & 0o7777;
  if (mode & 0o1000) return undefined;
  if (mode & 0o002) return `deploy directory ${dir} is writable by every user (mode ${(mode & 0o777).toString(8)}): anyone can replace the files a server reads its key from`;
  const uid = myUid();
  if (mode & 0o020 && uid !== undefined && info.gid !== 0) return `deploy directory ${dir} is writable by group ${info.gid} (mode ${(mode & 0o777).toString(8)}): its members can replace the files a server reads its key from`;
  return undefined;
}
