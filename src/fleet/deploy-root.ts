/**
 * `agent --root DIR`: every deploy path of a certificate under DIR (an image or a container's
 * root filesystem, or one simulated host among several on one machine). Only the file paths move:
 * the deploy commands run as written, and see the root in CERTFLEET_ROOT.
 */
import { join } from 'node:path';
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
