/**
 * `status` tells what `certbot certificates` does and more, from the config and the state
 * directory alone: days left, issuer, deploy paths, verify targets, next renewal and why, the last
 * error; and the state entries no config entry names any more, with the command that removes them.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../../src/cli/render/renew.js';
import { validateConfig } from '../../../src/config/load.js';
import { resolveRenewSettings } from '../../../src/config/renew-options.js';
import { collectStatus } from '../../../src/renewal/status.js';
import { CertificateStore, versionId } from '../../../src/store/certificate-store.js';
import { parseCertificate } from '../../../src/x509/certificate.js';
import { chain, tempDir } from '../../helpers/pki.js';

const DAY = 86_400_000;
const now = new Date('2026-12-03T12:00:00Z');

async function settingsFor(dir: string, certificates: Array<Record<string, unknown>>) {
  const config = validateConfig({ stateDir: join(dir, 'state'), acme: { server: 'https://127.0.0.1:14000/dir' }, certificates }, 'c.yaml');
  return resolveRenewSettings(config, { cwd: dir, env: {}, configFile: join(dir, 'certfleet.config.yaml'), defaultStateDir: join(dir, 'state') });
}

/** A version stored as renew stores it: 30 days of 90 left at `now`. */
async function storeIssued(store: CertificateStore, name: string, domains: string[]): Promise<{ serial: string; issuer: string }> {
  const { intermediate, leaf } = await chain({ commonName: domains[0]!, sans: domains, notBefore: new Date(now.getTime() - 60 * DAY), notAfter: new Date(now.getTime() + 30.5 * DAY) });
  const info = parseCertificate(leaf.der).info;
  const id = versionId(new Date(now.getTime() - 60 * DAY), info.serialNumber);
  await store.addVersion(name, { id, serialNumber: info.serialNumber, notBefore: info.notBefore, notAfter: info.notAfter, domains, issuedAt: info.notBefore }, {
    certPem: leaf.certPem,
    chainPem: intermediate.certPem,
    fullchainPem: leaf.certPem + intermediate.certPem,
    keyPem: leaf.keyPem,
  });
  await store.setCurrent(name, id);
  return { serial: info.serialNumber, issuer: info.issuer };
}

/** Every path under `dir` with its mtime: what a read-only command must leave exactly as it was. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((p) => `${p} ${statSync(join(dir, p)).mtimeMs}`);
}

describe('status', () => {
  it('shows days left, issuer, deployed paths, verify targets, next renewal and the last error, in JSON and the table', async () => {
    const dir = tempDir();
    const settings = await settingsFor(dir, [
      {
        name: 'www',
        domains: ['www.example.test', 'bücher.example.test'],
        challenge: { type: 'http-01', webroot: 'webroot' },
        deploy: { fullchain: 'tls/www.fullchain.pem', key: 'tls/www.key' },
        verify: ['127.0.0.1:8443,sni=www.example.test'],
      },
      { name: 'new', domains: ['new.example.test'], challenge: { type: 'http-01', webroot: 'webroot' } },
    ]);
    const store = new CertificateStore(settings.stateDir);
    const issued = await storeIssued(store, 'www', ['www.example.test', 'xn--bcher-kva.example.test']);
    await store.saveState('www', { schemaVersion: 1, failures: { consecutiveFailures: 2, lastFailureAt: now.getTime() - DAY, lastError: 'the CA said: rateLimited' } });
    const before = snapshot(settings.stateDir);

    const status = await collectStatus(settings, now, () => undefined);
    expect(snapshot(settings.stateDir)).toEqual(before);
    const [www, fresh] = status.certificates;
    expect(www).toMatchObject({
      name: 'www',
      domains: ['www.example.test', 'xn--bcher-kva.example.test'],
      serialNumber: issued.serial,
      daysLeft: 30,
      issuer: issued.issuer,
      deployedPaths: [
        { kind: 'fullchain', path: join(dir, 'tls', 'www.fullchain.pem') },
        { kind: 'key', path: join(dir, 'tls', 'www.key') },
      ],
      verifyTargets: ['127.0.0.1:8443,sni=www.example.test'],
      consecutiveFailures: 2,
      lastError: 'the CA said: rateLimited',
      lastFailureAt: new Date(now.getTime() - DAY).toISOString(),
      keptFiles: [],
    });
    expect(www!.issuer).toMatch(/^CN=/);
    expect(fresh).toMatchObject({ name: 'new', serialNumber: null, daysLeft: null, issuer: null, deployedPaths: [], verifyTargets: [], lastError: null, lastFailureAt: null });
    expect(status.orphaned).toEqual([]);

    const table = renderStatus(status, 'table').join('');
    expect(table).toContain(`www (www.example.test, xn--bcher-kva.example.test): serial ${issued.serial}, expires ${www!.notAfter} (30 day(s) left)\n`);
    expect(table).toContain(`  issuer: ${issued.issuer}\n`);
    expect(table).toContain(`  deploys to: ${join(dir, 'tls', 'www.fullchain.pem')} (fullchain), ${join(dir, 'tls', 'www.key')} (key)\n`);
    expect(table).toContain('  verified at: 127.0.0.1:8443,sni=www.example.test\n');
    expect(table).toContain(`  next renewal ${www!.nextRenewalAt}: ${www!.explanation}\n`);
    expect(table).toContain(`  last error at ${www!.lastFailureAt} (2 failed attempt(s) in a row): the CA said: rateLimited\n`);
    expect(table).toContain('new (new.example.test): no certificate yet\n  deploys to: nowhere');
    expect(JSON.parse(renderStatus(status, 'json').join(''))).toEqual(JSON.parse(JSON.stringify(status)));
  });

  it('says "expired N days ago" for a certificate past its notAfter', async () => {
    const dir = tempDir();
    const settings = await settingsFor(dir, [{ name: 'www', domains: ['www.example.test'], challenge: { type: 'http-01', webroot: 'webroot' } }]);
    await storeIssued(new CertificateStore(settings.stateDir), 'www', ['www.example.test']);
    const later = new Date(now.getTime() + 33 * DAY);
    const status = await collectStatus(settings, later, () => undefined);
    expect(status.certificates[0]!.daysLeft).toBe(-3);
    expect(renderStatus(status, 'table').join('')).toMatch(/\(expired 3 day\(s\) ago\)/);
  });

  it('lists a state entry with no config entry as orphaned, with the command that removes it', async () => {
    const dir = tempDir();
    const settings = await settingsFor(dir, [{ name: 'www', domains: ['www.example.test'], challenge: { type: 'http-01', webroot: 'webroot' } }]);
    const store = new CertificateStore(settings.stateDir);
    await storeIssued(store, 'www', ['www.example.test']);
    const old = await storeIssued(store, 'old-site', ['old.example.test']);
    await store.saveState('never-issued', { schemaVersion: 1 });

    const status = await collectStatus(settings, now, () => undefined);
    expect(status.certificates.map((c) => c.name)).toEqual(['www']);
    expect(status.orphaned).toEqual([
      { name: 'never-issued', directory: join(settings.stateDir, 'certificates', 'never-issued'), serialNumber: null, notAfter: null, removeCommand: 'certfleet remove never-issued' },
      { name: 'old-site', directory: join(settings.stateDir, 'certificates', 'old-site'), serialNumber: old.serial, notAfter: expect.any(String), removeCommand: 'certfleet remove old-site' },
    ]);
    const table = renderStatus(status, 'table').join('');
    expect(table).toContain('orphaned: in the state directory but not in the config, so no longer renewed:\n');
    expect(table).toContain(`  old-site (serial ${old.serial}, expires ${status.orphaned[1]!.notAfter}): \`certfleet remove old-site\` removes it`);

    // With every certificate taken out of the config, status still shows what is left behind.
    const none = await collectStatus({ ...settings, certificates: [] }, now, () => undefined);
    expect(none.orphaned.map((o) => o.name)).toEqual(['never-issued', 'old-site', 'www']);
  });
});
