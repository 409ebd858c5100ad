/**
 * Finding the proxy configs under a directory being scanned: the well-known main files (nginx.conf,
 * apache2.conf / httpd.conf, haproxy.cfg, Traefik's traefik.yml and the dynamic files of a traefik/
 * directory), and the site files of a `sites-enabled/` directory (nginx or Apache, told apart by
 * the directory above or, failing that, by what the file holds), at any depth. Symlinks are followed but each directory is entered once, so a
 * symlink loop ends that branch. A candidate that another candidate includes (a Traefik dynamic
 * file its static config points at) is not a main file and is left out: its reader reaches it.
 */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { ProxyKind } from '../../model.js';
import type { ProxyConfigResult, ProxyReadOptions } from '../proxy-types.js';
import { readApacheConfig } from './apache.js';
import { readHaproxyConfig } from './haproxy.js';
import { readNginxConfig } from './nginx.js';
import { readTraefikConfig } from './traefik.js';

export interface DetectedProxyConfig {
  proxy: ProxyKind;
  file: string;
}

const MAX_DEPTH = 40;
/** Trees that never hold a proxy's config and can be huge. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
/** How much of a candidate file (Traefik dynamic config, site file) is looked at to tell what it is. */
const SNIFF_BYTES = 256 * 1024;

const readers: Record<ProxyKind, (file: string, options?: ProxyReadOptions) => Promise<ProxyConfigResult>> = {
  nginx: readNginxConfig,
  apache: readApacheConfig,
  haproxy: readHaproxyConfig,
  traefik: readTraefikConfig,
};

/**
 * Main proxy config files under `dir`, sorted by path. `options.root` is passed to the readers
 * used to tell main files from included ones (for a copy of another machine's file system).
 */
export async function detectProxyConfigs(dir: string, options: ProxyReadOptions = {}): Promise<DetectedProxyConfig[]> {
  const top = resolve(dir);
  const candidates: DetectedProxyConfig[] = [];
  const visited = new Set<string>();

  const walk = async (current: string, depth: number): Promise<void> => {
    let info;
    try {
      info = await stat(current);
    } catch {
      return;
    }
    const identity = `${info.dev}:${info.ino}`;
    if (visited.has(identity) || depth > MAX_DEPTH) return;
    visited.add(identity);
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(current, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory && !SKIPPED_DIRECTORIES.has(entry.name)) await walk(path, depth + 1);
      else if (isFile) {
        const proxy = await classify(top, path);
        if (proxy) candidates.push({ proxy, file: path });
      }
    }
  };
  await walk(top, 0);
  return withoutIncluded(candidates, options);
}

/** Which proxy a file is the main config of, if any. */
async function classify(top: string, path: string): Promise<ProxyKind | undefined> {
  const name = basename(path);
  const directories = relative(top, path).split(sep).slice(0, -1).map((d) => d.toLowerCase());
  if (name === 'nginx.conf') return directories.length === 0 || directories.some((d) => d.includes('nginx')) ? 'nginx' : undefined;
  if (name === 'apache2.conf' || name === 'httpd.conf') return 'apache';
  if (name === 'haproxy.cfg') return 'haproxy';
  if (/^traefik\.(ya?ml|toml)$/.test(name)) return 'traefik';
  if (basename(dirname(path)) === 'sites-enabled' && !name.startsWith('.')) return siteFileProxy(path);
  const extension = extname(name).toLowerCase();
  if (directories.includes('traefik') && (extension === '.yml' || extension === '.yaml' || extension === '.toml')) {
    return (await hasTlsSection(path, extension)) ? 'traefik' : undefined;
  }
  return undefined;
}

/**
 * A `sites-enabled/` file belongs to the server whose directory holds it (/etc/nginx, /etc/apache2);
 * elsewhere its first section says: `<VirtualHost` is Apache's, `server {` nginx's.
 */
async function siteFileProxy(path: string): Promise<ProxyKind | undefined> {
  const above = dirname(dirname(path)).split(sep).map((d) => d.toLowerCase());
  if (above.some((d) => d.includes('nginx'))) return 'nginx';
  if (above.some((d) => d.includes('apache') || d.includes('httpd'))) return 'apache';
  const text = await head(path);
  if (text === undefined) return undefined;
  if (/^\s*<\s*(virtualhost|ifmodule|macro)\b/im.test(text)) return 'apache';
  if (/^\s*server\s*\{/m.test(text)) return 'nginx';
  return undefined;
}

async function head(path: string): Promise<string | undefined> {
  try {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

async function hasTlsSection(path: string, extension: string): Promise<boolean> {
  const text = await head(path);
  if (text === undefined) return false;
  return extension === '.toml' ? /^\s*\[\[?\s*["']?tls["']?\s*[.\]]|^\s*tls\s*=/im.test(text) : /^\s*["']?tls["']?\s*:/im.test(text);
}

/** Drop candidates that another candidate reads as part of its own configuration. */
async function withoutIncluded(candidates: DetectedProxyConfig[], options: ProxyReadOptions): Promise<DetectedProxyConfig[]> {
  const real = async (path: string): Promise<string> => realpath(path).catch(() => path);
  const readSets = await Promise.all(
    candidates.map(async (candidate) => {
      const result = await readers[candidate.proxy](candidate.file, options).catch(() => undefined);
      const files = await Promise.all((result?.filesRead ?? []).map(real));
      return new Set(files);
    }),
  );
  const reals = await Promise.all(candidates.map((c) => real(c.file)));
  const includes = (reader: number, file: number): boolean => reader !== file && readSets[reader]!.has(reals[file]!);
  return candidates
    .filter((_, index) => !candidates.some((__, other) => includes(other, index) && !includes(index, other)))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
