/**
 * The built CLI, run as a user would, over the example fleet generated at test time: every finding
 * the issue names shows up, exit codes follow the README, and no key material ever leaves.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { InventoryResult } from '../../src/inventory/model.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { issue, tempDir, writeFile } from '../helpers/pki.js';

let fleet: string;
let config: string;

beforeAll(() => {
  const dir = tempDir('certfleet-e2e-');
  fleet = join(dir, 'fleet');
  cpSync(join(repoRoot, 'examples', 'fleet', 'etc'), join(fleet, 'etc'), { recursive: true });
  cpSync(join(repoRoot, 'examples', 'certfleet.config.yaml'), join(dir, 'certfleet.config.yaml'));
  config = join(dir, 'certfleet.config.yaml');
  execFileSync(process.execPath, [join(repoRoot, 'examples', 'generate-fleet.mjs'), '--out', join(fleet, 'generated')], { stdio: 'pipe' });
});

function allFindingIds(result: InventoryResult): Set<string> {
  return new Set([...result.certificates, ...result.keys].flatMap((r) => r.findings.map((f) => f.id)));
}

describe('certfleet inventory on the example fleet', () => {
  it('finds every kind of certificate and every finding, and exits 1 on errors', async () => {
    const r = await runCli(['inventory', '--config', config, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const result = JSON.parse(r.stdout) as InventoryResult;
    expect(result.schemaVersion).toBe(1);
    expect(result.errors).toEqual([]);
    for (const id of [
      'expired', 'not-yet-valid', 'expiring', 'lifetime-exceeds-policy', 'weak-key', 'weak-signature', 'self-signed',
      'hostname-mismatch', 'incomplete-chain', 'key-mismatch', 'key-file-permissions', 'orphaned-key',
    ]) {
      expect(allFindingIds(result), id).toContain(id);
    }
    const formats = new Set(result.certificates.flatMap((c) => c.sources.flatMap((s) => (s.kind === 'file' ? [s.format] : []))));
    expect([...formats].sort()).toEqual(['der', 'jks', 'pem', 'pkcs12']);
    const proxies = new Set(result.certificates.flatMap((c) => c.sources.flatMap((s) => (s.kind === 'proxy' ? [s.proxy] : []))));
    expect([...proxies].sort()).toEqual(['apache', 'haproxy', 'nginx', 'traefik']);
    // A proxy source names the config file and line; the certificate is one record for all its places.
    const shop = result.certificates.find((c) => c.sans.includes('shop.example.test') && c.keyType === 'RSA')!;
    expect(shop.sources.filter((s) => s.kind === 'proxy').length).toBeGreaterThanOrEqual(2);
    expect(shop.sources.find((s) => s.kind === 'proxy')!.location).toMatch(/\.(conf|cfg|txt|yml):\d+$/);
    expect(result.keys.find((k) => k.path.endsWith('healthy-ec/privkey.pem'))).toMatchObject({ matched: true, mode: 0o600 });
  });

  it('never prints private key material, in any format', async () => {
    const keyBodies: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else {
          const text = readFileSync(path, 'latin1');
          for (const m of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----\n(?:.*:.*\n\n)?([A-Za-z0-9+/=]{40})/g)) keyBodies.push(m[1]!);
        }
      }
    };
    walk(join(fleet, 'generated'));
    expect(keyBodies.length).toBeGreaterThan(10);
    for (const format of ['json', 'ndjson', 'csv', 'table', 'cyclonedx']) {
      const r = await runCli(['inventory', '--config', config, '--format', format]);
      for (const body of keyBodies) {
        expect(r.stdout.includes(body), `${format} stdout`).toBe(false);
        expect(r.stderr.includes(body), `${format} stderr`).toBe(false);
      }
    }
  });

  it('NDJSON and CSV carry the same certificates as JSON', async () => {
    const json = JSON.parse((await runCli(['inventory', '--config', config, '--format', 'json'])).stdout) as InventoryResult;
    const ndjson = (await runCli(['inventory', '--config', config, '--format', 'ndjson'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ndjson.filter((l) => l.type === 'certificate').map((l) => l.fingerprintSha256).sort()).toEqual(json.certificates.map((c) => c.fingerprintSha256).sort());
    const csv = (await runCli(['inventory', '--config', config, '--format', 'csv'])).stdout.trim().split('\r\n');
    expect(csv).toHaveLength(json.certificates.length + 1);
  });

  it('reports a wrong keystore password as an unreadable source (exit 3) and goes on', async () => {
    const r = await runCli(['inventory', join(fleet, 'generated'), '--no-detect-proxies', '--format', 'json']);
    expect(r.code).toBe(3);
    const result = JSON.parse(r.stdout) as InventoryResult;
    const messages = result.errors.map((e) => `${e.source.slice(fleet.length)}: ${e.message}`);
    expect(messages).toEqual(expect.arrayContaining([
      expect.stringMatching(/keystore\.p12: wrong PKCS#12 password/),
      expect.stringMatching(/keystore\.jks: wrong keystore password/),
    ]));
    expect(result.certificates.length).toBeGreaterThan(15);
  });

  it('writes --output atomically, with nothing on stdout', async () => {
    const out = join(tempDir(), 'inventory.json');
    writeFileSync(out, 'old content');
    const r = await runCli(['inventory', '--config', config, '--format', 'json', '--output', out, '--fail-on', 'never']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).schemaVersion).toBe(1);
    expect(readdirSync(join(out, '..'))).toEqual(['inventory.json']);
  });

  it('prints plain progress lines on a non-terminal stderr, and nothing with --quiet', async () => {
    const plain = await runCli(['inventory', '--config', config, '--format', 'json', '--fail-on', 'never']);
    expect(plain.stderr).toMatch(/^certfleet: Files: \d+ read$/m);
    const quiet = await runCli(['--quiet', 'inventory', '--config', config, '--format', 'json', '--fail-on', 'never']);
    expect(quiet.stderr).toBe('');
  });
});

describe('unreadable sources', () => {
  it('reports a file and a directory it may not read, and scans the rest', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    writeFile(join(dir, 'ok.pem'), (await issue({ commonName: 'ok.test', sans: ['ok.test'] })).certPem, 0o644);
    writeFile(join(dir, 'secret.pem'), 'x', 0o000);
    writeFile(join(dir, 'locked', 'inner.pem'), 'x', 0o644);
    chmodSync(join(dir, 'locked'), 0o000);
    const r = await runCli(['inventory', dir, '--format', 'json'], { unprivileged: true });
    expect(r.code, r.stderr).toBe(3);
    const result = JSON.parse(r.stdout) as InventoryResult;
    expect(result.errors.sort((a, b) => a.source.localeCompare(b.source))).toEqual([
      { source: join(dir, 'locked'), message: 'permission denied' },
      { source: join(dir, 'secret.pem'), message: 'permission denied' },
    ]);
    expect(result.certificates).toHaveLength(1);
  });
});

describe('exit codes and usage errors', () => {
  it('0 when clean', async () => {
    const dir = tempDir();
    writeFile(join(dir, 'ok.pem'), (await issue({ commonName: 'ok.test', sans: ['ok.test'], ca: true, days: 90 })).certPem);
    expect((await runCli(['inventory', dir])).code).toBe(0);
  });

  it('2 for usage and config errors, with a message that says what to fix', async () => {
    const nothing = await runCli(['inventory'], { cwd: tempDir() });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/nothing to inventory/);
    const unknown = await runCli(['inventory', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option '--frobnicate'/);
    const dir = tempDir();
    writeFileSync(join(dir, 'certfleet.config.yaml'), 'inventory:\n  endpionts: [a:1]\n');
    const badConfig = await runCli(['inventory'], { cwd: dir });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toMatch(/invalid config file .*certfleet\.config\.yaml:\n {2}inventory\.endpionts: unknown key; did you mean "endpoints"\?/);
    const badFormat = await runCli(['inventory', dir, '--format', 'xml']);
    expect(badFormat.code).toBe(2);
    // A bad number is a usage error, not an internal one (commander wants InvalidArgumentError).
    for (const args of [['inventory', dir, '--workers', 'abc'], ['renew', '--concurrency', '0']]) {
      const badNumber = await runCli(args, { cwd: dir });
      expect(badNumber.code, badNumber.stderr).toBe(2);
      expect(badNumber.stderr).toMatch(/takes a whole number/);
      expect(badNumber.stderr).not.toMatch(/internal error/);
    }
  });

  it('--version and --help exit 0', async () => {
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
    const help = await runCli(['inventory', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--endpoint <spec>/);
  });
});

describe('parsing processes', () => {
  it('give the same inventory as parsing in-process', async () => {
    const dir = tempDir();
    for (let i = 0; i < 150; i++) writeFile(join(dir, `d${i % 7}`, `c${i}.pem`), (await issue({ commonName: `h${i}.test`, sans: [`h${i}.test`] })).certPem);
    writeFile(join(dir, 'bad.pem'), 'garbage');
    const pooled = JSON.parse((await runCli(['inventory', dir, '--format', 'json', '--workers', '2'])).stdout) as InventoryResult;
    const inline = JSON.parse((await runCli(['inventory', dir, '--format', 'json', '--workers', '0'])).stdout) as InventoryResult;
    expect(pooled.certificates).toHaveLength(150);
    expect(pooled.certificates.map((c) => c.fingerprintSha256)).toEqual(inline.certificates.map((c) => c.fingerprintSha256));
    expect(pooled.errors).toEqual(inline.errors);
    expect(statSync(dir).isDirectory()).toBe(true);
  });
});
