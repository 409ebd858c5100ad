/**
 * The `challenge:` schema (shapes, defaults, errors that name the problem), secret resolution, and
 * the registry's mapping from a config to its solver.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { challengeConfigSchema, parseHostPort, resolveChallengeSecrets, type ChallengeConfig } from '../../../src/challenges/config.js';
import { ExecDnsSolver } from '../../../src/challenges/dns-01/exec.js';
import { Rfc2136Solver } from '../../../src/challenges/dns-01/rfc2136.js';
import { AgentsHttpSolver } from '../../../src/challenges/http-01/agents.js';
import { StandaloneHttpSolver } from '../../../src/challenges/http-01/standalone.js';
import { WebrootSolver } from '../../../src/challenges/http-01/webroot.js';
import { createSolver, solverFactories, solverKind } from '../../../src/challenges/registry.js';
import { TlsAlpnSolver } from '../../../src/challenges/tls-alpn-01/standalone.js';
import { ConfigError } from '../../../src/errors.js';

const parse = (input: unknown) => challengeConfigSchema.parse(input);
const issues = (input: unknown) => {
  const result = challengeConfigSchema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
};
const readText = (path: string) => readFile(path, 'utf8');
const SECRET = Buffer.alloc(32, 1).toString('base64');

describe('challenge config schema', () => {
  it('takes the shapes of the issue, with the defaults a user expects', () => {
    expect(parse({ type: 'http-01', webroot: '/var/www/html' })).toEqual({ type: 'http-01', webroot: '/var/www/html' });
    expect(parse({ type: 'http-01', standalone: {} })).toEqual({ type: 'http-01', standalone: { port: 80 } });
    expect(parse({ type: 'http-01', standalone: { port: 8080, address: '127.0.0.1' } })).toEqual({ type: 'http-01', standalone: { port: 8080, address: '127.0.0.1' } });
    expect(parse({ type: 'http-01', agents: true })).toEqual({ type: 'http-01', agents: true });
    expect(parse({ type: 'tls-alpn-01' })).toEqual({ type: 'tls-alpn-01', port: 443 });
    expect(parse({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53', tsig: { name: 'k', secret: SECRET } })).toEqual({
      type: 'dns-01',
      provider: 'rfc2136',
      server: '127.0.0.1:53',
      followCname: true,
      tsig: { name: 'k', algorithm: 'hmac-sha256', secret: SECRET },
      ttl: 60,
      timeout: 10_000,
      propagationTimeout: 120_000,
      pollInterval: 2_000,
    });
    expect(parse({ type: 'dns-01', provider: 'exec', command: ['/usr/local/bin/dns-hook'], propagationTimeout: '2m' })).toEqual({
      type: 'dns-01',
      provider: 'exec',
      command: ['/usr/local/bin/dns-hook'],
      timeout: 60_000,
      propagation: true,
      propagationTimeout: 120_000,
      pollInterval: 2_000,
    });
  });

  it('waits for propagation with exec hooks unless `propagation: false`, through `server:` or `resolver:` (not both)', () => {
    const exec = { type: 'dns-01', provider: 'exec', command: ['/x'] };
    expect(parse(exec)).toMatchObject({ propagation: true });
    expect(parse({ ...exec, propagation: false })).toMatchObject({ propagation: false });
    expect(parse({ ...exec, resolver: '127.0.0.53' })).toMatchObject({ resolver: '127.0.0.53' });
    expect(parse({ ...exec, server: 'ns1.example.com:53' })).toMatchObject({ server: 'ns1.example.com:53' });
    expect(issues({ ...exec, resolver: '127.0.0.1:53', server: '192.0.2.53' })).toBe('resolver: give server: (an authoritative server of the zone) or resolver: (a resolver that finds them), not both');
    expect(issues({ ...exec, resolver: 'not a host' })).toContain('resolver: HOST:PORT');
    expect(issues({ ...exec, propagation: 'no' })).toContain('propagation');
  });

  it('reads durations "500ms", "5s", "2m" as milliseconds, and refuses a bare number (the config\'s one duration rule)', () => {
    const config = parse({ type: 'dns-01', provider: 'rfc2136', server: 'ns1.example.com', propagationTimeout: '90s', pollInterval: '250ms', timeout: '1.5s' });
    expect(config).toMatchObject({ propagationTimeout: 90_000, pollInterval: 250, timeout: 1_500 });
    expect(issues({ type: 'dns-01', provider: 'rfc2136', server: 'ns1.example.com', pollInterval: 250 })).toBe('pollInterval: 250 has no unit: write 250ms or 250s');
    expect(issues({ type: 'dns-01', provider: 'exec', command: ['/x'], timeout: 5 })).toBe('timeout: 5 has no unit: write 5s or 5000ms');
  });

  it('rejects what cannot work, naming the field', () => {
    expect(issues({ type: 'http-01' })).toContain('http-01 takes exactly one of webroot: DIR, standalone: { port } or agents: true');
    expect(issues({ type: 'http-01', webroot: '/x', standalone: { port: 80 } })).toContain('exactly one of webroot');
    expect(issues({ type: 'http-01', webroot: '/x', agents: true })).toContain('exactly one of webroot');
    expect(issues({ type: 'http-01', standalone: {}, agents: true })).toContain('exactly one of webroot');
    expect(issues({ type: 'http-01', agents: false })).toContain('agents');
    expect(issues({ type: 'http-01', standalone: { port: 70000 } })).toContain('standalone.port');
    expect(issues({ type: 'http-01', standalone: { address: 'localhost' } })).toContain('standalone.address: an IP address');
    expect(issues({ type: 'tls-alpn-01', port: 443, extra: 1 })).toContain('extra');
    expect(issues({ type: 'dns-01', provider: 'nosuchdns' })).toContain('provider: unknown dns-01 provider "nosuchdns"; known: rfc2136, exec, ');
    expect(issues({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:99999' })).toContain('server: HOST:PORT');
    expect(issues({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1', tsig: { name: 'k' } })).toContain('exactly one of secret, secretEnv or secretFile');
    expect(issues({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1', tsig: { name: 'k', secret: 'a', secretEnv: 'B' } })).toContain('exactly one');
    expect(issues({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1', tsig: { name: 'k', algorithm: 'hmac-md5', secret: 'a' } })).toContain('tsig.algorithm');
    expect(issues({ type: 'dns-01', provider: 'exec', command: [] })).toContain('command');
    expect(issues({ type: 'dns-01', provider: 'exec', command: '/bin/hook present' })).toContain('command');
    expect(issues({ type: 'dns-01', provider: 'exec', command: ['/x'], timeout: '5 minutes' })).toContain('a duration such as 5s');
  });

  it('parses HOST:PORT the ways people write it', () => {
    expect(parseHostPort('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseHostPort('127.0.0.1')).toEqual({ host: '127.0.0.1', port: 53 });
    expect(parseHostPort('[::1]:5353')).toEqual({ host: '::1', port: 5353 });
    expect(parseHostPort('::1')).toEqual({ host: '::1', port: 53 });
    expect(parseHostPort('ns1.example.com:53')).toEqual({ host: 'ns1.example.com', port: 53 });
    expect(parseHostPort('ns1.example.com:0')).toBeUndefined();
    expect(parseHostPort('a b')).toBeUndefined();
  });
});

describe('resolveChallengeSecrets', () => {
  const rfc2136 = (tsig: Record<string, string>) => parse({ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53', tsig: { name: 'update-key', ...tsig } });

  it('reads the secret inline, from the environment, or from a file (plain or a BIND key clause)', async () => {
    expect((await resolveChallengeSecrets(rfc2136({ secret: SECRET }), {}, readText)) as unknown).toMatchObject({ tsig: { name: 'update-key', algorithm: 'hmac-sha256', secret: SECRET } });
    expect(await resolveChallengeSecrets(rfc2136({ secretEnv: 'TSIG' }), { TSIG: SECRET }, readText)).toMatchObject({ tsig: { secret: SECRET } });
    const dir = mkdtempSync(join(tmpdir(), 'certfleet-secret-'));
    writeFileSync(join(dir, 'plain'), `${SECRET}\n`);
    writeFileSync(join(dir, 'clause'), `key "update-key" {\n\talgorithm hmac-sha256;\n\tsecret "${SECRET}";\n};\n`);
    expect(await resolveChallengeSecrets(rfc2136({ secretFile: join(dir, 'plain') }), {}, readText)).toMatchObject({ tsig: { secret: SECRET } });
    expect(await resolveChallengeSecrets(rfc2136({ secretFile: join(dir, 'clause') }), {}, readText)).toMatchObject({ tsig: { secret: SECRET } });
    const resolved = await resolveChallengeSecrets(rfc2136({ secretFile: join(dir, 'plain') }), {}, readText);
    expect(JSON.stringify(resolved)).not.toContain('secretFile');
    rmSync(dir, { recursive: true });
  });

  it('fails with a ConfigError that names the source, never the secret', async () => {
    const missing = await resolveChallengeSecrets(rfc2136({ secretEnv: 'MISSING' }), {}, readText).catch((e: ConfigError) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).message).toBe('challenge.tsig.secretEnv: environment variable MISSING is not set');
    expect((missing as ConfigError).hint).toBe('export MISSING=<base64 TSIG secret>');
    await expect(resolveChallengeSecrets(rfc2136({ secretFile: '/no/such/file' }), {}, readText, 'certificates[1].challenge')).rejects.toThrow(
      /^certificates\[1\]\.challenge\.tsig\.secretFile: cannot read \/no\/such\/file: ENOENT/,
    );
    const bad = await resolveChallengeSecrets(rfc2136({ secretEnv: 'BAD' }), { BAD: 'not base64 at all!' }, readText).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as Error).message).toBe('challenge.tsig: the secret from environment variable BAD is not base64');
    expect((bad as Error).message).not.toContain('not base64 at all!');
  });

  it('leaves configs without a TSIG secret as they are', async () => {
    const webroot = parse({ type: 'http-01', webroot: '/var/www' });
    expect(await resolveChallengeSecrets(webroot, {}, readText)).toBe(webroot);
  });
});

describe('solver registry', () => {
  const cases: Array<[unknown, string, new (...args: never[]) => object]> = [
    [{ type: 'http-01', webroot: '/var/www' }, 'http-01/webroot', WebrootSolver],
    [{ type: 'http-01', standalone: {} }, 'http-01/standalone', StandaloneHttpSolver],
    [{ type: 'tls-alpn-01' }, 'tls-alpn-01', TlsAlpnSolver],
    [{ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53', tsig: { name: 'k', secret: SECRET } }, 'dns-01/rfc2136', Rfc2136Solver],
    [{ type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53' }, 'dns-01/rfc2136', Rfc2136Solver],
    [{ type: 'dns-01', provider: 'exec', command: ['/bin/true'] }, 'dns-01/exec', ExecDnsSolver],
  ];

  it.each(cases)('%j -> %s', async (input, kind, solverClass) => {
    const config = await resolveChallengeSecrets(parse(input) as ChallengeConfig, {}, readText);
    expect(solverKind(config)).toBe(kind);
    const solver = createSolver(config);
    expect(solver).toBeInstanceOf(solverClass);
    expect(solver.type).toBe(kind.split('/')[0]);
  });

  it('has one factory per kind and nothing else', () => {
    expect(Object.keys(solverFactories).sort()).toEqual(['dns-01/exec', 'dns-01/provider', 'dns-01/rfc2136', 'dns-persist-01', 'http-01/agents', 'http-01/standalone', 'http-01/webroot', 'tls-alpn-01', 'tls-alpn-01/agents']);
  });

  it('makes the agents solver over the challenge tokens it is given, and refuses to make one without', async () => {
    const config = await resolveChallengeSecrets(parse({ type: 'http-01', agents: true }), {}, readText);
    expect(solverKind(config)).toBe('http-01/agents');
    const put: string[] = [];
    const tokens = { put: (e: { token: string }) => Promise.resolve(void put.push(e.token)), get: () => Promise.resolve(undefined), delete: () => Promise.resolve(), forIdentifier: () => Promise.resolve(undefined) };
    const solver = createSolver(config, { challengeTokens: tokens });
    expect(solver).toBeInstanceOf(AgentsHttpSolver);
    expect(solver.type).toBe('http-01');
    expect(() => createSolver(config)).toThrow(ConfigError);
    expect(() => createSolver(config)).toThrow('http-01 with agents: true needs the shared store (store.postgres)');
  });
});
