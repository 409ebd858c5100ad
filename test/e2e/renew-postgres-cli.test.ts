/**
 * `certfleet renew` with its state in PostgreSQL (config `store.postgres`): `store migrate` creates
 * the schema, renew issues from Pebble (http-01 standalone) and deploys to a temp dir with the
 * private key stored encrypted, the next renew finds it not due in the database, and a database
 * nobody migrated is a clear error naming `certfleet store migrate`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseFileContent } from '../../src/inventory/sources/file-content.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { runCli } from '../helpers/cli.js';
import { queryDatabase, startStoreAndCa, stopStoreAndCa } from '../helpers/store-and-ca.js';
import type { RunningPebble } from '../helpers/pebble.js';
import type { RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;

/** A config whose store is the database in the environment variable CERTFLEET_TEST_DB. */
function writeConfig(name: string): string {
  const path = join(dir, `${name}.yaml`);
  mkdirSync(join(dir, 'tls'), { recursive: true });
  writeFileSync(
    path,
    stringify({
      stateDir: join(dir, `state-${name}`),
      store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' }, encryptionKeyFile: 'store.key' },
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [
        {
          name: 'www',
          domains: ['www.example.test'],
          challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
          deploy: { fullchain: join(dir, 'tls', `${name}.pem`), key: join(dir, 'tls', `${name}.key`) },
        },
      ],
    }),
  );
  return path;
}

const cli = (config: string, database: string, args: string[]) =>
  runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 60_000 });

const query = queryDatabase;

/** Every row of every table in the database, as text (bytea columns as hex). */
async function everyRow(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>("SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { name } of tables.rows) {
      const result = await client.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      rows.push(...result.rows.map((r) => `${name}: ${r.row}`));
    }
    return rows.join('\n');
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  ({ pebble, postgres, dir } = await startStoreAndCa('certfleet-renew-postgres-'));
}, 60_000);

afterAll(() => stopStoreAndCa({ pebble, postgres }));

describe('renew with a PostgreSQL store', () => {
  it('store migrate, then renew issues with the key stored encrypted; the next renew is not due', async () => {
    const database = await postgres.createDatabase('fleet');
    const config = writeConfig('fleet');

    const migrated = await cli(config, database, ['store', 'migrate', '--format', 'json']);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(JSON.parse(migrated.stdout)).toMatchObject({ schemaVersion: 1, from: 0, to: SCHEMA_VERSION, applied: Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1) });
    const again = await cli(config, database, ['store', 'migrate']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`schema version ${SCHEMA_VERSION}, up to date`));

    const first = await cli(config, database, ['renew', '--format', 'json']);
    expect(first.code, first.stderr).toBe(0);
    const outcome = (JSON.parse(first.stdout) as RenewRunResult).certificates[0]!;
    expect(outcome).toMatchObject({ name: 'www', action: 'renewed' });

    // Deployed to the temp dir: the issued certificate with its own key.
    const cert = parseFileContent('c', readFileSync(join(dir, 'tls', 'fleet.pem')), []).certificates[0]!.info;
    const key = parseFileContent('k', readFileSync(join(dir, 'tls', 'fleet.key')), []).keys[0]!;
    expect(cert.serialNumber).toBe(outcome.serialNumber);
    expect(key.publicKeyFingerprintSha256).toBe(cert.publicKeyFingerprintSha256);

    // The state is in the database, not the state directory, and no private key is there in the clear.
    expect(existsSync(join(dir, 'state-fleet', 'certificates'))).toBe(false);
    const rows = await everyRow(database);
    const versions = await query<{ cert_pem: string; encrypted: boolean }>(database, "SELECT cert_pem, key_ciphertext IS NOT NULL AS encrypted FROM versions WHERE certificate = 'www'");
    expect(versions).toHaveLength(1);
    expect(parseFileContent('v', Buffer.from(versions[0]!.cert_pem), []).certificates[0]!.info.serialNumber).toBe(outcome.serialNumber);
    expect(versions[0]!.encrypted).toBe(true);
    expect(rows).not.toMatch(/PRIVATE KEY/);
    expect(rows.toLowerCase()).not.toContain(Buffer.from('PRIVATE KEY').toString('hex'));
    const pemBody = readFileSync(join(dir, 'tls', 'fleet.key'), 'utf8').split('\n')[1]!;
    expect(rows).not.toContain(pemBody);

    const second = await cli(config, database, ['renew', '--format', 'json']);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as RenewRunResult).certificates[0]).toMatchObject({ name: 'www', action: 'not-due', serialNumber: outcome.serialNumber });

    // status reads the same store: the serial the database holds, not "no certificate yet" from an empty state directory.
    const status = await cli(config, database, ['status', '--format', 'json']);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { certificates: Array<{ name: string; serialNumber: string | null; versions: number }> }).certificates[0]).toMatchObject({ name: 'www', serialNumber: outcome.serialNumber, versions: 1 });
  }, 120_000);

  it('renew against a database nobody migrated is a config error (exit 2) naming `certfleet store migrate`', async () => {
    const database = await postgres.createDatabase('unmigrated');
    const config = writeConfig('unmigrated');
    const r = await cli(config, database, ['renew']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/has no certfleet schema/);
    expect(r.stderr).toContain('certfleet store migrate');
    expect(r.stderr).not.toMatch(/internal error|report a bug/i);
    // With --metrics-file too (read from the store since it works on one): the same error, no file made up.
    const metrics = await cli(config, database, ['renew', '--metrics-file', join(dir, 'certfleet.prom')]);
    expect(metrics.code, metrics.stderr).toBe(2);
    expect(metrics.stderr).toMatch(/has no certfleet schema/);
    expect(existsSync(join(dir, 'certfleet.prom'))).toBe(false);
    // Nothing ordered, nothing deployed.
    expect(existsSync(join(dir, 'tls', 'unmigrated.pem'))).toBe(false);
  }, 60_000);
});
