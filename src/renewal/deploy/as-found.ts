/**
 * What was at the deploy paths before certfleet linked them is not certfleet's: it is kept,
 * exactly, until the certificate is removed from certfleet's care. Each path's original is
 * recorded in a manifest beside a copy:
 *   - a regular file: its bytes, mode and owner;
 *   - a symlink (certbot's live -> archive layout): its link text, kept as a link, never as a copy
 *     of what it pointed to at the time;
 *   - nothing: recorded as absent.
 * A failed first deployment puts every path back exactly as found (`restoreFound`). Something
 * changed by hand after certfleet linked a path is kept the same way in a `replaced-<time>` folder
 * before the path is linked again.
 */
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readlink, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { syncDirectory, writeFileAtomic } from '../../store/atomic-write.js';
import type { DeployEntry } from './layout.js';
import { ensureOwnDirectory, isOwnDirectory, UnsafePathError } from './own-directory.js';

export const AS_FOUND = 'as-found';
export const REPLACED_PREFIX = 'replaced-';
const MANIFEST = '.certfleet-found.json';

const foundEntrySchema = z.object({
  kind: z.string(),
  path: z.string(),
  file: z.string(),
  type: z.enum(['file', 'symlink', 'absent']),
  linkText: z.string().optional(),
  mode: z.number().optional(),
  uid: z.number().optional(),
  gid: z.number().optional(),
});
const manifestSchema = z.object({ schemaVersion: z.literal(1), keptAt: z.string(), entries: z.array(foundEntrySchema) });

export type FoundEntry = z.infer<typeof foundEntrySchema>;
export type FoundManifest = z.infer<typeof manifestSchema>;

/** Copy what is at each entry's path into `<home>/<folder>/` and record it. */
export async function keepFound(home: string, folder: string, entries: readonly DeployEntry[], now: Date): Promise<FoundManifest> {
  const dir = join(home, folder);
  await ensureOwnDirectory(dir);
  const found: FoundEntry[] = [];
  for (const entry of entries) {
    const info = await lstat(entry.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    const copy = join(dir, entry.file);
    const base = { kind: entry.kind, path: entry.path, file: entry.file };
    if (!info) {
      found.push({ ...base, type: 'absent' });
    } else if (info.isSymbolicLink()) {
      const linkText = await readlink(entry.path);
      // The copy lives one folder deeper: it points where the original's text resolves from the
      // original's own directory, so reading through it reads what a server read before.
      await replaceWith(copy, (temp) => symlink(resolve(dirname(entry.path), linkText), temp));
      found.push({ ...base, type: 'symlink', linkText });
    } else if (info.isFile()) {
      const mode = info.mode & 0o7777;
      await writeFileAtomic(copy, await readFile(entry.path), { mode, owner: { uid: info.uid, gid: info.gid } });
      found.push({ ...base, type: 'file', mode, uid: info.uid, gid: info.gid });
    } else {
      throw new UnsafePathError(`deploy path ${entry.path} is not a file or a link (a ${info.isDirectory() ? 'directory' : 'special file'}); nothing was changed`, 'point the deploy path at a file name');
    }
  }
  const manifest: FoundManifest = { schemaVersion: 1, keptAt: now.toISOString(), entries: found };
  // Written last: a folder without it is an interrupted copy, done again next time.
  await writeFileAtomic(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export async function readFound(home: string, folder: string): Promise<FoundManifest | undefined> {
  const dir = join(home, folder);
  if (!(await isOwnDirectory(dir))) return undefined;
  try {
    return manifestSchema.parse(JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Whether something was there before (a manifest of absent paths has nothing to put back). */
export function foundAnything(manifest: FoundManifest | undefined): manifest is FoundManifest {
  return manifest !== undefined && manifest.entries.some((e) => e.type !== 'absent');
}

/** Whether what is at the path now is exactly what was found there (a restore put it back). */
export async function isAsFound(found: FoundEntry, home: string, folder: string): Promise<boolean> {
  const info = await lstat(found.path).catch(() => undefined);
  if (found.type === 'absent') return info === undefined;
  if (found.type === 'symlink') return info?.isSymbolicLink() === true && (await readlink(found.path)) === found.linkText;
  if (!info?.isFile()) return false;
  const [now, kept] = await Promise.all([readFile(found.path), readFile(join(home, folder, found.file)).catch(() => undefined)]);
  return kept !== undefined && now.equals(kept);
}

/**
 * Put every recorded path back exactly as found: links with their original text, files with
 * their bytes, mode and owner; a path where nothing was is emptied again, but only of our link.
 */
export async function restoreFound(manifest: FoundManifest, home: string, folder: string, ourLink: (path: string) => string | undefined): Promise<void> {
  for (const found of manifest.entries) {
    if (found.type === 'symlink') {
      await replaceWith(found.path, (temp) => symlink(found.linkText!, temp));
    } else if (found.type === 'file') {
      const owner = found.uid !== undefined && found.gid !== undefined ? { owner: { uid: found.uid, gid: found.gid } } : {};
      await writeFileAtomic(found.path, await readFile(join(home, folder, found.file)), { mode: found.mode ?? 0o600, ...owner });
    } else {
      const info = await lstat(found.path).catch(() => undefined);
      if (info?.isSymbolicLink() && (await readlink(found.path)) === ourLink(found.path)) await unlink(found.path);
    }
  }
}

/**
 * Put a new entry at `path` in one rename: `make` creates it under a temporary name beside the
 * path (random, so nothing another user planted there is used), then it takes the path's place.
 */
export async function replaceWith(path: string, make: (temp: string) => Promise<void>, options: { sync?: boolean } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.certfleet-${randomBytes(6).toString('hex')}`);
  try {
    await make(temp);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (options.sync !== false) await syncDirectory(dirname(path));
}
