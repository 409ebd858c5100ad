/**
 * `agent --root DIR`: every deploy path of a certificate under DIR (an image or a container's
 * root filesystem, or one simulated host among several on one machine). Only the file paths move:
 * the deploy commands run as written, and see the root in CERTFLEET_ROOT.
 */
import { basename, dirname, join } from 'node:path';
import { pathInsideRoot } from '../inventory/sources/proxies/config-paths.js';
import { DEPLOY_KINDS } from '../renewal/deploy/layout.js';
import type { ManagedCertificate } from '../renewal/managed.js';

export function underRoot(cert: ManagedCertificate, root: string | undefined): ManagedCertificate {
  if (root === undefined || !cert.deploy) return cert;
  const targets = { ...cert.deploy.targets };
  for (const kind of DEPLOY_KINDS) {
    const path = targets[kind];
    // Deploy paths are absolute once resolved (renew-options.ts): /etc/ssl/x.pem -> DIR/etc/ssl/x.pem.
    if (path !== undefined) targets[kind] = join(root, path);
  }
  return { ...cert, deploy: { ...cert.deploy, targets } };
}

/**
 * underRoot, with each deploy path's directories resolved as a chroot would (the inventory's
 * pathInsideRoot): the agent runs as root, and a symlink inside DIR (`DIR/etc/ssl -> /etc/ssl`,
 * written for the container, or planted by whoever owns the image) would otherwise send the key
 * and the links to the host's own /etc/ssl. The file's own name is kept: a link there is what
 * deployment keeps as found and replaces, never a path to follow.
 */
export async function confinedUnderRoot(cert: ManagedCertificate, root: string | undefined): Promise<ManagedCertificate> {
  const moved = underRoot(cert, root);
  if (root === undefined || !moved.deploy) return moved;
  const targets = { ...moved.deploy.targets };
  for (const kind of DEPLOY_KINDS) {
    const path = targets[kind];
    if (path !== undefined) targets[kind] = join(await pathInsideRoot(dirname(path), root), basename(path));
  }
  return { ...moved, deploy: { ...moved.deploy, targets } };
}
