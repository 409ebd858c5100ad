import { readFileSync, lstatSync, readlinkSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseFileContent } from '../../../src/inventory/sources/file-content.js';
import { activateVersion, liveVersion, pruneVersions, stageVersion, type DeployTargets } from '../../../src/renewal/deploy-files.js';
import type { VersionFiles } from '../../../src/store/certificate-store.js';
import { chain, tempDir, writeFile } from '../../helpers/pki.js';

async function pair(name: string): Promise<VersionFiles> {
  const { intermediate, leaf } = await chain({ commonName: name, sans: [name] });
  return { certPem: leaf.certPem, chainPem: intermediate.certPem, fullchainPem: leaf.certPem + intermediate.certPem, keyPem: leaf.keyPem };
}

/** What a server reading these paths would load: is the key the certificate's? And which certificate? */
function served(targets: DeployTargets): { subject: string; matches: boolean } {
  const cert = parseFileContent('c', readFileSync(targets.fullchain!), []).certificates[0]!.info;
  const key = parseFileContent('k', readFileSync(targets.key!), []).keys[0]!;
  return { subject: cert.subject, matches: key.publicKeyFingerprintSha256 === cert.publicKeyFingerprintSha256 };
}

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

    // Rollback is the same one-rename switch, to what was adopted.
    await activateVersion('www', 'as-found', targets);
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
    await pruneVersions('api', targets, ['v3', 'v2']);
    expect(readdirSync(join(dir, '.certfleet-api')).sort()).toEqual(['live', 'v2', 'v3']);
    expect(served(targets)).toEqual({ subject: 'CN=v3.test', matches: true });
  });
});
