/**
 * Putting a certificate where a server reads it, so that a certificate is never next to the wrong
 * key, even after kill -9: each deployed path is a symlink through one `live` link per directory,
 *
 *   /etc/nginx/tls/www.key            -> .certfleet-www/live/www.key
 *   /etc/nginx/tls/.certfleet-www/live -> 20261122T101500Z-<serial>
 *
 * and switching versions is one atomic rename of `live`. Files are written temp + fsync + rename
 * into the version directory first. A path that was a plain file is first adopted as-is into a
 * version of its own, so turning it into a symlink changes nothing it serves. The previous version
 * stays until the next deployment, so going back is the same one-rename switch.
 * (Keep a certificate's files in one directory for a single atomic switch; files spread over
 * several directories switch one directory at a time, keys last.)
 */
import { chown, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../store/atomic-write.js';
import type { VersionFiles } from '../store/certificate-store.js';

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
}

const KEY_KINDS = new Set<DeployFileKind>(['key', 'combined']);

function contentOf(kind: DeployFileKind, files: VersionFiles): string {
  switch (kind) {
    case 'cert':
      return files.certPem;
    case 'chain':
      return files.chainPem;
    case 'fullchain':
      return files.fullchainPem;
    case 'key':
      return files.keyPem;
    case 'combined':
      return files.keyPem + files.fullchainPem;
  }
}

interface Slot {
  dir: string;
  /** `<dir>/.certfleet-<name>` */
  home: string;
  entries: Array<{ kind: DeployFileKind; path: string }>;
  holdsKey: boolean;
}

function slots(name: string, targets: DeployTargets): Slot[] {
  const byDir = new Map<string, Slot>();
  for (const kind of ['cert', 'chain', 'fullchain', 'key', 'combined'] as DeployFileKind[]) {
    const path = targets[kind];
    if (!path) continue;
    const dir = dirname(path);
    const slot = byDir.get(dir) ?? { dir, home: join(dir, `.certfleet-${name}`), entries: [], holdsKey: false };
    slot.entries.push({ kind, path });
    slot.holdsKey ||= KEY_KINDS.has(kind);
    byDir.set(dir, slot);
  }
  // Key directories switch last: a server briefly seeing a new certificate file before its key
  // file is no worse than the reverse, and keys are usually the stricter directory.
  return [...byDir.values()].sort((a, b) => Number(a.holdsKey) - Number(b.holdsKey));
}

/** Write a version's files beside the targets (not yet live). */
export async function stageVersion(name: string, versionId: string, targets: DeployTargets, files: VersionFiles): Promise<void> {
  for (const slot of slots(name, targets)) {
    const versionDir = join(slot.home, versionId);
    await mkdir(versionDir, { recursive: true, mode: 0o755 });
    for (const { kind, path } of slot.entries) {
      const secret = KEY_KINDS.has(kind);
      const mode = secret ? (targets.keyMode ?? 0o600) & 0o640 : (targets.mode ?? 0o644);
      const file = join(versionDir, basename(path));
      await writeFileAtomic(file, contentOf(kind, files), { mode });
      if (targets.owner) await chown(file, targets.owner.uid, targets.owner.gid);
    }
  }
}

/** The version each slot's `live` points at now (undefined: never deployed by us). */
export async function liveVersion(name: string, targets: DeployTargets): Promise<string | undefined> {
  const [first] = slots(name, targets);
  if (!first) return undefined;
  try {
    return await readlink(join(first.home, 'live'));
  } catch {
    return undefined;
  }
}

/** `as-found` when the files that were there before certfleet were adopted (and not pruned since). */
export async function adoptedVersion(name: string, targets: DeployTargets): Promise<string | undefined> {
  const [first] = slots(name, targets);
  if (!first) return undefined;
  return (await lstat(join(first.home, ADOPTED)).then(() => true, () => false)) ? ADOPTED : undefined;
}

/**
 * Make `versionId` live: ensure each target path is our symlink (adopting a plain file first), then
 * switch each directory's `live` link with one rename.
 */
export async function activateVersion(name: string, versionId: string, targets: DeployTargets): Promise<void> {
  for (const slot of slots(name, targets)) {
    await adoptPlainFiles(slot);
    const live = join(slot.home, 'live');
    const temp = `${live}.next`;
    await rm(temp, { force: true });
    await symlink(versionId, temp);
    await rename(temp, live);
  }
}

/** Remove version directories other than the ones to keep (the live one and the one before). */
export async function pruneVersions(name: string, targets: DeployTargets, keep: readonly string[]): Promise<void> {
  for (const slot of slots(name, targets)) {
    let entries: string[];
    try {
      entries = await readdir(slot.home);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry === 'live' || entry.startsWith('live.') || keep.includes(entry)) continue;
      await rm(join(slot.home, entry), { recursive: true, force: true });
    }
  }
}

const ADOPTED = 'as-found';

/**
 * A target that is a regular file (or missing) becomes a symlink into `live`. If `live` does not
 * exist yet, the current contents are copied into an `as-found` version first and `live` points
 * there, so the swap to symlinks serves exactly what was served before.
 */
async function adoptPlainFiles(slot: Slot): Promise<void> {
  const live = join(slot.home, 'live');
  const liveExists = await lstat(live).then(() => true, () => false);
  const pending = [];
  for (const entry of slot.entries) {
    const info = await lstat(entry.path).catch(() => undefined);
    const want = join(basename(slot.home), 'live', basename(entry.path));
    if (info?.isSymbolicLink() && (await readlink(entry.path)) === want) continue;
    pending.push({ ...entry, info, want });
  }
  if (pending.length === 0) return;
  if (!liveExists) {
    const asFound = join(slot.home, ADOPTED);
    await mkdir(asFound, { recursive: true, mode: 0o755 });
    for (const { path, info } of pending) {
      if (!info?.isFile()) continue;
      await writeFileAtomic(join(asFound, basename(path)), await readFile(path), { mode: info.mode & 0o777 });
      await chown(join(asFound, basename(path)), info.uid, info.gid).catch(() => undefined);
    }
    const temp = `${live}.next`;
    await rm(temp, { force: true });
    await symlink(ADOPTED, temp);
    await rename(temp, live);
  }
  for (const { path, want } of pending) {
    const temp = `${path}.certfleet-link`;
    await rm(temp, { force: true });
    await symlink(want, temp);
    await rename(temp, path);
  }
}
