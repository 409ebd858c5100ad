import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveInventoryOptions, type InventoryFlags } from '../../../src/config/inventory-options.js';
import { loadConfig, validateConfig } from '../../../src/config/load.js';
import { ConfigError, UsageError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/pki.js';

const noFlags: InventoryFlags = {
  paths: [], nginx: [], apache: [], haproxy: [], traefik: [], endpoint: [], ca: [], passwordEnv: [], passwordFile: [], exclude: [],
};

describe('config validation', () => {
  it('names the bad key by its path', () => {
    expect(() => validateConfig({ inventory: { endpionts: [] } }, 'c.yaml')).toThrow(/inventory\.endpionts: unknown key; did you mean "endpoints"\?/);
    expect(() => validateConfig({ inventory: { passwords: [{ match: '*.p12' }] } }, 'c.yaml')).toThrow(/inventory\.passwords\[0\]: give exactly one/);
    expect(() => validateConfig({ inventory: { endpointConcurrency: 'lots' } }, 'c.yaml')).toThrow(/inventory\.endpointConcurrency:/);
    expect(() => validateConfig({ inventory: { connectTimeout: '5 minutes' } }, 'c.yaml')).toThrow(/inventory\.connectTimeout:.*duration/);
  });

  it('names unknown keys once, and a wrong type at the top in words', () => {
    expect(() => validateConfig({ inventory: { endpionts: [], pathz: [] } }, 'c.yaml')).toThrow(
      /\n {2}inventory\.endpionts: unknown key; did you mean "endpoints"\?\n {2}inventory\.pathz: unknown key; did you mean "paths"\?$/,
    );
    expect(() => validateConfig([], 'c.yaml')).toThrow(/\n {2}\(top level\): Invalid input: expected object, received array$/);
  });

  it('names the certificate after its index', () => {
    const raw = { certificates: [{ name: 'www', domains: ['a.test'], challenge: { type: 'http-01', webroot: '/w' }, deploy: { key: 5 } }] };
    expect(() => validateConfig(raw, 'c.yaml')).toThrow(/certificates\[0\] \(www\)\.deploy\.key: Invalid input: expected string, received number/);
  });

  it('finds certfleet.config.yaml in the directory, and loads an explicit file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'certfleet.config.yaml'), 'inventory:\n  paths: [certs]\n');
    const found = await loadConfig(dir);
    expect(found.filePath).toBe(join(dir, 'certfleet.config.yaml'));
    expect(found.config.inventory?.paths).toEqual(['certs']);
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ inventory: { failOn: 'warning' } }));
    expect((await loadConfig('/', join(dir, 'other.json'))).config.inventory?.failOn).toBe('warning');
    await expect(loadConfig(dir, join(dir, 'missing.yaml'))).rejects.toThrow(ConfigError);
  });

  it('reports a YAML syntax error as a config error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'certfleet.config.yaml'), 'inventory:\n  paths: [a\n');
    await expect(loadConfig(dir)).rejects.toThrow(ConfigError);
  });
});

describe('resolveInventoryOptions', () => {
  const ctx = (configFile?: string) => ({ cwd: '/work', env: { PW: 'from-env' }, now: new Date('2026-11-22T00:00:00Z'), configFile });

  it('resolves file paths against the config file and flag paths against the cwd; flags override', () => {
    const config = validateConfig({ inventory: { paths: ['certs'], failOn: 'warning', nginx: 'etc/nginx.conf' } }, 'x');
    const r = resolveInventoryOptions(config, { ...noFlags, paths: ['more'], failOn: 'info' }, ctx('/srv/fleet/certfleet.config.yaml'));
    expect(r.options.paths).toEqual(['/srv/fleet/certs', '/work/more']);
    expect(r.options.proxyConfigs).toEqual([{ proxy: 'nginx', file: '/srv/fleet/etc/nginx.conf' }]);
    expect(r.failOn).toBe('info');
  });

  it('takes passwords from the environment it is given, and fails clearly when one is missing', () => {
    const config = validateConfig({ inventory: { paths: ['x'], passwords: [{ match: '*.p12', passwordEnv: 'PW' }] } }, 'x');
    expect(resolveInventoryOptions(config, noFlags, ctx()).options.passwords).toEqual([{ match: '*.p12', password: 'from-env' }]);
    expect(() => resolveInventoryOptions(config, { ...noFlags, passwordEnv: ['NOPE'] }, ctx())).toThrow(/--password-env: environment variable NOPE is not set/);
  });

  it('refuses to run with nothing to scan, and rejects bad flag values', () => {
    expect(() => resolveInventoryOptions({}, noFlags, ctx())).toThrow(UsageError);
    expect(() => resolveInventoryOptions({}, { ...noFlags, paths: ['x'], connectTimeout: 'soon' }, ctx())).toThrow(/--connect-timeout/);
    expect(() => resolveInventoryOptions({}, { ...noFlags, paths: ['x'], asOf: 'tomorrow' }, ctx())).toThrow(/--as-of/);
    expect(() => resolveInventoryOptions({}, { ...noFlags, endpoint: ['no-port'] }, ctx())).toThrow(UsageError);
  });

  it('treats a bare number of seconds on the command line as seconds', () => {
    expect(resolveInventoryOptions({}, { ...noFlags, paths: ['x'], connectTimeout: '2' }, ctx()).options.connectTimeoutMs).toBe(2000);
  });
});

describe('shipped examples', () => {
  it('examples/renew/certfleet.config.yaml is a valid config', async () => {
    const { config } = await loadConfig('/', new URL('../../../examples/renew/certfleet.config.yaml', import.meta.url).pathname);
    expect(config.certificates?.map((c) => c.name)).toEqual(['www', 'wildcard', 'api']);
  });

  it('a wildcard without dns-01 is refused, naming the certificate', () => {
    expect(() =>
      validateConfig({ certificates: [{ name: 'w', domains: ['*.a.test'], challenge: { type: 'http-01', webroot: '/var/www' } }] }, 'c.yaml'),
    ).toThrow(/certificates\[0\] \(w\)\.domains\[0\]: "\*\.a\.test" is a wildcard name: only a dns-01 challenge can validate it/);
  });
});
