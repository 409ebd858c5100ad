/**
 * certfleet's own deploy layout, recognised by the inventory (src/renewal/deploy/layout.ts writes
 * it): each deployed certificate has one home beside its key,
 *
 *   <key dir>/.certfleet-NAME/20261122T101500Z-<serial>/   a version (the live one, the one before)
 *   <key dir>/.certfleet-NAME/live -> <version>             what is served
 *   <key dir>/.certfleet-NAME/as-found/                     what was at the paths before certfleet
 *   <key dir>/.certfleet-NAME/replaced-<time>/              files changed by hand, set aside
 *
 * and each deploy path is a symlink into `.certfleet-NAME/live/<file>`. Scanned as plain files,
 * every version and kept copy would count as a certificate of its own; here each file is tagged
 * with the managed certificate it belongs to and its role, so the live version is reported once
 * (through the deploy path or the home) and the rest as kept copies of it.
 *
 * Read-only and link-safe: the only links read are `live` (and any other link directly in a home)
 * and a deploy path's own link text, each with readlink (never followed further); the walker's
 * loop protection is untouched.
 */
import { readlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AS_FOUND, REPLACED_PREFIX } from '../renewal/deploy/as-found.js';
import { homeName } from '../renewal/deploy/layout.js';
import type { CertificateRecord, ManagedBy, ManagedRole } from './model.js';

const HOME_PREFIX = homeName('');
/** The link in a home naming the version served (deploy-files.ts switches it). */
const LIVE = 'live';

interface HomeLocation {
  home: string;
  name: string;
  /** The home's entry the file is in: a version, `live`, `as-found`, `replaced-<time>`. */
  entry: string;
}

/** `<...>/.certfleet-NAME/<entry>/<file>` -> where in which home; undefined for any other path. */
export function homeLocation(path: string): HomeLocation | undefined {
  const entryDir = dirname(path);
  const home = dirname(entryDir);
  const base = basename(home);
  if (!base.startsWith(HOME_PREFIX) || base.length === HOME_PREFIX.length || entryDir === home) return undefined;
  return { home, name: base.slice(HOME_PREFIX.length), entry: basename(entryDir) };
}

interface Tagged {
  managedBy?: ManagedBy;
}

/**
 * Collects the files found in (or linking into) certfleet homes while the scan runs (no I/O on
 * the hot path), then reads each home's links once and tags them.
 */
export class CertfleetHomes {
  private readonly found: Array<{ target: Tagged; at: HomeLocation }> = [];

  /** Note a certificate source or key record found at `path` (a symlink whose text names `linkTarget`). */
  note(target: Tagged, path: string, linkTarget?: string): void {
    const at = homeLocation(path) ?? (linkTarget === undefined ? undefined : homeLocation(linkTarget));
    if (at) this.found.push({ target, at });
  }

  /** Read the homes' links and set each noted item's `managedBy`. */
  async tag(): Promise<void> {
    if (this.found.length === 0) return;
    const links = new Map<string, Promise<string | undefined>>();
    const linkOf = (path: string) => {
      let text = links.get(path);
      if (!text) links.set(path, (text = readlink(path).catch(() => undefined)));
      return text;
    };
    for (const { target, at } of this.found) {
      const live = await linkOf(join(at.home, LIVE));
      // A link directly in the home (`live`, a `live.<random>` mid-switch) stands for the folder it names.
      const folder = (await linkOf(join(at.home, at.entry))) ?? at.entry;
      // certfleet's links name a folder beside them; one naming anything else was not made by
      // certfleet, and its files are left as plain certificates rather than trusted as versions.
      if ((live !== undefined && !isFolderName(live)) || !isFolderName(folder)) continue;
      target.managedBy = { tool: 'certfleet', name: at.name, role: roleOf(folder, live), version: folder };
    }
  }
}

function isFolderName(text: string): boolean {
  return text !== '' && text !== '.' && text !== '..' && !text.includes('/');
}

function roleOf(folder: string, live: string | undefined): ManagedRole {
  if (folder === live) return 'live';
  if (folder === AS_FOUND) return 'as-found';
  if (folder.startsWith(REPLACED_PREFIX)) return 'replaced';
  return 'previous';
}

const rolePrecedence: Record<ManagedRole, number> = { live: 0, previous: 1, replaced: 2, 'as-found': 3 };

/**
 * The record's own `managedBy` (the most telling role among its file sources: live wins) and
 * whether it is only a kept copy: every source is a non-live file in a home, so nothing found
 * serves it (an endpoint still serving an old version, or a copy elsewhere on disk, keeps it in).
 */
export function summariseManaged(record: CertificateRecord): void {
  let best: ManagedBy | undefined;
  let allKept = true;
  for (const source of record.sources) {
    const tag = source.kind === 'file' ? source.managedBy : undefined;
    if (!tag || tag.role === 'live') allKept = false;
    if (tag && (!best || rolePrecedence[tag.role] < rolePrecedence[best.role])) best = tag;
  }
  if (!best) return;
  record.managedBy = best;
  if (allKept) record.keptCopy = true;
}
