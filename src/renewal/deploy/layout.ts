/**
 * Where a certificate's deployed files live. Every target path is a symlink into ONE home
 * directory per certificate, `<dir of the key>/.certfleet-<name>/`, whose `live` link names the
 * version being served:
 *
 *   /etc/ssl/private/www.key                      -> .certfleet-www/live/www.key
 *   /etc/ssl/certs/www.pem                        -> /etc/ssl/private/.certfleet-www/live/www.pem
 *   /etc/ssl/private/.certfleet-www/live          -> 20261122T101500Z-<serial>
 *
 * One home means one rename switches every file of the certificate at once, whichever directories
 * the paths are in: a reader never meets the certificate of one version next to the key of another,
 * even after kill -9. The home sits beside the key because that is the stricter directory: the key
 * never leaves it, and certificate files elsewhere reach in through an absolute link (absolute, so a
 * deploy directory that is itself a symlink still resolves).
 */
import { basename, dirname, join } from 'node:path';

export type DeployFileKind = 'cert' | 'chain' | 'fullchain' | 'key' | 'combined';

export interface DeployTargets {
  cert?: string;
  chain?: string;
  fullchain?: string;
  key?: string;
  /** Key + certificate + chain in one file (HAProxy). */
  combined?: string;
  /** Mode of certificate files (default 0644); key and combined files are always 0600 or stricter. */
  mode?: number;
  keyMode?: number;
  owner?: { uid: number; gid: number };
  /** Create missing deploy directories; otherwise a missing one is an error (a typo must not deploy silently). */
  createDirectories?: boolean;
}

export const DEPLOY_KINDS: readonly DeployFileKind[] = ['cert', 'chain', 'fullchain', 'key', 'combined'];
export const SECRET_KINDS: ReadonlySet<DeployFileKind> = new Set(['key', 'combined']);

export interface DeployEntry {
  kind: DeployFileKind;
  /** The path a server reads (absolute). */
  path: string;
  /** The file's name inside a version directory. */
  file: string;
  /** What the symlink at `path` says when it is ours. */
  link: string;
}

export interface DeployLayout {
  name: string;
  /** The directory holding the home (the key's). */
  homeDir: string;
  /** `<homeDir>/.certfleet-<name>` */
  home: string;
  entries: DeployEntry[];
}

export function deployLayout(name: string, targets: DeployTargets): DeployLayout {
  const kinds = DEPLOY_KINDS.filter((k) => targets[k] !== undefined);
  const anchor = targets.key ?? targets.combined ?? (kinds[0] ? targets[kinds[0]] : undefined);
  if (anchor === undefined) throw new Error(`certificate ${name} has no deploy paths`);
  const homeDir = dirname(anchor);
  const home = join(homeDir, homeName(name));
  const names = kinds.map((k) => basename(targets[k]!));
  const entries = kinds.map((kind): DeployEntry => {
    const path = targets[kind]!;
    const base = basename(path);
    // Two paths with one name in different directories (certs/www.pem, private/www.pem) share one
    // version directory, so the kind tells them apart there.
    const file = names.filter((n) => n === base).length > 1 ? `${kind}-${base}` : base;
    const link = dirname(path) === homeDir ? join(homeName(name), 'live', file) : join(home, 'live', file);
    return { kind, path, file, link };
  });
  return { name, homeDir, home, entries };
}

export function homeName(name: string): string {
  return `.certfleet-${name}`;
}

/**
 * The link a target had in the layout before one home per certificate (a home in each directory):
 * still ours, so it is re-pointed rather than kept as something found.
 */
export function legacyLink(name: string, path: string): string {
  return join(homeName(name), 'live', basename(path));
}
