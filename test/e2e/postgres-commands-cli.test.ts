/**
 * Every command that reads or writes state works on a PostgreSQL store (config `store.postgres`),
 * against a real PostgreSQL and Pebble, with the state directory left EMPTY throughout: what each
 * command reads or writes must be the database's, so a command that still used the state
 * directory fails here (it would find nothing there, or leave files behind).
 * - report shows the managed certificates and the last drill from the store;
 * - drill writes its record in the store; revoke replaces, revokes at Pebble and records there;
 * - remove archives the certificate in the database;
 * - account show / rollover work on the account renew registered in the store;
 * - renew --metrics-file writes metrics from the store that promtool accepts; log reads its history.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AccountSummary } from '../../src/renewal/account-actions.js';
import type { RemoveResult } from '../../src/renewal/remove.js';
import type { RenewRunResult } from '../../src/renewal/run.js';
import type { DrillResult } from '../../src/revocation/drill.js';
import type { RevokeRunResult } from '../../src/revocation/revoke.js';
import { runCli } from '../helpers/cli.js';
import { startPebble, type RunningPebble } from '../helpers/pebble.js';
import { tempDir } from '../helpers/pki.js';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.js';

let pebble: RunningPebble;
let postgres: RunningPostgres;
let dir: string;
let database: string;
let config: string;
const stateDir = () => join(dir, 'state');
const tls = () => join(dir, 'tls');

function writeConfig(): string {
  const path = join(dir, 'certfleet.yaml');
  mkdirSync(tls(), { recursive: true });
  const site = (name: string) => ({
    name,
    domains: [`${name}.example.test`],
    challenge: { type: 'http-01', standalone: { port: pebble.httpPort, address: '127.0.0.1' } },
    deploy: { fullchain: join(tls(), `${name}.pem`), key: join(tls(), `${name}.key`) },
  });
  writeFileSync(
    path,
    stringify({
      stateDir: stateDir(),
      store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' }, encryptionKeyFile: 'store.key' },
      acme: { server: pebble.directoryUrl, caBundle: join(dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
      certificates: [site('www'), site('api')],
    }),
  );
  return path;
}

const cli = (...args: string[]) => runCli(['--config', config, ...args], { env: { CERTFLEET_TEST_DB: database }, timeoutMs: 90_000 });

async function json<T>(args: string[], code = 0): Promise<T> {
  const r = await cli(...args, '--format', 'json');
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
  return JSON.parse(r.stdout) as T;
}

async function query<T extends object>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The point of every test here: nothing was read from or written to the state directory. */
function expectStateDirEmpty(): void {
  expect(existsSync(stateDir()) ? readdirSync(stateDir()) : []).toEqual([]);
}

const currentSerial = async (name: string) =>
  (await query<{ serial: string }>("SELECT v.meta->>'serialNumber' AS serial FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name = $1", [name]))[0]?.serial;

beforeAll(async () => {
  [pebble, postgres] = await Promise.all([startPebble(), startPostgres()]);
  dir = tempDir('certfleet-postgres-commands-');
  writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
  writeFileSync(join(dir, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  database = await postgres.createDatabase('commands');
  config = writeConfig();
  const migrated = await cli('store', 'migrate');
  expect(migrated.code, migrated.stderr).toBe(0);
  const issued = await json<RenewRunResult>(['renew', '--concurrency', '1']);
  expect(issued.certificates.map((c) => [c.name, c.action])).toEqual([
    ['www', 'renewed'],
    ['api', 'renewed'],
  ]);
  expectStateDirEmpty();
}, 180_000);

afterAll(async () => {
  await postgres?.stop();
  await pebble?.stop();
});

describe('commands on a PostgreSQL store, the state directory empty', () => {
  it('drill writes its record in the store, and report shows the managed certificates and that drill', async () => {
    const drill = await json<DrillResult>(['drill', 'www', '--concurrency', '1']);
    expect(drill.summary).toMatchObject({ affected: 1, replaced: 1, failed: 0 });
    expect(drill.recordPath).toBe(`postgres:drill/${drill.id}`);
    const [row] = await query<{ body: DrillResult; latest: boolean }>("SELECT body, latest FROM run_records WHERE kind = 'drill' AND record_id = $1", [drill.id]);
    expect(row).toMatchObject({ latest: true, body: { id: drill.id, startedAt: drill.startedAt } });
    expect(await currentSerial('www')).toBe(drill.certificates[0]!.replacedBy!.serialNumber);
    expectStateDirEmpty();

    const inventoryFile = join(dir, 'inventory.json');
    const inv = await runCli(['inventory', tls(), '--format', 'json', '--output', inventoryFile, '--fail-on', 'never']);
    expect(inv.code, inv.stderr).toBe(0);
    const report = await json<{ fleet: { automated: { managed: number }; managedNotInInventory: string[] }; revocation: { drill?: { startedAt: string } } }>(['report', '--inventory', inventoryFile]);
    // Both deployed certificates are matched with the store's summary lines: managed, not merely "an ACME client".
    expect(report.fleet.automated.managed).toBe(2);
    expect(report.fleet.managedNotInInventory).toEqual([]);
    expect(report.revocation.drill).toMatchObject({ startedAt: drill.startedAt });
    expectStateDirEmpty();
  }, 120_000);

  it('revoke replaces first, revokes at Pebble, and records the revocation in the store', async () => {
    const before = (await currentSerial('api'))!;
    expect(before).toBeDefined();
    const result = await json<RevokeRunResult>(['revoke', 'api', '--yes', '--reason', 'superseded', '--concurrency', '1']);
    expect(result.certificates[0]).toMatchObject({ name: 'api', action: 'revoked', serialNumber: before });
    const replacement = result.certificates[0]!.replacedBy!.serialNumber;
    expect((await pebble.certStatus(before))?.Status).toBe('Revoked');
    expect((await pebble.certStatus(replacement))?.Status).toBe('Valid');
    expect(await currentSerial('api')).toBe(replacement);
    expect(result.recordPath).toMatch(/^postgres:revocation\//);
    const rows = await query<{ body: RevokeRunResult }>("SELECT body FROM run_records WHERE kind = 'revocation'");
    expect(rows.map((r) => r.body.certificates[0]!.serialNumber)).toEqual([before]);
    expectStateDirEmpty();
  }, 120_000);

  it('account show and rollover work on the account in the store', async () => {
    const shown = await json<AccountSummary>(['account', 'show']);
    expect(shown).toMatchObject({ directoryUrl: pebble.directoryUrl, status: 'valid' });
    const [keyBefore] = await query<{ key: Buffer }>('SELECT key_ciphertext AS key FROM accounts WHERE directory_url = $1', [pebble.directoryUrl]);
    const rolled = await json<AccountSummary>(['account', 'rollover']);
    expect(rolled.url).toBe(shown.url); // the same account, a new key
    const [keyAfter] = await query<{ key: Buffer }>('SELECT key_ciphertext AS key FROM accounts WHERE directory_url = $1', [pebble.directoryUrl]);
    expect(keyAfter!.key.equals(keyBefore!.key)).toBe(false);
    expect(await query('SELECT 1 FROM account_keys_retired WHERE directory_url = $1 AND reason = $2', [pebble.directoryUrl, 'old'])).toHaveLength(1);
    // The new key is the one the CA knows now.
    expect((await json<AccountSummary>(['account', 'show'])).url).toBe(shown.url);
    expectStateDirEmpty();
  }, 60_000);

  it('renew --metrics-file writes the store\'s facts in a file promtool accepts', async () => {
    const metricsFile = join(dir, 'certfleet.prom');
    const r = await json<RenewRunResult>(['renew', '--metrics-file', metricsFile]);
    expect(r.problems).toEqual([]);
    const text = readFileSync(metricsFile, 'utf8');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (check.error && (check.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('promtool not installed: run npm test, which installs it (Debian package prometheus)');
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
    // Read from the database: both certificates with the expiry of the version it holds as current.
    for (const name of ['www', 'api']) {
      const [v] = await query<{ not_after: string }>("SELECT v.meta->>'notAfter' AS not_after FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name = $1", [name]);
      const line = text.split('\n').find((l) => l.startsWith(`certfleet_certificate_expiration_timestamp_seconds{name="${name}"}`));
      expect(line, text).toBeDefined();
      expect(Number(line!.split(' ').at(-1))).toBe(Date.parse(v!.not_after) / 1000);
    }
    expectStateDirEmpty();
  }, 60_000);

  it('log reads the run history from the store', async () => {
    const log = await json<{ stateDir: string; entries: Array<{ name: string; action: string }> }>(['log']);
    // The first renew's two lines at least (drill, revoke and the metrics run added theirs).
    expect(log.entries.slice(0, 2)).toEqual([expect.objectContaining({ name: 'www', action: 'renewed' }), expect.objectContaining({ name: 'api', action: 'renewed' })]);
    expect(log.stateDir).toMatch(/^postgres:\/\//);
    expectStateDirEmpty();
  }, 60_000);

  it('remove archives the certificate in the database and releases its files', async () => {
    const serial = (await currentSerial('www'))!;
    const removed = await json<RemoveResult>(['remove', 'www']);
    expect(removed).toMatchObject({ name: 'www', stillConfigured: true, paths: [expect.objectContaining({ action: 'plain' }), expect.objectContaining({ action: 'plain' })] });
    expect(removed.archivedTo).toMatch(/\(as www\/removed-\d{8}T\d{6}Z\)$/);
    // Served as before, from plain files now.
    expect(lstatSync(join(tls(), 'www.pem')).isSymbolicLink()).toBe(false);
    // The state and every version (their keys with them) under the archived name, out of every run.
    const archived = await query<{ name: string; archived: boolean; versions: string }>(
      "SELECT name, archived_at IS NOT NULL AS archived, (SELECT count(*) FROM versions v WHERE v.certificate = c.name) AS versions FROM certificates c WHERE name LIKE 'www/%'",
    );
    expect(archived).toEqual([{ name: removed.archivedTo.match(/as (www\/removed-\w+)\)$/)![1], archived: true, versions: '2' }]);
    expect(await query("SELECT 1 FROM versions WHERE certificate = 'www'")).toEqual([]);
    const [meta] = await query<{ serial: string }>("SELECT v.meta->>'serialNumber' AS serial FROM certificates c JOIN versions v ON v.certificate = c.name AND v.id = c.current_version WHERE c.name LIKE 'www/%'");
    expect(meta!.serial).toBe(serial);
    // status no longer knows it as managed state; a second remove says so.
    const again = await cli('remove', 'www');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/no certificate named www in the state store/);
    expectStateDirEmpty();
  }, 60_000);
});
