/**
 * Managed certificates from certificates.d, end to end against Pebble with the state directory:
 * a list file and an object file beside the main config's own certificate are issued in one run,
 * deployed where each file's relative paths say (relative to that file), selected by name and
 * shown by status; a name given twice across files stops the run before the CA is asked.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
let configPath: string;
const certd = () => join(dir, 'certificates.d');

const challenge = () => ({ type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } });
const entry = (name: string) => ({
  name,
  domains: [`${name}.example.test`],
  challenge: challenge(),
  // Relative: to the directory of the file that holds the entry.
  deploy: { fullchain: `tls/${name}.fullchain.pem`, key: `tls/${name}.key`, createDirectories: true },
});

const cli = (...args: string[]) => runCli(['--config', configPath, ...args], { timeoutMs: 60_000 });

/** The names in the certificate deployed at `path`. */
function deployedNames(path: string): string[] {
  return parseFileContent('c', readFileSync(path), []).certificates[0]!.info.sans;
}

beforeAll(async () => {
  pebble = await startPebble();
  dir = tempDir('certfleet-certd-e2e-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  configPath = join(dir, 'certfleet.config.yaml');
  writeFileSync(
    configPath,
    stringify({
      stateDir: 'state',
      // Relative to the main file, also for the certificates in certificates.d that use this section.
      acme: { server: pebble.directoryUrl, caBundle: 'pebble-https-ca.pem', account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [entry('main')],
    }),
  );
  mkdirSync(certd());
  writeFileSync(join(certd(), 'web.yaml'), stringify([entry('www')]));
  writeFileSync(join(certd(), 'api.json'), JSON.stringify({ certificates: [entry('api')] }));
  writeFileSync(join(certd(), 'web.yaml.bak'), 'not: [a spec file');
}, 60_000);

afterAll(async () => {
  await pebble?.stop();
});

describe('certificates.d with the state directory', () => {
  it('issues the main file certificate and each file certificate, deployed relative to its file', async () => {
    const r = await cli('renew', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as RenewRunResult;
    // The main file's first, then the files in name order.
    expect(result.certificates.map((c) => [c.name, c.action])).toEqual([
      ['main', 'renewed'],
      ['api', 'renewed'],
      ['www', 'renewed'],
    ]);
    expect(deployedNames(join(dir, 'tls', 'main.fullchain.pem'))).toEqual(['main.example.test']);
    expect(deployedNames(join(certd(), 'tls', 'api.fullchain.pem'))).toEqual(['api.example.test']);
    expect(deployedNames(join(certd(), 'tls', 'www.fullchain.pem'))).toEqual(['www.example.test']);

    const status = await cli('status', '--format', 'json');
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as StatusResult).certificates.map((c) => c.name)).toEqual(['main', 'api', 'www']);
  });

  it('selects a certificate of a file by name', async () => {
    const r = await cli('renew', 'www', '--force', '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as RenewRunResult).certificates.map((c) => [c.name, c.action])).toEqual([['www', 'renewed']]);
  });

  it('refuses a name given in two files, naming both, before anything is renewed', async () => {
    writeFileSync(join(certd(), 'more.yml'), stringify({ certificates: [entry('other'), { ...entry('www'), deploy: undefined }] }));
    try {
      const r = await cli('renew', '--force', '--format', 'json');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('certificates.d/web.yaml: certificates[0] (www): the name "www" is also certificates.d/more.yml: certificates[1] (www)');
      expect(r.stdout).toBe('');
    } finally {
      rmSync(join(certd(), 'more.yml'));
    }
  });

  it('names the file and the key of a mistake in a file', async () => {
    writeFileSync(join(certd(), 'typo.yaml'), stringify([{ ...entry('typo'), domians: ['x.example.test'] }]));
    try {
      const r = await cli('renew', '--format', 'json');
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`invalid config file ${join(certd(), 'typo.yaml')}:`);
      expect(r.stderr).toContain('certificates[0] (typo).domians: unknown key; did you mean "domains"?');
    } finally {
      rmSync(join(certd(), 'typo.yaml'));
    }
  });
});
