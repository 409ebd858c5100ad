/**
 * `agent --root DIR` runs as root: a symlink inside DIR must not send a deployment outside it
 * (src/fleet/deploy-root.ts, confinedUnderRoot).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { confinedUnderRoot } from '../../../src/fleet/deploy-root.js';
import type { ManagedCertificate } from '../../../src/renewal/managed.js';
import { stageVersion } from '../../../src/renewal/deploy-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cert(targets: Record<string, string>): ManagedCertificate {
  return { name: 'web', deploy: { targets, commands: [] } } as unknown as ManagedCertificate;
}

describe('agent --root: deploy paths stay inside the root', () => {
  it('resolves symlinks inside the root as a chroot would, so a planted absolute or .. link cannot reach the host', async () => {
    const base = mkdtempSync(join(tmpdir(), 'deploy-root-'));
    dirs.push(base);
    const root = join(base, 'root');
    const outside = join(base, 'host-etc-ssl'); // stands for the host's own /etc/ssl
    mkdirSync(outside);
    mkdirSync(join(root, 'etc', 'tls'), { recursive: true });
    symlinkSync(outside, join(root, 'etc', 'ssl')); // absolute: meant for the container, points at the host
    symlinkSync('../../../../../..', join(root, 'etc', 'up')); // climbs past the root
    symlinkSync('/nowhere/web.pem', join(root, 'etc', 'tls', 'web.pem')); // the file itself: kept as found, not followed

    const moved = await confinedUnderRoot(cert({ key: '/etc/ssl/web.key', cert: '/etc/up/web.pem', fullchain: '/etc/tls/web.pem' }), root);
    const targets = moved.deploy!.targets;
    expect(targets.key).toBe(join(root, outside, 'web.key'));
    expect(targets.cert).toBe(join(root, 'web.pem'));
    expect(targets.fullchain).toBe(join(root, 'etc', 'tls', 'web.pem'));

    // What the agent then writes lands inside the root, and nothing in the host's directory.
    mkdirSync(join(root, outside), { recursive: true });
    await stageVersion('web', 'v1', { key: targets.key! }, { certPem: 'c', chainPem: 'ch', fullchainPem: 'f', keyPem: 'k' } as never);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(join(root, outside))).toEqual(['.certfleet-web']);
  });

  it('is underRoot without a root', async () => {
    const c = cert({ key: '/etc/ssl/web.key' });
    expect(await confinedUnderRoot(c, undefined)).toBe(c);
  });
});
