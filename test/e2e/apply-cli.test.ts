/**
 * `certfleet apply` and the specs in the PostgreSQL store, against a real PostgreSQL and Pebble:
 * what apply adds, changes and archives as certificates.d files change (a dry run changing
 * nothing), an inline secret refused, a renew applying an edited config by itself, and a runner
 * whose config has no certificates renewing what was applied.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ApplyResult } from '../../src/renewal/apply-specs.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { runCli } from '../helpers/cli.js';
import { useStoreAndCa } from '../helpers/store-and-ca.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

useStoreAndCa('certfleet-apply-', (parts) => ({ pebble, postgres, dir } = parts));

function entry(name: string, extra: object = {}) {
  return { name, domains: [`${name}.example.test`], challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } }, ...extra };
}

/** A config directory: the main file (store, acme; certificates only when given) and certificates.d files. */
function configDir(name: string, files: Record<string, object[]>, certificates?: object[]): string {
  const home = join(dir, name);
  mkdirSync(join(home, 'certificates.d'), { recursive: true });
  const config = {
    stateDir: join(home, 'state'),
    store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' }, encryptionKeyFile: join(dir, 'store.key') },
    acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { acceptTermsOfService: true } },
    ...(certificates ? { certificates } : {}),
  };
  writeFileSync(join(home, 'certfleet.config.yaml'), stringify(config));
  for (const [file, list] of Object.entries(files)) writeFileSync(join(home, 'certificates.d', file), stringify(list));
  return join(home, 'certfleet.config.yaml');
}

const cli = (config: string, database: string, args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

async function names(url: string, where: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>(`SELECT name FROM certificates WHERE ${where} ORDER BY name`)).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

const applied = (stdout: string) => JSON.parse(stdout) as ApplyResult & { schemaVersion: number; store: string };

describe('certfleet apply', () => {
  it('adds, changes and archives as the files change; a dry run changes nothing; the table says what happened', async () => {
    const database = await postgres.createDatabase('apply');
    const config = configDir('apply', { 'a.yaml': [entry('a1'), entry('a2')] });
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);

    const dry = await cli(config, database, ['apply', '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(applied(dry.stdout)).toMatchObject({ schemaVersion: 1, dryRun: true, added: ['a1', 'a2'], changed: [], archived: [], unchanged: 0, files: 1 });
    expect(await names(database, 'spec IS NOT NULL')).toEqual([]);

    const first = await cli(config, database, ['apply', '--format', 'json']);
    expect(applied(first.stdout)).toMatchObject({ dryRun: false, added: ['a1', 'a2'] });
    const again = await cli(config, database, ['apply', '--format', 'json']);
    expect(applied(again.stdout)).toMatchObject({ added: [], changed: [], archived: [], unchanged: 2 });

    // a1 gone, a2 changed, b1 new in a second file.
    configDir('apply', { 'a.yaml': [entry('a2', { key: 'ec-p384' })], 'b.yaml': [entry('b1')] });
    const table = await cli(config, database, ['apply']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('applied 2 certificate(s) from 2 file(s) to postgres://');
    expect(table.stdout).toContain('added (1): b1');
    expect(table.stdout).toContain('changed (looked at by the next run) (1): a2');
    expect(table.stdout).toContain('archived (gone from the config; versions and keys kept) (1): a1');
    expect(await names(database, 'archived_at IS NULL AND spec IS NOT NULL')).toEqual(['a2', 'b1']);
    expect(await names(database, 'archived_at IS NOT NULL')).toEqual(['a1']);
  }, 60_000);

  it('refuses an inline secret (the specs are stored in clear) and a name in two files, changing nothing', async () => {
    const database = await postgres.createDatabase('secret');
    const tsig = { type: 'dns-01', provider: 'rfc2136', server: '127.0.0.1:53', tsig: { name: 'k', secret: 'c2VjcmV0' } };
    const config = configDir('secret', { 'a.yaml': [entry('s1', { challenge: tsig })] });
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);
    const r = await cli(config, database, ['apply']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/certificates\.d\/a\.yaml: certificates\[0\] \(s1\): challenge\.tsig\.secret \(use secretEnv or secretFile\): with store\.postgres the specs are kept in the database/);
    expect(r.stderr).not.toContain('c2VjcmV0');
    configDir('secret', { 'a.yaml': [entry('s1')], 'b.yaml': [entry('s1')] });
    const twice = await cli(config, database, ['apply']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("certificates.d/b.yaml: certificates[0] (s1): the name \"s1\" is also certificates.d/a.yaml: certificates[0] (s1)");
    expect(await names(database, 'true')).toEqual([]);
  }, 60_000);

  it('renew applies an edited config by itself; a runner whose config has no certificates renews what the store holds', async () => {
    const database = await postgres.createDatabase('runners');
    const config = configDir('runner-with-specs', { 'web.yaml': [entry('w1')] });
    expect((await cli(config, database, ['store', 'migrate'])).code).toBe(0);

    const first = await cli(config, database, ['renew', '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const firstResult = JSON.parse(first.stdout) as RenewRunResult;
    expect(firstResult.applied).toMatchObject({ added: ['w1'] });
    expect(firstResult.certificates.map((c) => [c.name, c.action])).toEqual([['w1', 'renewed']]);

    // The edit is applied by the next renew; w2 is added and ordered.
    configDir('runner-with-specs', { 'web.yaml': [entry('w1'), entry('w2')] });
    // A second runner with no certificates in its config: it works from the store's specs, applying nothing.
    const bare = configDir('runner-bare', {});
    rmSync(join(dir, 'runner-bare', 'certificates.d'), { recursive: true });
    const second = await cli(config, database, ['renew', '--plan', '--format', 'json']);
    expect((JSON.parse(second.stdout) as RenewRunResult).applied).toBeUndefined();
    const applying = await cli(config, database, ['apply', '--dry-run', '--format', 'json']);
    expect(applied(applying.stdout)).toMatchObject({ added: ['w2'], unchanged: 1 });
    const third = await cli(config, database, ['renew', '--format', 'json']);
    const thirdResult = JSON.parse(third.stdout) as RenewRunResult;
    expect(thirdResult.applied).toMatchObject({ added: ['w2'], changed: [], archived: [] });
    expect(thirdResult.certificates.filter((c) => c.action === 'renewed').map((c) => c.name)).toEqual(['w2']);

    // The bare runner: nothing due (w1 and w2 were just issued); forced, it renews both from the stored specs.
    const idle = await cli(bare, database, ['renew', '--format', 'json']);
    expect(idle.code, idle.stderr).toBe(0);
    const idleResult = JSON.parse(idle.stdout) as RenewRunResult;
    expect(idleResult.applied).toBeUndefined();
    expect(idleResult.summary.renewed).toBe(0);
    const forced = await cli(bare, database, ['renew', '--force', '--format', 'json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((JSON.parse(forced.stdout) as RenewRunResult).certificates.map((c) => [c.name, c.action]).sort()).toEqual([
      ['w1', 'renewed'],
      ['w2', 'renewed'],
    ]);
    expect(await names(database, 'archived_at IS NULL AND spec IS NOT NULL')).toEqual(['w1', 'w2']);
  }, 120_000);
});
