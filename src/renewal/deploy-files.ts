/**
 * Putting a certificate where a server reads it, so that a certificate is never next to the wrong
 * key, even after kill -9, and nothing certfleet did not write is ever destroyed.
 *
 * Each deployed path is a symlink into the certificate's one home (deploy/layout.ts), whose `live`
 * link names the version served; switching versions is one atomic rename of `live`, whichever
 * directories the paths are in. Files are written temp + fsync + rename into the version directory
 * first. Whatever was at a path before is kept as found (deploy/as-found.ts) until the certificate
 * is removed, and a failed first deployment puts it back exactly. certfleet's own directories are
 * checked before every use (deploy/own-directory.ts): a planted symlink is refused, never followed.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CertfleetError, ExitCode } from '../errors.js';
import { syncDirectory, writeFileAtomic } from '../store/atomic-write.js';
import type { VersionFiles } from '../store/certificate-store.js';
import { AS_FOUND, foundAnything, isAsFound, keepFound, readFound, REPLACED_PREFIX, replaceWith, restoreFound } from './deploy/as-found.js';
import { deployLayout, legacyLink, SECRET_KINDS, type DeployEntry, type DeployFileKind, type DeployLayout, type DeployTargets } from './deploy/layout.js';
import { ensureOwnDirectory, isOwnDirectory, writableByOthers } from './deploy/own-directory.js';

export type { DeployFileKind, DeployTargets } from './deploy/layout.js';
export { AS_FOUND } from './deploy/as-found.js';

export class MissingDeployDirectoryError extends CertfleetError {
  constructor(dir: string) {
    super('deploy-directory-missing', `deploy directory ${dir} does not exist`, {
      exitCode: ExitCode.findings,
      hint: 'check the path for a typo; to have certfleet create it, set deploy.createDirectories: true',
    });
    this.name = 'MissingDeployDirectoryError';
  }
}

/** Where warnings go (a deploy directory others can write to, a file changed by hand). */
export type DeployWarn = (message: string) => void;
const ignore: DeployWarn = () => undefined;

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

/** Write a version's files into the home (not yet live). */
export async function stageVersion(name: string, versionId: string, targets: DeployTargets, files: VersionFiles, warn: DeployWarn = ignore): Promise<void> {
  const layout = deployLayout(name, targets);
  for (const dir of new Set(layout.entries.map((e) => dirname(e.path)))) {
    if (targets.createDirectories) await mkdir(dir, { recursive: true, mode: 0o755 });
    else if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new MissingDeployDirectoryError(dir);
    const problem = await writableByOthers(dir);
    if (problem) warn(problem);
  }
  await ensureOwnDirectory(layout.home);
  const versionDir = join(layout.home, versionId);
  await ensureOwnDirectory(versionDir);
  for (const { kind, file } of layout.entries) {
    const mode = SECRET_KINDS.has(kind) ? (targets.keyMode ?? 0o600) & 0o640 : (targets.mode ?? 0o644);
    await writeFileAtomic(join(versionDir, file), contentOf(kind, files), { mode, ...(targets.owner ? { owner: targets.owner } : {}) });
  }
}

/** The version `live` points at now (undefined: never deployed by us). Refuses an unsafe home. */
export async function liveVersion(name: string, targets: DeployTargets): Promise<string | undefined> {
  const layout = deployLayout(name, targets);
  if (!(await isOwnDirectory(layout.home))) return undefined;
  return readlink(join(layout.home, 'live')).catch(() => undefined);
}

/** Whether files that were at the paths before certfleet are kept, so a failed first deployment can put them back. */
export async function hasFoundFiles(name: string, targets: DeployTargets): Promise<boolean> {
  const layout = deployLayout(name, targets);
  return foundAnything(await readFound(layout.home, AS_FOUND));
}

/**
 * Make sure each path is our link, keeping whatever was there first; what is served does not
 * change (a first deployment serves what was found, through the links). Safe to run beside other
 * certificates' reloads, so it is kept out of the run's one-at-a-time switch sections, where its
 * copies and fsyncs halved issuance throughput.
 */
export async function linkDeployPaths(name: string, targets: DeployTargets, warn: DeployWarn = ignore, now = new Date()): Promise<void> {
  const layout = deployLayout(name, targets);
  await ensureOwnDirectory(layout.home);
  await linkPaths(layout, warn, now);
}

/**
 * Make `versionId` live: make sure each path is our link (keeping whatever was there first; a
 * no-op after linkDeployPaths), then switch `live` with one rename.
 */
export async function activateVersion(name: string, versionId: string, targets: DeployTargets, warn: DeployWarn = ignore, now = new Date()): Promise<void> {
  const layout = deployLayout(name, targets);
  await ensureOwnDirectory(layout.home);
  await linkPaths(layout, warn, now);
  await switchLive(layout.home, versionId);
}

/**
 * A failed first deployment: every path back exactly as it was found (files, links with their
 * own text, nothing where nothing was). False when nothing was there to put back.
 */
export async function restoreFoundFiles(name: string, targets: DeployTargets): Promise<boolean> {
  const layout = deployLayout(name, targets);
  const found = await readFound(layout.home, AS_FOUND);
  if (!foundAnything(found)) return false;
  // `live` first, so a path still linked reads what was found while the others are put back.
  await switchLive(layout.home, AS_FOUND);
  const links = new Map(layout.entries.map((e) => [e.path, e.link]));
  await restoreFound(found, layout.home, AS_FOUND, (path) => links.get(path));
  return true;
}

/** Paths kept as found (and changed by hand since), for `status`. */
export async function keptFiles(name: string, targets: DeployTargets): Promise<Array<{ path: string; type: 'file' | 'symlink'; keptIn: string }>> {
  const layout = deployLayout(name, targets);
  if (!(await isOwnDirectory(layout.home).catch(() => false))) return [];
  const folders = (await readdir(layout.home)).filter((f) => f === AS_FOUND || f.startsWith(REPLACED_PREFIX)).sort();
  const kept = [];
  for (const folder of folders) {
    const found = await readFound(layout.home, folder).catch(() => undefined);
    for (const e of found?.entries ?? []) if (e.type !== 'absent') kept.push({ path: e.path, type: e.type as 'file' | 'symlink', keptIn: join(layout.home, folder) });
  }
  return kept;
}

/**
 * Remove version directories other than the ones to keep (the live one and the one before).
 * What was found at the paths is never pruned, nor anything that is not a directory.
 */
export async function pruneVersions(name: string, targets: DeployTargets, keep: readonly string[]): Promise<void> {
  const layout = deployLayout(name, targets);
  if (!(await isOwnDirectory(layout.home))) return;
  for (const entry of await readdir(layout.home, { withFileTypes: true })) {
    const { name: id } = entry;
    if (!entry.isDirectory() || id === AS_FOUND || id.startsWith(REPLACED_PREFIX) || keep.includes(id)) continue;
    await rm(join(layout.home, id), { recursive: true, force: true });
  }
}

async function switchLive(home: string, versionId: string): Promise<void> {
  const temp = join(home, `live.${randomBytes(6).toString('hex')}`);
  await symlink(versionId, temp);
  try {
    await rename(temp, join(home, 'live'));
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(home);
}

async function linkPaths(layout: DeployLayout, warn: DeployWarn, now: Date): Promise<void> {
  const pending: DeployEntry[] = [];
  let foundSomething = false;
  for (const entry of layout.entries) {
    const info = await lstat(entry.path).catch(() => undefined);
    foundSomething ||= info !== undefined;
    if (info?.isSymbolicLink() && (await readlink(entry.path)) === entry.link) continue;
    pending.push(entry);
  }
  if (pending.length === 0) return;
  const live = await readlink(join(layout.home, 'live')).catch(() => undefined);
  if (live === undefined) {
    // The first time: keep everything found, and serve the same through our links before any
    // switch. Where nothing was, there is nothing to keep (and nothing served to preserve).
    if (foundSomething) {
      await keepFound(layout.home, AS_FOUND, layout.entries, now);
      await switchLive(layout.home, AS_FOUND);
    }
  } else {
    await keepChangedByHand(layout, pending, live, warn, now);
  }
  // Each link is one rename; the directories are synced once at the end, not after every link.
  for (const entry of pending) await replaceWith(entry.path, (temp) => symlink(entry.link, temp), { sync: false });
  for (const dir of new Set(pending.map((e) => dirname(e.path)))) await syncDirectory(dir);
}

/**
 * Paths that are not our link although certfleet deployed before: put back as found by a failed
 * first deployment (nothing to keep), links of the older one-home-per-directory layout (ours), or
 * changed by hand, which are kept before the link replaces them.
 */
async function keepChangedByHand(layout: DeployLayout, pending: readonly DeployEntry[], live: string, warn: DeployWarn, now: Date): Promise<void> {
  const found = await readFound(layout.home, AS_FOUND);
  const changed: DeployEntry[] = [];
  for (const entry of pending) {
    const info = await lstat(entry.path).catch(() => undefined);
    if (!info) continue;
    if (info.isSymbolicLink() && dirname(entry.path) !== layout.homeDir && (await readlink(entry.path)) === legacyLink(layout.name, entry.path)) {
      await completeVersion(layout.home, live, entry);
      continue;
    }
    const original = found?.entries.find((e) => e.path === entry.path);
    if (original && (await isAsFound(original, layout.home, AS_FOUND))) continue;
    changed.push(entry);
  }
  if (changed.length === 0) return;
  const folder = `${REPLACED_PREFIX}${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  await keepFound(layout.home, folder, changed, now);
  for (const entry of changed) warn(`${entry.path} was changed by hand since certfleet deployed it; kept in ${join(layout.home, folder)} before linking it again`);
}

/**
 * The live version of a deployment made in the older layout holds only the files of the home's
 * own directory: copy in what a legacy link elsewhere serves, so that going back to it stays whole.
 */
async function completeVersion(home: string, version: string, entry: DeployEntry): Promise<void> {
  const target = join(home, version, entry.file);
  if (await lstat(target).then(() => true, () => false)) return;
  await writeFileAtomic(target, await readFile(entry.path), { mode: 0o644 });
}

export interface ReleasedPath {
  path: string;
  /** plain: our link became a plain file of what it served; deleted (--delete-files); left: not ours, untouched. */
  action: 'plain' | 'deleted' | 'left';
}

/**
 * certfleet lets go of the deploy paths (`certfleet remove`): each of its links becomes a plain
 * file holding what it served (same mode and owner), so the site keeps serving, or is deleted;
 * what was kept as found is copied to `keepIn`, and the home goes. Paths that are not certfleet's
 * links are left alone.
 */
export async function releasePaths(name: string, targets: DeployTargets, options: { deleteFiles: boolean; keepIn: string }): Promise<ReleasedPath[]> {
  const layout = deployLayout(name, targets);
  const homeIsOurs = await isOwnDirectory(layout.home);
  const released: ReleasedPath[] = [];
  for (const entry of layout.entries) {
    const info = await lstat(entry.path).catch(() => undefined);
    const text = info?.isSymbolicLink() ? await readlink(entry.path) : undefined;
    if (!homeIsOurs || (text !== entry.link && text !== legacyLink(name, entry.path))) {
      released.push({ path: entry.path, action: 'left' });
      continue;
    }
    if (options.deleteFiles) {
      await rm(entry.path, { force: true });
      released.push({ path: entry.path, action: 'deleted' });
      continue;
    }
    const served = await stat(entry.path);
    await writeFileAtomic(entry.path, await readFile(entry.path), { mode: served.mode & 0o7777, owner: { uid: served.uid, gid: served.gid } });
    released.push({ path: entry.path, action: 'plain' });
  }
  if (homeIsOurs) {
    for (const folder of await readdir(layout.home)) {
      if (folder !== AS_FOUND && !folder.startsWith(REPLACED_PREFIX)) continue;
      await copyFolder(join(layout.home, folder), join(options.keepIn, folder));
    }
    await rm(layout.home, { recursive: true, force: true });
  }
  return released;
}

/** Files and links of one kept folder (flat, as keepFound writes them), links as links. */
async function copyFolder(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true, mode: 0o700 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    if (entry.isSymbolicLink()) await symlink(await readlink(source), join(to, entry.name));
    else if (entry.isFile()) await writeFileAtomic(join(to, entry.name), await readFile(source), { mode: (await lstat(source)).mode & 0o7777 });
  }
}
