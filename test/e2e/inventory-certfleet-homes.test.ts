/**
 * `certfleet inventory` and `certfleet report` (the built CLI) over a deploy tree made by the real
 * deploy code: three deployed certificates, with a previous version each and the files found before
 * certfleet, show as three certificates in scope, not as every copy kept on disk (issue 8, item 15).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryResult } from '../../src/inventory/model.js';
import type { ReadinessReport } from '../../src/report/model.js';
import { activateVersion, stageVersion, type DeployTargets } from '../../src/renewal/deploy-files.js';
import { runCli } from '../helpers/cli.js';
import { chain, issue, tempDir, type Issued } from '../helpers/pki.js';

const DAY = 86_400_000;
let dir: string;
let etc: string;

beforeAll(async () => {
  dir = tempDir('certfleet-e2e-homes-');
  etc = join(dir, 'etc');
  mkdirSync(join(etc, 'nginx', 'tls'), { recursive: true });
  const { intermediate } = await chain({ commonName: 'unused.example.test' });
  const now = Date.now();
  const leaf = (name: string, daysAgo: number) => issue({ commonName: name, sans: [name], notBefore: new Date(now - daysAgo * DAY), notAfter: new Date(now - daysAgo * DAY + 90 * DAY) }, intermediate);
  const files = (i: Issued) => ({ certPem: i.certPem, chainPem: intermediate.certPem, fullchainPem: i.certPem + intermediate.certPem, keyPem: i.keyPem });
  for (const name of ['www', 'api', 'shop']) {
    const targets: DeployTargets = { fullchain: join(etc, 'nginx', 'tls', `${name}.pem`), key: join(etc, 'nginx', 'tls', `${name}.key`) };
    // What a person deployed before certfleet took over: kept as found.
    const before = await leaf(`${name}.example.test`, 80);
    writeFileSync(targets.fullchain!, files(before).fullchainPem);
    writeFileSync(targets.key!, before.keyPem, { mode: 0o600 });
    for (const [i, daysAgo] of [40, 3].entries()) {
      const issued = await leaf(`${name}.example.test`, daysAgo);
      const id = `2026112${i}T101500Z-${issued.cert.serialNumber}`;
      await stageVersion(name, id, targets, files(issued));
      await activateVersion(name, id, targets);
    }
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('inventory and report over certfleet deploy homes', () => {
  it('inventory tags each copy; report counts the three served certificates in scope', async () => {
    const inv = await runCli(['inventory', etc, '--format', 'json', '--quiet', '--fail-on', 'never']);
    expect(inv.code, inv.stderr).toBe(0);
    const inventory = JSON.parse(inv.stdout) as InventoryResult;
    const leaves = inventory.certificates.filter((c) => !c.isCA);
    expect(leaves).toHaveLength(9);
    expect(leaves.filter((c) => !c.keptCopy).map((c) => `${c.managedBy?.name}:${c.managedBy?.role}`).sort()).toEqual(['api:live', 'shop:live', 'www:live']);
    expect(leaves.filter((c) => c.keptCopy).map((c) => c.managedBy?.role).sort()).toEqual(['as-found', 'as-found', 'as-found', 'previous', 'previous', 'previous']);
    expect(inventory.summary.keptCopies).toBe(6);

    const rep = await runCli(['report', etc, '--format', 'json', '--quiet']);
    expect(rep.code, rep.stderr).toBe(0);
    const report = JSON.parse(rep.stdout) as ReadinessReport;
    expect(report.fleet.inScope).toBe(3);
    expect(report.certificates.filter((c) => c.inScope).map((c) => c.name).sort()).toEqual(['api.example.test', 'shop.example.test', 'www.example.test']);
  });
});
