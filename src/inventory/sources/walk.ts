/**
 * Walk the paths to scan and yield the files worth reading. Follows symlinks (certificates often
 * live behind them, e.g. /etc/letsencrypt/live) but visits each directory once, so a symlink loop
 * ends the walk of that branch instead of the scan. Special files (FIFOs, devices) are never read.
 */
import type { Stats } from 'node:fs';
import { opendir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { InventoryError } from '../model.js';
import { describeFsError } from './fs-errors.js';

export interface WalkedFile {
  path: string;
  /** Named by the user (or a proxy config) rather than found in a directory: unreadable = error. */
  explicit: boolean;
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
    else if (info.isFile()) yield { path, explicit: true };
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
            if (target.isFile()) yield { path, explicit: false };
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
