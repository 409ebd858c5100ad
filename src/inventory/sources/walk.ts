/**
 * Walk the paths to scan and yield the files worth reading. Follows symlinks (certificates often
 * live behind them, e.g. /etc/letsencrypt/live) but visits each directory once, so a symlink loop
 * ends the walk of that branch instead of the scan. Special files (FIFOs, devices) are never read.
 * A file reached through a symlink carries the path its link text names (one level, not followed
 * further), so a deploy path linking into certfleet's own layout is recognised as such.
 */
import type { Stats } from 'node:fs';
import { lstat, opendir, readlink, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { InventoryError } from '../model.js';
import { describeFsError } from './fs-errors.js';

export interface WalkedFile {
  path: string;
  /** Named by the user (or a proxy config) rather than found in a directory: unreadable = error. */
  explicit: boolean;
  /** When `path` is a symlink: the absolute path its text names (resolved from the link's directory). */
  linkTarget?: string;
}

/** The path a symlink's text names, or undefined when `path` is not a symlink (or cannot be read). */
export async function linkTargetOf(path: string): Promise<string | undefined> {
  try {
    if (!(await lstat(path)).isSymbolicLink()) return undefined;
    return resolve(dirname(path), await readlink(path));
  } catch {
    return undefined;
  }
}

function walked(path: string, explicit: boolean, linkTarget: string | undefined): WalkedFile {
  return linkTarget === undefined ? { path, explicit } : { path, explicit, linkTarget };
}

export interface WalkOptions {
  exclude: readonly string[];
  onError: (error: InventoryError) => void;
}

export async function* walkPaths(paths: readonly string[], options: WalkOptions): AsyncGenerator<WalkedFile> {
  const excluded = options.exclude.length ? picomatch(options.exclude as string[], { dot: true }) : () => false;
  const visitedDirs = new Set<string>();

  for (const given of paths) {
    const path = resolve(given);
    const info = await statOrReport(path);
    if (!info) continue;
    if (info.isDirectory()) yield* walkDir(path, info.dev, info.ino);
    else if (info.isFile()) yield walked(path, true, await linkTargetOf(path));
    else options.onError({ source: path, message: 'not a regular file or directory; not read' });
  }

  async function* walkDir(dir: string, dev: number, ino: number): AsyncGenerator<WalkedFile> {
    const key = `${dev}:${ino}`;
    if (visitedDirs.has(key)) return; // a symlink loop, or a directory reached twice
    visitedDirs.add(key);
    let handle;
    try {
      handle = await opendir(dir, { bufferSize: 256 });
    } catch (err) {
      options.onError({ source: dir, message: describeFsError(err) });
      return;
    }
    const subdirs: string[] = [];
    try {
      for await (const entry of handle) {
        const path = join(dir, entry.name);
        if (excluded(path)) continue;
        if (entry.isFile()) {
          yield { path, explicit: false };
        } else if (entry.isDirectory()) {
          subdirs.push(path);
        } else if (entry.isSymbolicLink()) {
          try {
            const target = await stat(path);
            if (target.isFile()) yield walked(path, false, await readlink(path).then((text) => resolve(dir, text), () => undefined));
            else if (target.isDirectory()) subdirs.push(path);
          } catch (err) {
            // A dangling link is common and harmless; a loop of links is worth saying.
            if ((err as NodeJS.ErrnoException).code === 'ELOOP') options.onError({ source: path, message: describeFsError(err) });
          }
        }
      }
    } catch (err) {
      options.onError({ source: dir, message: describeFsError(err) });
    }
    for (const sub of subdirs) {
      const info = await statOrReport(sub);
      if (info) yield* walkDir(sub, info.dev, info.ino);
    }
  }

  async function statOrReport(path: string): Promise<Stats | undefined> {
    try {
      return await stat(path);
    } catch (err) {
      options.onError({ source: path, message: describeFsError(err) });
      return undefined;
    }
  }
}
