/**
 * `certfleet report` run as a user would (the built CLI): over certificates minted at test time,
 * scanned live or read from a saved inventory, in every format, with the exit codes README names.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InventoryResult } from '../../src/inventory/model.js';
import type { ReadinessReport } from '../../src/report/model.js';
import { runCli } from '../helpers/cli.js';
import { chain, issue, tempDir, writeFile } from '../helpers/pki.js';

const DAY = 86_400_000;
const fixtures = new URL('../fixtures/report/', import.meta.url).pathname;
let dir: string;
let fleet: string;
let savedInventory: string;

beforeAll(async () => {
  dir = tempDir('certfleet-report-e2e-');
  fleet = join(dir, 'fleet');
  const now = Date.now();
  // A 395-day certificate (396 days BR-counted) renewed by hand, a 90-day one under certbot's layout, and an expired one.
  const { intermediate, leaf: yearly } = await chain({ commonName: 'shop.example.test', sans: ['shop.example.test'], notBefore: new Date(now - 30 * DAY), notAfter: new Date(now + 365 * DAY) });
  const acme = await issue({ commonName: 'www.example.test', sans: ['www.example.test'], notBefore: new Date(now - 10 * DAY), notAfter: new Date(now + 80 * DAY) }, intermediate);
  const expired = await issue({ commonName: 'old.example.test', sans: ['old.example.test'], notBefore: new Date(now - 400 * DAY), notAfter: new Date(now - 35 * DAY) }, intermediate);
  writeFile(join(fleet, 'ssl', 'shop.pem'), yearly.certPem + intermediate.certPem);
  writeFile(join(fleet, 'letsencrypt', 'live', 'www.example.test', 'cert.pem'), acme.certPem);
  writeFile(join(fleet, 'ssl', 'old.pem'), expired.certPem);
  savedInventory = join(dir, 'inventory.json');
  const r = await runCli(['inventory', fleet, '--format', 'json', '--output', savedInventory, '--quiet', '--fail-on', 'never']);
  if (r.code !== 0) throw new Error(`inventory failed (${r.code}): ${r.stderr}`);
});

describe('certfleet report', () => {
  it('scans live with the inventory flags and reports every certificate the inventory finds', async () => {
    const r = await runCli(['report', fleet, '--format', 'json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReadinessReport;
    const inventory = JSON.parse(readFileSync(savedInventory, 'utf8')) as InventoryResult;
    expect(report.schemaVersion).toBe(1);
    expect(report.certificates.map((c) => c.fingerprintSha256).sort()).toEqual(inventory.certificates.map((c) => c.fingerprintSha256).sort());
    expect(report.deadlines.length).toBeGreaterThan(0);
    const shop = report.certificates.find((c) => c.name === 'shop.example.test')!;
    expect(shop).toMatchObject({ automation: 'manual', lifetimeDays: 396, inScope: true });
    expect(report.certificates.find((c) => c.name === 'www.example.test')!.automation).toBe('acme-client');
    const d47 = report.deadlines.find((d) => d.id === 'sc081-2029-47-days')!;
    expect(d47.violating.find((v) => v.fingerprintSha256 === shop.fingerprintSha256)).toMatchObject({ blocking: true, kind: 'lifetime' });
  });

  it('reads a saved inventory and writes every format (atomically, to --output)', async () => {
    for (const format of ['summary', 'json', 'markdown', 'html', 'csv', 'sarif', 'prometheus']) {
      const out = join(dir, `report.${format}`);
      const r = await runCli(['report', '--inventory', savedInventory, '--format', format, '--output', out, '--as-of', '2027-01-01']);
      expect(r.code, `${format}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe('');
      expect(readFileSync(out, 'utf8').length, format).toBeGreaterThan(200);
    }
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ReadinessReport;
    expect(report.asOf).toBe('2027-01-01T00:00:00.000Z');
    expect(JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')).version).toBe('2.1.0');
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*<svg [\s\S]*<\/html>\n$/);
    expect(readFileSync(join(dir, 'report.summary'), 'utf8')).toContain('certfleet readiness report as of 2027-01-01');
  });

  it('writes several formats from one run: --format a,b --output name.{ext}', async () => {
    const r = await runCli(['report', '--inventory', savedInventory, '--format', 'json,html,sarif,prometheus,csv,markdown,summary', '--output', join(dir, 'all', 'readiness.{ext}'), '--as-of', '2027-01-01']);
    expect(r.code, r.stderr).toBe(2); // the directory does not exist: nothing half-written
    writeFile(join(dir, 'all', '.keep'), '');
    const ok = await runCli(['report', '--inventory', savedInventory, '--format', 'json,html,sarif,prometheus,csv,markdown,summary', '--output', join(dir, 'all', 'readiness.{ext}'), '--as-of', '2027-01-01']);
    expect(ok.code, ok.stderr).toBe(0);
    for (const ext of ['json', 'html', 'sarif', 'prom', 'csv', 'md', 'txt']) expect(readFileSync(join(dir, 'all', `readiness.${ext}`), 'utf8').length, ext).toBeGreaterThan(200);
    expect(readFileSync(join(dir, 'all', 'readiness.json'), 'utf8')).toBe(readFileSync(join(dir, 'report.json'), 'utf8'));
  });

  it('--as-of moves the deadlines: in 2030 only the 47-day phase is left', async () => {
    const r = await runCli(['report', '--inventory', savedInventory, '--format', 'json', '--as-of', '2030-06-01']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as ReadinessReport).deadlines.map((d) => [d.id, d.inForce])).toEqual([['sc081-2029-47-days', true]]);
  });

  it('uses managed state and the last drill from --state-dir', async () => {
    const r = await runCli(['report', '--inventory', `${fixtures}inventory.json`, '--state-dir', `${fixtures}state`, '--format', 'json', '--as-of', '2026-11-22']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as ReadinessReport;
    expect(report.fleet.automated.managed).toBe(4);
    expect(report.revocation.drill?.certificates).toBe(5);
  });

  it('exit 1 when a deadline scores below --min-score or a finding reaches --fail-on; the reason on stderr', async () => {
    const base = ['report', '--inventory', `${fixtures}inventory.json`, '--as-of', '2026-11-22', '--format', 'json', '--output', join(dir, 'gate.json')];
    expect((await runCli([...base, '--min-score', '0'])).code).toBe(0);
    const low = await runCli([...base, '--min-score', '99']);
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/sc081-2029-47-days scores \d+, below 99/);
    expect((await runCli([...base, '--min-score', 'sc081-2026-200-days=1'])).code).toBe(0);
    const findings = await runCli([...base, '--fail-on', 'error']);
    expect(findings.code).toBe(1);
    expect(findings.stderr).toMatch(/findings at or above error: expired/);
    expect((await runCli([...base, '--fail-on', 'never'])).code).toBe(0);
  });

  it('exit 2 for usage errors, before writing anything', async () => {
    const out = join(dir, 'never-written.json');
    const cases: Array<[string[], RegExp]> = [
      [['report', '--inventory', join(dir, 'missing.json')], /cannot read inventory/],
      [['report', '--inventory', savedInventory, fleet], /either --inventory FILE or sources/],
      [['report'], /nothing to report on/],
      [['report', '--inventory', savedInventory, '--min-score', '120'], /--min-score takes a score 0-100/],
      [['report', '--inventory', savedInventory, '--min-score', 'nosuch=50', '--output', out], /deadline "nosuch" is not in this report/],
      [['report', '--inventory', savedInventory, '--format', 'pdf'], /unknown format "pdf"/],
      [['report', '--inventory', savedInventory, '--format', 'json,html'], /several formats need --output with \{ext\}/],
      [['report', '--inventory', savedInventory, '--as-of', 'soon'], /--as-of takes a date/],
      [['report', '--inventory', `${fixtures}state/managed.json`], /not a certfleet inventory/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('exit 3 when the inventory could not read some sources (the report may be incomplete), even with a gate that fails', async () => {
    const inventory = JSON.parse(readFileSync(savedInventory, 'utf8')) as InventoryResult;
    inventory.errors.push({ source: '/etc/ssl/locked.p12', message: 'wrong PKCS#12 password' });
    const partial = writeFile(join(dir, 'partial.json'), JSON.stringify(inventory));
    const r = await runCli(['report', '--inventory', partial, '--min-score', '100', '--format', 'json']);
    expect(r.code).toBe(3);
    expect((JSON.parse(r.stdout) as ReadinessReport).fleet.inventoryErrors).toEqual([{ source: '/etc/ssl/locked.p12', message: 'wrong PKCS#12 password' }]);
  });

  it('reads an NDJSON inventory too', async () => {
    const ndjson = join(dir, 'inventory.ndjson');
    const r0 = await runCli(['inventory', fleet, '--format', 'ndjson', '--output', ndjson, '--quiet', '--fail-on', 'never']);
    expect(r0.code, r0.stderr).toBe(0);
    const r = await runCli(['report', '--inventory', ndjson, '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\r\n')).toHaveLength(1 + 4); // header + 3 leaves + the intermediate
  });

  it('never prints private key material', async () => {
    const withKey = await issue({ commonName: 'key.example.test', sans: ['key.example.test'], days: 90 });
    const keyDir = join(dir, 'with-key');
    writeFile(join(keyDir, 'cert.pem'), withKey.certPem);
    writeFile(join(keyDir, 'key.pem'), withKey.keyPem, 0o600);
    const body = withKey.keyPem.split('\n').slice(1, -2).join('');
    for (const format of ['json', 'sarif', 'html', 'csv', 'markdown', 'prometheus', 'summary']) {
      const r = await runCli(['report', keyDir, '--format', format, '--quiet']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.replace(/\s/g, '')).not.toContain(body.slice(0, 40));
      expect(r.stdout).not.toContain('PRIVATE KEY');
    }
    writeFileSync(join(keyDir, 'key.pem'), ''); // leave no key behind longer than needed
  });
});
