/**
 * Expanding include patterns the way nginx and Apache do (POSIX glob(3) / fnmatch): `*`, `?` and
 * `[...]` in any path component, no brace expansion, no `**`, and a leading dot matched only by a
 * literal dot. Results are sorted byte-wise, as glob(3) sorts them in the C locale, because the
 * order decides which certificate a proxy meets first.
 */
import { lstat, readdir } from 'node:fs/promises';
import { isAbsolute, join, parse, sep } from 'node:path';
import { pathInsideRoot } from './config-paths.js';

export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/** A regular expression for one fnmatch path component. */
export function componentPattern(component: string): RegExp {
  let source = '';
  for (let i = 0; i < component.length; i++) {
    const ch = component[i]!;
    if (ch === '\\' && i + 1 < component.length) {
      source += escapeRegExp(component[++i]!);
    } else if (ch === '*') {
      source += '[^/]*';
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '[') {
      const close = component.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = component.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = close;
    } else {
      source += escapeRegExp(ch);
    }
  }
  return new RegExp(`^${source}$`, 's');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Every existing path matching an absolute pattern, sorted. A pattern without wildcards is
 * returned as it is, whether or not it exists (the caller reports a missing file in its words).
 * With `root` (a copy of another machine's file system), directories are listed through
 * pathInsideRoot so absolute symlinks stay in the copy; the paths returned are as matched.
 */
export async function expandGlob(pattern: string, root?: string): Promise<string[]> {
  // A programming error, not bad config: callers resolve patterns first.
  if (!isAbsolute(pattern)) throw new Error(`expandGlob needs an absolute pattern, got ${pattern}`);
  if (!hasGlob(pattern)) return [pattern];
  const { root: fsRoot } = parse(pattern);
  const components = pattern.slice(fsRoot.length).split(sep).filter((c) => c !== '');
  let current = [fsRoot];
  for (const component of components) {
    const next: string[] = [];
    if (!hasGlob(component)) {
      for (const dir of current) next.push(join(dir, component));
    } else {
      const matcher = componentPattern(component);
      const literalDot = component.startsWith('.');
      for (const dir of current) {
        let names: string[];
        try {
          names = await readdir(await pathInsideRoot(dir, root));
        } catch {
          continue; // not a directory, or unreadable: glob(3) skips it too
        }
        for (const name of names) {
          if (name.startsWith('.') && !literalDot) continue;
          if (matcher.test(name)) next.push(join(dir, name));
        }
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  // The literal tail of a pattern may name something absent; glob(3) only returns what exists.
  const existing: string[] = [];
  for (const path of current) {
    try {
      await lstat(await pathInsideRoot(path, root));
      existing.push(path);
    } catch {
      // absent or unreadable parent: not a match
    }
  }
  return existing.sort(byteOrder);
}
