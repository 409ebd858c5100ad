/**
 * The inventory over certfleet's own deploy layout, built by the real deploy code
 * (src/renewal/deploy-files.ts): each deployed certificate is one certificate in service, reported
 * once, and the other versions, the files found before certfleet and the files replaced by hand are
 * tagged as kept copies of it, never counted as certificates of their own (issue 8, item 15).
 */
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeLocation } from '../../../src/inventory/certfleet-homes.js';
import type { CertificateRecord, InventoryResult } from '../../../src/inventory/model.js';
import { runInventory } from '../../../src/inventory/scan.js';
import { shippedTimeline } from '../../../src/policy/timeline.js';
import { buildReport } from '../../../src/report/build.js';
import { activateVersion, stageVersion, type DeployTargets } from '../../../src/renewal/deploy-files.js';
import { chain, issue, tempDir, type Issued } from '../../helpers/pki.js';

const DAY = 86_400_000;
const now = new Date();
let dir: string;
let etc: string;
let intermediate: Issued;
/** name -> the leaf of each deployed version, oldest first; and what was there before certfleet. */
const versions = new Map<string, Issued[]>();
let wwwFound: Issued;
let mailByHand: Issued;

async function leaf(name: string, daysAgo: number, days = 90): Promise<Issued> {
  return issue({ commonName: name, sans: [name], notBefore: new Date(now.getTime() - daysAgo * DAY), notAfter: new Date(now.getTime() - daysAgo * DAY + days * DAY) }, intermediate);
}

function files(issued: Issued) {
  const chainPem = intermediate.certPem;
  return { certPem: issued.certPem, chainPem, fullchainPem: issued.certPem + chainPem, keyPem: issued.keyPem };
}

/** Deploy `leaves` one after the other, as `renew` does: stage the version, then make it live. */
async function deploy(name: string, targets: DeployTargets, leaves: Issued[]): Promise<void> {
  for (const [i, issued] of leaves.entries()) {
    const id = `2026112${i}T101500Z-${issued.cert.serialNumber}`;
    await stageVersion(name, id, targets, files(issued));
    await activateVersion(name, id, targets, undefined, new Date(now.getTime() + i * 1000));
  }
  versions.set(name, leaves);
}

beforeAll(async () => {
  dir = tempDir('certfleet-inventory-homes-');
  etc = join(dir, 'etc', 'ssl');
  mkdirSync(join(etc, 'certs'), { recursive: true });
  mkdirSync(join(etc, 'private'), { recursive: true, mode: 0o700 });
  ({ intermediate } = await chain({ commonName: 'unused.example.test' }));

  // www: an expired certificate was there before certfleet (kept as found), then two versions.
  const wwwTargets: DeployTargets = { fullchain: join(etc, 'certs', 'www.pem'), key: join(etc, 'private', 'www.key') };
  wwwFound = await leaf('www.example.test', 120);
  writeFileSync(wwwTargets.fullchain!, files(wwwFound).fullchainPem);
  writeFileSync(wwwTargets.key!, wwwFound.keyPem, { mode: 0o600 });
  await deploy('www', wwwTargets, [await leaf('www.example.test', 40), await leaf('www.example.test', 5)]);

  // api: nothing there before, two versions, cert and key in one directory.
  await deploy('api', { cert: join(etc, 'private', 'api.crt'), key: join(etc, 'private', 'api.key') }, [await leaf('api.example.test', 40), await leaf('api.example.test', 5)]);

  // mail: one version, then someone copied another certificate over the deploy path by hand;
  // the next deployment sets it aside in replaced-<time> before linking the path again.
  const mailTargets: DeployTargets = { combined: join(etc, 'private', 'mail.pem') };
  await deploy('mail', mailTargets, [await leaf('mail.example.test', 5)]);
  mailByHand = await leaf('mail.example.test', 1, 30);
  rmSync(mailTargets.combined!);
  writeFileSync(mailTargets.combined!, mailByHand.keyPem + files(mailByHand).fullchainPem, { mode: 0o600 });
  const mailLive = versions.get('mail')![0]!;
  await activateVersion('mail', `20261120T101500Z-${mailLive.cert.serialNumber}`, mailTargets, undefined, new Date(now.getTime() + 5000));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function scan(paths: string[]): Promise<InventoryResult> {
  return runInventory({
    paths,
    proxyConfigs: [],
    detectProxyConfigs: false,
    endpoints: [],
    passwords: [],
    extraCa: [],
    exclude: [],
    endpointConcurrency: 1,
    connectTimeoutMs: 1000,
    handshakeTimeoutMs: 1000,
    workers: 0,
    timeline: shippedTimeline(),
    now,
  });
}

const bySerial = (result: InventoryResult, issued: Issued): CertificateRecord => {
  const record = result.certificates.find((c) => c.serialNumber.replace(/^0+/, '') === issued.cert.serialNumber.replace(/^0+/, ''));
  if (!record) throw new Error(`certificate ${issued.cert.serialNumber} not in the inventory`);
  return record;
};

describe('inventory over certfleet deploy homes', () => {
  it('the tree is what the deploy code makes: links into .certfleet-NAME/live, versions, as-found, replaced-<time>', () => {
    expect(lstatSync(join(etc, 'certs', 'www.pem')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(etc, 'private', '.certfleet-www', 'as-found'))).toBe(true);
    expect(lstatSync(join(etc, 'private', '.certfleet-www', 'live')).isSymbolicLink()).toBe(true);
  });

  it('reports each managed certificate once as live, and every other copy tagged with its role and not in service', async () => {
    const result = await scan([etc]);
    const [wwwOld, wwwLive] = versions.get('www')!;
    const [apiOld, apiLive] = versions.get('api')!;
    const [mailLive] = versions.get('mail')!;

    const live = (issued: Issued, name: string) => {
      const record = bySerial(result, issued);
      expect(record.managedBy).toMatchObject({ tool: 'certfleet', name, role: 'live', version: `${issued === mailLive ? '20261120' : '20261121'}T101500Z-${issued.cert.serialNumber}` });
      expect(record.keptCopy).toBeUndefined();
      return record;
    };
    const www = live(wwwLive!, 'www');
    // Found through the deploy path (a link) and in the home: one record, every source tagged live.
    expect(www.sources.map((s) => s.location)).toContain(join(etc, 'certs', 'www.pem'));
    expect(www.sources.every((s) => s.kind === 'file' && s.managedBy?.role === 'live')).toBe(true);
    live(apiLive!, 'api');
    live(mailLive!, 'mail');

    const kept = (issued: Issued, name: string, role: string) => {
      const record = bySerial(result, issued);
      expect(record.managedBy).toMatchObject({ tool: 'certfleet', name, role });
      expect(record.keptCopy).toBe(true);
      return record;
    };
    kept(wwwOld!, 'www', 'previous');
    kept(apiOld!, 'api', 'previous');
    // What was served before certfleet is expired: a kept copy is not checked as a certificate in service.
    expect(kept(wwwFound, 'www', 'as-found').findings).toEqual([]);
    expect(kept(mailByHand, 'mail', 'replaced').managedBy!.version).toMatch(/^replaced-\d{8}T\d{6}Z$/);

    const leaves = result.certificates.filter((c) => !c.isCA);
    expect(leaves).toHaveLength(7);
    expect(result.summary.keptCopies).toBe(4);
    // Keys are tagged the same way (the live key through its deploy path).
    expect(result.keys.find((k) => k.path === join(etc, 'private', 'www.key'))?.managedBy).toMatchObject({ name: 'www', role: 'live' });
  });

  it('report counts one certificate in scope per managed name; kept copies are listed, out of scope', async () => {
    const result = await scan([etc]);
    const report = buildReport({ inventory: result }, { asOf: now, timeline: shippedTimeline() });
    expect(report.fleet.inScope).toBe(3);
    const inScope = report.certificates.filter((c) => c.inScope);
    expect(inScope.map((c) => c.managedBy?.name).sort()).toEqual(['api', 'mail', 'www']);
    expect(inScope.every((c) => c.managedBy?.role === 'live')).toBe(true);
    const copies = report.certificates.filter((c) => c.managedBy && c.managedBy.role !== 'live');
    expect(copies.map((c) => c.managedBy!.role).sort()).toEqual(['as-found', 'previous', 'previous', 'replaced']);
    expect(copies.every((c) => !c.inScope)).toBe(true);
  });

  it('a deploy path scanned on its own is the live version of its managed certificate', async () => {
    const result = await scan([join(etc, 'certs', 'www.pem')]);
    expect(result.certificates.filter((c) => !c.isCA).map((c) => c.managedBy)).toEqual([
      { tool: 'certfleet', name: 'www', role: 'live', version: `20261121T101500Z-${versions.get('www')![1]!.cert.serialNumber}` },
    ]);
  });

  it('a copy that something else still serves stays in service (here: the same file outside the home)', async () => {
    const [wwwOld] = versions.get('www')!;
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'old-www.pem'), wwwOld!.certPem);
    const result = await scan([etc, elsewhere]);
    const record = bySerial(result, wwwOld!);
    expect(record.managedBy).toMatchObject({ name: 'www', role: 'previous' });
    expect(record.keptCopy).toBeUndefined();
    rmSync(elsewhere, { recursive: true });
  });

  it('stays safe with links it did not make: a loop in a home, and a `live` naming a directory outside', async () => {
    const fake = join(dir, 'fake');
    const scanned = join(fake, 'scanned');
    mkdirSync(join(fake, 'outside'), { recursive: true });
    mkdirSync(join(scanned, '.certfleet-evil'), { recursive: true });
    writeFileSync(join(fake, 'outside', 'cert.pem'), versions.get('api')![0]!.certPem);
    symlinkSync(join(fake, 'outside'), join(scanned, '.certfleet-evil', 'live'));
    symlinkSync('.', join(scanned, '.certfleet-evil', 'loop'));
    symlinkSync('..', join(scanned, '.certfleet-evil', 'up'));
    const result = await scan([scanned]);
    const records = result.certificates.filter((c) => !c.isCA);
    expect(records).toHaveLength(1);
    // Found only through that `live`, which is not certfleet's (its links name a folder beside
    // them): a plain certificate, in service, not a kept copy.
    expect(records[0]!.sources.map((s) => s.location)).toEqual([join(scanned, '.certfleet-evil', 'live', 'cert.pem')]);
    expect(records[0]!.managedBy).toBeUndefined();
    expect(records[0]!.keptCopy).toBeUndefined();
  });

  it('homeLocation reads only <...>/.certfleet-NAME/<folder>/<file>', () => {
    expect(homeLocation('/etc/ssl/private/.certfleet-www/live/www.key')).toEqual({ home: '/etc/ssl/private/.certfleet-www', name: 'www', entry: 'live' });
    expect(homeLocation('/etc/ssl/private/.certfleet-www/as-found/.certfleet-found.json')).toMatchObject({ name: 'www', entry: 'as-found' });
    expect(homeLocation('/etc/ssl/private/.certfleet-www')).toBeUndefined();
    expect(homeLocation('/etc/ssl/private/www.key')).toBeUndefined();
    expect(homeLocation('/etc/.certfleet-/live/x.pem')).toBeUndefined();
  });
});
