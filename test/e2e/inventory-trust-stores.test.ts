/**
 * `inventory` over a stock Debian machine's own files, as the real packages installed them
 * (ca-certificates, ca-certificates-java, bind9, postgresql-common; scripts/install-test-deps.sh):
 * usable as a gate. The roots are listed as trust anchors and not checked, Java's cacerts opens
 * with its default password, BIND's rndc.key and PostgreSQL's placeholder root.crt are passed
 * over quietly. `--as-of` far in the future makes every root expired, so the exit codes say
 * whether expired roots trip the gate, on any day this runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { InventoryResult } from '../../src/inventory/model.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeFile } from '../helpers/pki.js';

const debianFiles: Record<string, string> = {
  '/etc/ssl/certs/ca-certificates.crt': 'ca-certificates',
  '/usr/share/ca-certificates/mozilla': 'ca-certificates',
  '/etc/ssl/certs/java/cacerts': 'ca-certificates-java',
  '/etc/bind/rndc.key': 'bind9',
  '/etc/postgresql-common/root.crt': 'postgresql-common',
};
const missing = Object.entries(debianFiles).filter(([path]) => !existsSync(path));
const scanned = ['/etc/ssl', '/etc/bind', '/usr/share/ca-certificates', '/etc/postgresql-common'];
const farFuture = '2200-01-01';

async function inventory(args: string[]): Promise<{ code: number; result: InventoryResult; stderr: string }> {
  const r = await runCli(['inventory', ...args, '--format', 'json', '--quiet'], { timeoutMs: 120_000 });
  return { code: r.code, result: JSON.parse(r.stdout) as InventoryResult, stderr: r.stderr };
}

describe('inventory over the real Debian trust stores and configs', () => {
  it('has the Debian packages installed', () => {
    expect(missing.map(([path, pkg]) => `${path} (apt-get install ${pkg}; scripts/install-test-deps.sh)`)).toEqual([]);
  });

  it('exits 0 with the default --fail-on, every root a trust anchor, no error for files that are not certificates', async () => {
    const { code, result, stderr } = await inventory([...scanned, '--as-of', farFuture]);
    expect(result.errors).toEqual([]);
    expect(code, stderr).toBe(0);
    const inBundle = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'latin1').split('-----BEGIN CERTIFICATE-----').length - 1;
    expect(inBundle).toBeGreaterThan(100);
    expect(result.summary.trustAnchors).toBeGreaterThanOrEqual(inBundle);
    expect(result.summary.trustAnchors).toBe(result.certificates.length);
    expect(result.certificates.every((c) => c.trustAnchor === true && c.findings.length === 0)).toBe(true);
    expect(result.summary.findings).toEqual({ error: 0, warning: 0, info: 0 });
    const kinds = new Set(result.certificates.flatMap((c) => c.sources.map((s) => (s.kind === 'file' ? `${s.trustStore}/${s.format}` : s.kind))));
    expect([...kinds]).toEqual(expect.arrayContaining(['system-bundle/pem', 'hash-dir/pem', 'ca-source/pem', 'java-cacerts/jks']));
    // Java's cacerts was opened (with changeit): its entries are there, under their aliases.
    const fromCacerts = result.certificates.filter((c) => c.sources.some((s) => s.location === '/etc/ssl/certs/java/cacerts'));
    expect(fromCacerts.length).toBeGreaterThan(100);
  });

  it('checks the trust anchors when asked: expired roots then trip the gate', async () => {
    const { code, result } = await inventory([...scanned, '--as-of', farFuture, '--trust-stores', 'check']);
    expect(code).toBe(1);
    expect(result.certificates.every((c) => c.trustAnchor === true && c.findings.some((f) => f.id === 'expired'))).toBe(true);
    // Their own (often SHA-1) signatures are roots' and stay exempt.
    expect(result.certificates.some((c) => c.findings.some((f) => f.id === 'weak-signature' || f.id === 'self-signed'))).toBe(false);
  });

  it('leaves the trust anchors out when told to, still counting them', async () => {
    const { code, result } = await inventory([...scanned, '--trust-stores', 'skip']);
    expect(code).toBe(0);
    expect(result.certificates).toEqual([]);
    expect(result.summary.trustAnchors).toBeGreaterThan(100);
  });

  it('takes the mode from the config file too, and refuses an unknown one', async () => {
    const dir = tempDir('certfleet-truststores-config-');
    const check = writeFile(join(dir, 'check.yaml'), 'inventory:\n  trustStores: check\n');
    expect((await inventory(['--config', check, '/etc/ssl', '--as-of', farFuture])).code).toBe(1);
    const bad = writeFile(join(dir, 'bad.yaml'), 'inventory:\n  trustStores: ignore\n');
    const r = await runCli(['inventory', '--config', bad, '/etc/ssl']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trustStores/);
  });

  it('is usable as a gate over the whole of /etc', async () => {
    const { code, result, stderr } = await inventory(['/etc']);
    expect(result.errors).toEqual([]);
    expect(code, stderr).toBe(0);
    expect(result.summary.trustAnchors).toBeGreaterThan(100);
  });
});
