import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFileContent } from '../../../src/inventory/sources/file-content.js';
import { activateVersion, AS_FOUND, hasFoundFiles, keptFiles, liveVersion, pruneVersions, restoreFoundFiles, stageVersion, type DeployTargets } from '../../../src/renewal/deploy-files.js';
import { UnsafePathError } from '../../../src/renewal/deploy/own-directory.js';
import type { VersionFiles } from '../../../src/store/certificate-store.js';
import { chain, tempDir, writeFile } from '../../helpers/pki.js';

async function pair(name: string): Promise<VersionFiles> {
  const { intermediate, leaf } = await chain({ commonName: name, sans: [name] });
  return { certPem: leaf.certPem, chainPem: intermediate.certPem, fullchainPem: leaf.certPem + intermediate.certPem, keyPem: leaf.keyPem };
}

/** What a server reading these paths would load: is the key the certificate's? And which certificate? */
function served(targets: DeployTargets): { subject: string; matches: boolean } {
  const certPath = targets.fullchain ?? targets.cert ?? targets.combined!;
  const cert = parseFileContent('c', readFileSync(certPath), []).certificates[0]!.info;
  const key = parseFileContent('k', readFileSync(targets.key ?? targets.combined!), []).keys[0]!;
  return { subject: cert.subject, matches: key.publicKeyFingerprintSha256 === cert.publicKeyFingerprintSha256 };
}

const asRoot = process.getuid?.() === 0;

describe('deploying certificate files', () => {
  it('adopts files that were there, then switches certificate and key together, and back', async () => {
    const dir = tempDir();
    const old = await pair('old.test');
    const targets: DeployTargets = { fullchain: join(dir, 'tls', 'www.fullchain.pem'), key: join(dir, 'tls', 'www.key'), combined: join(dir, 'tls', 'www.haproxy.pem') };
    writeFile(targets.fullchain!, old.fullchainPem);
    writeFile(targets.key!, old.keyPem, 0o600);
    writeFile(targets.combined!, old.keyPem + old.fullchainPem, 0o600);

    const next = await pair('new.test');
    await stageVersion('www', 'v2', targets, next);
    // Staged, not live: a crash here changes nothing that is served.
    expect(served(targets)).toEqual({ subject: 'CN=old.test', matches: true });

    await activateVersion('www', 'v2', targets);
    expect(served(targets)).toEqual({ subject: 'CN=new.test', matches: true });
    expect(lstatSync(targets.key!).isSymbolicLink()).toBe(true);
    expect(readlinkSync(targets.key!)).toBe('.certfleet-www/live/www.key');
    expect(statSync(targets.key!).mode & 0o777).toBe(0o600);
    expect(statSync(targets.fullchain!).mode & 0o777).toBe(0o644);
    expect(readFileSync(targets.combined!, 'utf8')).toBe(next.keyPem + next.fullchainPem);
    expect(await liveVersion('www', targets)).toBe('v2');

    // Going back to what was adopted is the same one-rename switch.
    await activateVersion('www', AS_FOUND, targets);
    expect(served(targets)).toEqual({ subject: 'CN=old.test', matches: true });
  });

  it('deploys where nothing was before, and prunes versions no longer needed', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { cert: join(dir, 'c.pem'), chain: join(dir, 'chain.pem'), fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem') };
    for (const v of ['v1', 'v2', 'v3']) {
      await stageVersion('api', v, targets, await pair(`${v}.test`));
      await activateVersion('api', v, targets);
      expect(served(targets)).toEqual({ subject: `CN=${v}.test`, matches: true });
    }
    expect(await hasFoundFiles('api', targets)).toBe(false); // nothing was there to put back
    await pruneVersions('api', targets, ['v3', 'v2']);
    expect(readdirSync(join(dir, '.certfleet-api')).sort()).toEqual(['live', 'v2', 'v3']); // nothing was found: nothing kept
    expect(served(targets)).toEqual({ subject: 'CN=v3.test', matches: true });
  });

  it('keeps the files found at the paths through every later deployment and pruning', async () => {
    const dir = tempDir();
    const old = await pair('old.test');
    const targets: DeployTargets = { fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem') };
    writeFile(targets.fullchain!, old.fullchainPem);
    writeFile(targets.key!, old.keyPem, 0o600);
    for (const v of ['v1', 'v2', 'v3', 'v4']) {
      await stageVersion('www', v, targets, await pair(`${v}.test`));
      await activateVersion('www', v, targets);
      await pruneVersions('www', targets, [v]);
    }
    expect(readFileSync(join(dir, '.certfleet-www', AS_FOUND, 'k.pem'), 'utf8')).toBe(old.keyPem);
    expect(statSync(join(dir, '.certfleet-www', AS_FOUND, 'k.pem')).mode & 0o777).toBe(0o600);
    expect(await keptFiles('www', targets)).toEqual([
      { path: targets.fullchain, type: 'file', keptIn: join(dir, '.certfleet-www', AS_FOUND) },
      { path: targets.key, type: 'file', keptIn: join(dir, '.certfleet-www', AS_FOUND) },
    ]);
  });
});

describe('deploy directories', () => {
  it('a missing one is an error naming it (a typo such as /etc/ngnix/ must not deploy), unless createDirectories', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { fullchain: join(dir, 'ngnix', 'f.pem'), key: join(dir, 'ngnix', 'k.pem') };
    await expect(stageVersion('www', 'v1', targets, await pair('a.test'))).rejects.toThrow(`deploy directory ${join(dir, 'ngnix')} does not exist`);
    expect(existsSync(join(dir, 'ngnix'))).toBe(false);
    await stageVersion('www', 'v1', { ...targets, createDirectories: true }, await pair('a.test'));
    await activateVersion('www', 'v1', { ...targets, createDirectories: true });
    expect(served(targets)).toEqual({ subject: 'CN=a.test', matches: true });
  });
});

describe('never through a link certfleet did not make', () => {
  it('refuses a planted .certfleet-NAME symlink: the directory it points to is untouched, no key is written there', async () => {
    const dir = tempDir();
    const victim = join(dir, 'etc');
    mkdirSync(victim);
    writeFileSync(join(victim, 'passwd'), 'root:x:0:0\n');
    writeFileSync(join(victim, 'shadow'), 'secret\n');
    const targets: DeployTargets = { fullchain: join(dir, 'tls', 'f.pem'), key: join(dir, 'tls', 'k.pem') };
    mkdirSync(join(dir, 'tls'));
    symlinkSync(victim, join(dir, 'tls', '.certfleet-www'));

    await expect(liveVersion('www', targets)).rejects.toThrow(UnsafePathError);
    await expect(stageVersion('www', 'v1', targets, await pair('a.test'))).rejects.toThrow(/is a symbolic link \(to .*etc\), not a directory certfleet made; nothing was changed/);
    await expect(activateVersion('www', 'v1', targets)).rejects.toThrow(UnsafePathError);
    await expect(pruneVersions('www', targets, [])).rejects.toThrow(UnsafePathError);
    expect(readdirSync(victim).sort()).toEqual(['passwd', 'shadow']);
    expect(readFileSync(join(victim, 'shadow'), 'utf8')).toBe('secret\n');
    expect(existsSync(targets.key!)).toBe(false);
  });

  it.runIf(asRoot)('refuses a home another user owns (as root)', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem') };
    mkdirSync(join(dir, '.certfleet-www'), { mode: 0o755 });
    chownSync(join(dir, '.certfleet-www'), 65534, 65534);
    await expect(stageVersion('www', 'v1', targets, await pair('a.test'))).rejects.toThrow(/owned by uid 65534/);
    expect(readdirSync(join(dir, '.certfleet-www'))).toEqual([]);
  });

  it('refuses a home others can write to', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem') };
    mkdirSync(join(dir, '.certfleet-www'));
    chmodSync(join(dir, '.certfleet-www'), 0o777);
    await expect(stageVersion('www', 'v1', targets, await pair('a.test'))).rejects.toThrow(/writable by others \(mode 777\)/);
    expect(readdirSync(join(dir, '.certfleet-www'))).toEqual([]);
  });

  it('warns about a deploy directory every user can write to, and still deploys', async () => {
    const dir = tempDir();
    const tls = join(dir, 'tls');
    mkdirSync(tls);
    chmodSync(tls, 0o777);
    const warnings: string[] = [];
    await stageVersion('www', 'v1', { fullchain: join(tls, 'f.pem'), key: join(tls, 'k.pem') }, await pair('a.test'), (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(/deploy directory .*tls is writable by every user \(mode 777\)/)]);
  });
});

describe('links found at the deploy paths (certbot live -> archive)', () => {
  it('are kept as links, and a failed first deployment puts each back with its own text', async () => {
    const dir = tempDir();
    const old = await pair('old.test');
    writeFile(join(dir, 'letsencrypt', 'archive', 'www', 'fullchain1.pem'), old.fullchainPem);
    writeFile(join(dir, 'letsencrypt', 'archive', 'www', 'privkey1.pem'), old.keyPem, 0o600);
    mkdirSync(join(dir, 'letsencrypt', 'live', 'www'), { recursive: true });
    symlinkSync('../../archive/www/fullchain1.pem', join(dir, 'letsencrypt', 'live', 'www', 'fullchain.pem'));
    symlinkSync('../../archive/www/privkey1.pem', join(dir, 'letsencrypt', 'live', 'www', 'privkey.pem'));
    const targets: DeployTargets = { fullchain: join(dir, 'letsencrypt', 'live', 'www', 'fullchain.pem'), key: join(dir, 'letsencrypt', 'live', 'www', 'privkey.pem') };

    await stageVersion('www', 'v1', targets, await pair('new.test'));
    await activateVersion('www', 'v1', targets);
    expect(served(targets)).toEqual({ subject: 'CN=new.test', matches: true });
    expect(await keptFiles('www', targets)).toEqual([
      expect.objectContaining({ path: targets.fullchain, type: 'symlink' }),
      expect.objectContaining({ path: targets.key, type: 'symlink' }),
    ]);
    // Served through our links, what was found reads the same as before.
    await activateVersion('www', AS_FOUND, targets);
    expect(served(targets)).toEqual({ subject: 'CN=old.test', matches: true });

    expect(await restoreFoundFiles('www', targets)).toBe(true);
    expect(readlinkSync(targets.fullchain!)).toBe('../../archive/www/fullchain1.pem');
    expect(readlinkSync(targets.key!)).toBe('../../archive/www/privkey1.pem');
    expect(served(targets)).toEqual({ subject: 'CN=old.test', matches: true });

    // The next deployment links them again without keeping the restored originals a second time.
    const warnings: string[] = [];
    await stageVersion('www', 'v2', targets, await pair('v2.test'));
    await activateVersion('www', 'v2', targets, (m) => warnings.push(m));
    expect(served(targets)).toEqual({ subject: 'CN=v2.test', matches: true });
    expect(warnings).toEqual([]);
    expect(readdirSync(join(dir, 'letsencrypt', 'live', 'www', '.certfleet-www')).filter((f) => f.startsWith('replaced-'))).toEqual([]);
  });

  it('puts plain files back with their bytes, mode and owner, and empties paths where nothing was', async () => {
    const dir = tempDir();
    const old = await pair('old.test');
    const targets: DeployTargets = { fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem'), chain: join(dir, 'chain.pem') };
    writeFile(targets.fullchain!, old.fullchainPem, 0o640);
    writeFile(targets.key!, old.keyPem, 0o600);
    await stageVersion('www', 'v1', targets, await pair('new.test'));
    await activateVersion('www', 'v1', targets);
    expect(await restoreFoundFiles('www', targets)).toBe(true);
    expect(lstatSync(targets.key!).isFile()).toBe(true);
    expect(readFileSync(targets.key!, 'utf8')).toBe(old.keyPem);
    expect(statSync(targets.key!).mode & 0o777).toBe(0o600);
    expect(statSync(targets.fullchain!).mode & 0o777).toBe(0o640);
    expect(existsSync(targets.chain!)).toBe(false);
  });

  it('keeps a file changed by hand after deployment before linking it again', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { fullchain: join(dir, 'f.pem'), key: join(dir, 'k.pem') };
    await stageVersion('www', 'v1', targets, await pair('v1.test'));
    await activateVersion('www', 'v1', targets);
    const byHand = await pair('hand.test');
    writeFileSync(join(dir, 'tmp.pem'), byHand.keyPem);
    // An operator replaced the link with a file of their own.
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, 'tmp.pem'), targets.key!);
    const warnings: string[] = [];
    await stageVersion('www', 'v2', targets, await pair('v2.test'));
    await activateVersion('www', 'v2', targets, (m) => warnings.push(m), new Date('2026-12-03T10:00:00Z'));
    expect(served(targets)).toEqual({ subject: 'CN=v2.test', matches: true });
    expect(warnings).toEqual([expect.stringContaining(`${targets.key} was changed by hand since certfleet deployed it; kept in`)]);
    expect(readFileSync(join(dir, '.certfleet-www', 'replaced-20261203T100000Z', 'k.pem'), 'utf8')).toBe(byHand.keyPem);
    await pruneVersions('www', targets, ['v2']);
    expect(readdirSync(join(dir, '.certfleet-www')).sort()).toEqual(['live', 'replaced-20261203T100000Z', 'v2']);
  });
});

describe('certificate and key in different directories', () => {
  it('share one home beside the key, so one rename switches both', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { cert: join(dir, 'certs', 'www.pem'), fullchain: join(dir, 'certs', 'www-full.pem'), key: join(dir, 'private', 'www.pem'), createDirectories: true };
    for (const v of ['v1', 'v2']) {
      await stageVersion('www', v, targets, await pair(`${v}.test`));
      await activateVersion('www', v, targets);
      expect(served(targets)).toEqual({ subject: `CN=${v}.test`, matches: true });
    }
    expect(readlinkSync(targets.key!)).toBe('.certfleet-www/live/key-www.pem'); // two files named www.pem: told apart by kind
    expect(readlinkSync(targets.cert!)).toBe(join(dir, 'private', '.certfleet-www', 'live', 'cert-www.pem'));
    expect(existsSync(join(dir, 'certs', '.certfleet-www'))).toBe(false);
  });

  it('takes over a deployment of the older one-home-per-directory layout, and going back stays whole', async () => {
    const dir = tempDir();
    const targets: DeployTargets = { fullchain: join(dir, 'certs', 'www.crt'), key: join(dir, 'private', 'www.key') };
    const v1 = await pair('v1.test');
    // What the older layout left: a home in each directory, each holding its own files.
    writeFile(join(dir, 'certs', '.certfleet-www', 'v1', 'www.crt'), v1.fullchainPem);
    writeFile(join(dir, 'private', '.certfleet-www', 'v1', 'www.key'), v1.keyPem, 0o600);
    for (const d of ['certs', 'private']) {
      chmodSync(join(dir, d, '.certfleet-www'), 0o755);
      chmodSync(join(dir, d, '.certfleet-www', 'v1'), 0o755);
      symlinkSync('v1', join(dir, d, '.certfleet-www', 'live'));
    }
    symlinkSync('.certfleet-www/live/www.crt', targets.fullchain!);
    symlinkSync('.certfleet-www/live/www.key', targets.key!);
    expect(served(targets)).toEqual({ subject: 'CN=v1.test', matches: true });

    const warnings: string[] = [];
    await stageVersion('www', 'v2', targets, await pair('v2.test'));
    await activateVersion('www', 'v2', targets, (m) => warnings.push(m));
    expect(served(targets)).toEqual({ subject: 'CN=v2.test', matches: true });
    expect(warnings).toEqual([]); // our own links: nothing "changed by hand"
    await activateVersion('www', 'v1', targets);
    expect(served(targets)).toEqual({ subject: 'CN=v1.test', matches: true });
  });
});
