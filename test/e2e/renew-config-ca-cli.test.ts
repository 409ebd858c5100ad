/**
 * Config mistakes only the CA's answers reveal, end to end against Pebble: terms of service the
 * config has not accepted (Pebble's directory has meta.termsOfService) exit 2 with the hint, as a
 * config error does, for `renew` and `issue` alike; and an internationalised name is ordered,
 * issued, shown and reported in its A-label form.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { StatusResult } from '../../src/renewal/status.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';

let pebble: RunningPebble;
let dir: string;

function writeConfig(name: string, account: Record<string, unknown>, certificate: Record<string, unknown>): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      stateDir: join(dir, `state-${name}`),
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account },
      certificates: [{ challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } }, ...certificate }],
    }),
  );
  return path;
}

function getText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-config-ca-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe('config mistakes the CA reveals', () => {
  it('terms of service not accepted: renew and issue exit 2 with the hint, and the JSON names the error', async () => {
    // The premise: this Pebble's directory asks for its terms to be accepted.
    const tos = (JSON.parse(await getText(pebble.directoryUrl, pebble.caBundle)) as { meta?: { termsOfService?: string } }).meta?.termsOfService;
    expect(tos).toBeTruthy();

    const config = writeConfig('tos', { email: 'ops@example.test' }, { name: 'www', domains: ['www.example.test'] });
    for (const args of [['renew'], ['issue', 'www']]) {
      const r = await runCli(['--config', config, ...args], { timeoutMs: 60_000 });
      const what = `${args.join(' ')}: ${r.stderr}`;
      expect(r.code, what).toBe(2);
      expect(r.stdout, what).toMatch(/www: FAILED: the CA at .* requires accepting its terms of service \(.+\)/);
      expect(r.stderr, what).toMatch(/^hint: read them, then set acme\.account\.acceptTermsOfService: true in the config$/m);
    }
    const json = await runCli(['--config', config, 'renew', '--force', '--format', 'json'], { timeoutMs: 60_000 });
    expect(json.code, json.stderr).toBe(2);
    const result = JSON.parse(json.stdout) as RenewRunResult;
    expect(result.certificates[0]).toMatchObject({ name: 'www', action: 'failed', errorCode: 'terms-of-service', errorExitCode: 2, errorHint: expect.stringMatching(/acceptTermsOfService/) });

    // drill and replace say the same: a config problem, exit 2, with the hint.
    const drill = await runCli(['--config', config, 'drill', 'www'], { timeoutMs: 60_000 });
    expect(drill.code, drill.stderr).toBe(2);
    expect(drill.stderr).toMatch(/^hint: read them, then set acme\.account\.acceptTermsOfService: true in the config$/m);

    // Accepted now: the next run goes ahead at once (a config problem asked the CA for nothing: no backoff).
    const fixed = writeConfig('tos', { email: 'ops@example.test', acceptTermsOfService: true }, { name: 'www', domains: ['www.example.test'] });
    const after = await runCli(['--config', fixed, 'renew', '--format', 'json'], { timeoutMs: 60_000 });
    expect(after.code, after.stderr).toBe(0);
    expect((JSON.parse(after.stdout) as RenewRunResult).certificates[0]).toMatchObject({ action: 'renewed' });
  });

  it('an internationalised name is ordered, issued, shown and reported as its A-label', async () => {
    mkdirSync(join(dir, 'tls'));
    const config = writeConfig(
      'idn',
      { email: 'ops@example.test', acceptTermsOfService: true },
      { name: 'idn', domains: ['Bücher.example.test', 'www.example.test'], deploy: { fullchain: join(dir, 'tls', 'idn.pem'), key: join(dir, 'tls', 'idn.key') } },
    );
    const renew = await runCli(['--config', config, 'renew', '--format', 'json'], { timeoutMs: 60_000 });
    expect(renew.code, renew.stderr).toBe(0);
    expect((JSON.parse(renew.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'idn', action: 'renewed' });

    // The CSR and the order held the A-label: it is what the CA put in the certificate.
    const served = parseFileContent('c', readFileSync(join(dir, 'tls', 'idn.pem')), []).certificates[0]!.info;
    expect([...served.sans].sort()).toEqual(['www.example.test', 'xn--bcher-kva.example.test']);

    const status = await runCli(['--config', config, 'status', '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as StatusResult).certificates[0]!.domains).toEqual(['xn--bcher-kva.example.test', 'www.example.test']);
    const table = await runCli(['--config', config, 'status']);
    expect(table.stdout).toMatch(/^idn \(xn--bcher-kva\.example\.test, www\.example\.test\): serial /m);

    const report = await runCli(['--config', config, 'report', '--state-dir', join(dir, 'state-idn'), join(dir, 'tls'), '--format', 'json']);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain('xn--bcher-kva.example.test');
    expect(report.stdout).not.toMatch(/bücher/i);
  });
});
