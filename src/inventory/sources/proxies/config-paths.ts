/**
 * Turning a path written in a config into the file to read on this machine. Relative paths are
 * resolved against the directory the proxy itself would use (each reader says which); absolute
 * ones are re-rooted under `root` when a copy of another machine's file system is being scanned.
 */
import { lstat, readlink } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

export function resolveConfigPath(written: string, baseDir: string, root: string | undefined): string {
  if (isAbsolute(written)) return root === undefined ? normalize(written) : join(root, written);
  // baseDir is already a path on this machine (itself resolved, and re-rooted, by this function).
  return resolve(baseDir, written);
}

/** Whether a written path holds a variable the proxy fills in at run time (nginx `$x`, `${X}`). */
export function hasVariable(written: string): boolean {
  return written.includes('$');
}

/** Symlink hops allowed while resolving one path, as the kernel's own limit (ELOOP). */
const MAX_SYMLINK_HOPS = 40;

/**
 * The path to open for `path` (already under `root`) when a copy of another machine's file
 * system is scanned: symlinks are followed by hand so that an absolute target (`sites-enabled/x
 * -> /etc/nginx/sites-available/x`) stays inside the copy instead of reaching this machine's
 * files. Without a root, or when something on the way cannot be read, the path is returned as
 * it is and the read that follows reports the problem.
 */
export async function pathInsideRoot(path: string, root: string | undefined): Promise<string> {
  if (root === undefined) return path;
  const rootDir = resolve(root);
  const inside = relative(rootDir, resolve(path));
  if (inside.startsWith('..') || isAbsolute(inside)) return path;
  // Walk the path as a chroot would: `done` holds the resolved components below the root.
  let pending = parts(inside);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const component = pending.shift()!;
    if (component === '..') {
      done.pop(); // `..` at the root stays at the root
      continue;
    }
    const candidate = join(rootDir, ...done, component);
    let target: string | undefined;
    try {
      target = (await lstat(candidate)).isSymbolicLink() ? await readlink(candidate) : undefined;
    } catch {
      return join(candidate, ...pending);
    }
    if (target === undefined) {
      done.push(component);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) return path;
    if (isAbsolute(target)) done.length = 0;
    pending = [...parts(target), ...pending];
  }
  return join(rootDir, ...done);
}

function parts(path: string): string[] {
  return path.split(sep).filter((c) => c !== '' && c !== '.');
}
