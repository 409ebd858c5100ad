/**
 * Write a file so that a reader (or a crash, or kill -9) sees the old content or the new, never
 * half: write a temp file beside it, fsync, rename over, fsync the directory.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (e.g. 0o600 for keys). Default 0o644. */
  mode?: number;
  /** Owner of the new file, set before it takes the path's place (a server must never meet it root-owned). */
  owner?: { uid: number; gid: number };
}

/** `data` may be given in pieces (an iterable), written in order, so a large document never sits whole in memory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeThroughTemp(path, data, options);
  } catch (err) {
    throw namingPath(err, path);
  }
}

async function writeThroughTemp(path: string, data: string | Uint8Array | Iterable<string | Uint8Array>, options: AtomicWriteOptions): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  const handle = await open(temp, 'wx', mode);
  try {
    // writeFile on a handle writes all of a piece from the current position (write() may write less).
    if (typeof data === 'string' || data instanceof Uint8Array) await handle.writeFile(data);
    else for (const piece of data) await handle.writeFile(piece);
    // open() applies the umask; set the mode we promised explicitly.
    await handle.chmod(mode);
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/**
 * Errors of writes through a file handle (ENOSPC, EIO, EDQUOT) carry no path ("ENOSPC: no space
 * left on device, write"): say which file could not be written.
 */
function namingPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || e.message.includes(path)) return err;
  return Object.assign(new Error(`cannot write ${path}: ${e.message}`, { cause: err }), { code: e.code });
}

/** fsync a directory, so a rename in it survives a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse to fsync a directory; the rename itself is still atomic.
  }
}
