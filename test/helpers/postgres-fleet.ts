/**
 * A certfleet fleet on a real PostgreSQL store and a real Pebble, for run-level fault tests: one
 * database per test (migrated by `certfleet store migrate`), a config with a short lease TTL, and
 * gates: a hook script that records its pid and then waits while a `.hold` file exists, so a test
 * knows a runner is inside its `pre` hook or its deploy command (it holds the lease there) and
 * decides when it goes on. Plus what the tests read back from the database: the version rows,
 * the lease, a version's key decrypted with the configured key.
 */
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { dataKey, decryptPrivateKey, parseKeyMaterial } from '../../src/store/postgres/encryption.js';
import { runCli, type CliResult } from './cli.js';
import { startCli, type CliProcess } from './cli-process.js';
import type { RunningPebble } from './pebble.js';
import type { RunningPostgres } from './postgres.js';
import { isRunning } from './processes.js';

export interface FleetOptions {
  /** Commands run before ordering (`pre`): after the lease is taken. */
  pre?: string[][];
  /** Deploy commands: after the new files are switched in, before the version is made current. */
  deployCommands?: string[][];
  /** The encryption key file (default: the fleet's store.key). */
  keyFile?: string;
  leaseTtl?: string;
}

export interface VersionRow {
  id: string;
  cert_pem: string | null;
  key_ciphertext: Buffer | null;
  key_nonce: Buffer | null;
  key_id: string | null;
}

export class FaultFleet {
  readonly url: string;
  readonly dir: string;
  readonly keyFile: string;

  private constructor(
    private readonly pebble: RunningPebble,
    readonly name: string,
    url: string,
    dir: string,
  ) {
    this.url = url;
    this.dir = dir;
    this.keyFile = join(dir, 'store.key');
  }

  /** A fresh database `name` on `postgres`, migrated, with its own directory, key and gate script. */
  static async create(pebble: RunningPebble, postgres: RunningPostgres, root: string, name: string): Promise<FaultFleet> {
    const dir = join(root, name);
    mkdirSync(join(dir, 'tls'), { recursive: true });
    mkdirSync(join(dir, 'gates'), { recursive: true });
    writeFileSync(join(dir, 'pebble-https-ca.pem'), pebble.caBundle);
    writeFileSync(join(dir, 'store.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    // $1 names the gate; CF_RUNNER (set per process by the test) says which runner reached it.
    writeFileSync(
      join(dir, 'gate'),
      `#!/bin/bash\necho $$ > "${join(dir, 'gates')}/$1.\${CF_RUNNER:-unknown}.tmp" && mv "${join(dir, 'gates')}/$1.\${CF_RUNNER:-unknown}.tmp" "${join(dir, 'gates')}/$1.\${CF_RUNNER:-unknown}"\nwhile [ -e "${join(dir, 'gates')}/$1.hold" ]; do sleep 0.05; done\n`,
      { mode: 0o755 },
    );
    const fleet = new FaultFleet(pebble, name, await postgres.createDatabase(name), dir);
    const migrated = await runCli(['--config', fleet.config(), 'store', 'migrate'], { env: fleet.env('migrate') });
    if (migrated.code !== 0) throw new Error(`store migrate failed (${migrated.code}):\n${migrated.stdout}${migrated.stderr}`);
    return fleet;
  }

  get gateScript(): string {
    return join(this.dir, 'gate');
  }

  /** The deployed pair's paths. */
  get deployed(): { fullchain: string; key: string } {
    return { fullchain: join(this.dir, 'tls', 'www.pem'), key: join(this.dir, 'tls', 'www.key') };
  }

  /** Writes the config (one certificate, `www`, http-01 standalone on Pebble's port) and returns its path. */
  config(options: FleetOptions = {}, file = 'certfleet.yaml'): string {
    const path = join(this.dir, file);
    writeFileSync(
      path,
      stringify({
        stateDir: join(this.dir, 'state'),
        store: { postgres: { urlEnv: 'CERTFLEET_TEST_DB' }, encryptionKeyFile: options.keyFile ?? this.keyFile, leaseTtl: options.leaseTtl ?? '2s' },
        acme: { server: this.pebble.directoryUrl, caBundle: join(this.dir, 'pebble-https-ca.pem'), account: { email: 'ops@example.test', acceptTermsOfService: true } },
        certificates: [
          {
            name: 'www',
            domains: [`www.${this.name}.example.test`],
            challenge: { type: 'http-01', standalone: { port: this.pebble.httpPort, address: '127.0.0.1' } },
            ...(options.pre ? { pre: options.pre } : {}),
            deploy: { ...this.deployed, ...(options.deployCommands ? { commands: options.deployCommands } : {}) },
          },
        ],
      }),
    );
    return path;
  }

  /** The environment of a runner named `runner` (what the gate records). */
  env(runner: string): Record<string, string> {
    return { CERTFLEET_TEST_DB: this.url, CF_RUNNER: runner };
  }

  /** `certfleet --config <config> <args>` as runner `runner`, held by the test. */
  start(runner: string, config: string, args: string[]): CliProcess {
    return startCli(['--config', config, ...args], { env: this.env(runner) });
  }

  run(runner: string, config: string, args: string[]): Promise<CliResult> {
    return runCli(['--config', config, ...args], { env: this.env(runner), timeoutMs: 60_000 });
  }

  /** Closes gate `gate` (runners reaching it wait) until `open`. */
  hold(gate: string): void {
    writeFileSync(join(this.dir, 'gates', `${gate}.hold`), '');
  }

  open(gate: string): void {
    rmSync(join(this.dir, 'gates', `${gate}.hold`), { force: true });
  }

  /** The pid of the hook process runner `runner` runs at gate `gate`, once it got there (else undefined). */
  reached(gate: string, runner: string): number | undefined {
    const file = join(this.dir, 'gates', `${gate}.${runner}`);
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  }

  /** Which runners reached gate `gate`. */
  reachedBy(gate: string): string[] {
    return readdirSync(join(this.dir, 'gates'))
      .filter((f) => f.startsWith(`${gate}.`) && !f.endsWith('.hold') && !f.endsWith('.tmp'))
      .map((f) => f.slice(gate.length + 1))
      .sort();
  }

  /** Ends a hook process a killed runner left behind (by its pid). */
  static endHook(pid: number | undefined): void {
    if (pid !== undefined && isRunning(pid)) process.kill(pid, 'SIGKILL');
  }

  async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Every row of every table, as text (bytea as hex), in a stable order: to show that nothing changed. */
  async dump(): Promise<string> {
    const tables = await this.query<{ name: string }>("SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    const rows: string[] = [];
    for (const { name } of tables) {
      rows.push(...(await this.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t ORDER BY 1`)).map((r) => `${name}: ${r.row}`));
    }
    return rows.join('\n');
  }

  versions(): Promise<VersionRow[]> {
    return this.query<VersionRow>(`SELECT id, cert_pem, key_ciphertext, key_nonce, key_id FROM versions WHERE certificate = 'www' ORDER BY id COLLATE "C"`);
  }

  async certificateRow(): Promise<{ current_version: string | null; lease_owner: string | null; lease_free: boolean; state: Record<string, unknown> } | undefined> {
    const rows = await this.query<{ current_version: string | null; lease_owner: string | null; lease_free: boolean; state: Record<string, unknown> }>(
      `SELECT current_version, lease_owner, (lease_owner IS NULL OR lease_expires_at < now()) AS lease_free, state FROM certificates WHERE name = 'www'`,
    );
    return rows[0];
  }

  /** Whether another runner may take `www` now: no lease, or one past its expiry by the database's clock. */
  async leaseFree(): Promise<boolean> {
    return (await this.certificateRow())?.lease_free ?? true;
  }

  /** A version's private key, decrypted with `keyFile` (the fleet's key by default). */
  keyOf(row: VersionRow, keyFile = this.keyFile): string {
    if (row.key_ciphertext === null || row.key_nonce === null || row.key_id === null) throw new Error(`version ${row.id} holds no key`);
    const key = dataKey(parseKeyMaterial(readFileSync(keyFile), keyFile));
    return decryptPrivateKey({ current: key, byId: new Map([[key.id, key]]) }, { ciphertext: row.key_ciphertext, nonce: row.key_nonce, keyId: row.key_id }, {
      kind: 'version',
      certificate: 'www',
      version: row.id,
    });
  }

  /** The id of the key in `keyFile` (encryption.ts's). */
  static keyIdOf(keyFile: string): string {
    return dataKey(parseKeyMaterial(readFileSync(keyFile), keyFile)).id;
  }
}

/** Whether the private key (PEM) is the one the certificate (PEM, the first block) was issued for. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
  return spki(new X509Certificate(certPem).publicKey).equals(spki(createPublicKey(keyPem)));
}

/** The serial (lowercase hex, as certfleet reports it) of the first certificate in a PEM. */
export function serialOf(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toLowerCase();
}

/**
 * The orders Pebble finalizes from now on (issues a certificate for), read from its log, which names
 * each one.
 * The harness keeps only the log's tail: the count is refused, not guessed, when the tail no
 * longer reaches back to the moment this watch began.
 */
export function pebbleOrders(pebble: RunningPebble): { finalized(): string[] } {
  const ids = (log: string) => new Set([...log.matchAll(/Issued certificate serial [0-9a-f]+ for order ([A-Za-z0-9_-]+)/g)].map((m) => m[1]!));
  const before = pebble.log;
  const seen = ids(before);
  const mark = before.slice(-200);
  return {
    finalized() {
      const now = pebble.log;
      if (mark.length > 0 && !now.includes(mark)) throw new Error('Pebble logged too much since the watch began to count its finalized orders');
      return [...ids(now)].filter((id) => !seen.has(id));
    },
  };
}
