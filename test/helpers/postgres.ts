/**
 * A real PostgreSQL (Debian `postgresql`, /usr/lib/postgresql/15/bin) on loopback for the store
 * tests: a throwaway cluster made by initdb in a temp dir, the postmaster run in the foreground as
 * our child (stopped by its PID, never by name), listening on 127.0.0.1 at a free port and on a
 * unix socket in the same temp dir. One cluster per test file (initdb is the slow part, well under
 * a second here); a database per test through createDatabase().
 *
 * initdb refuses to run as root, so as root both initdb and postgres run as the `postgres` user
 * through `setpriv`, which execs: the child we hold is the postmaster itself, so its PID is the one
 * we stop. Run as another user, they run as that user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freeTcpPort } from './ports.js';

const HOST = '127.0.0.1';
const PREFERRED_BIN = '/usr/lib/postgresql/15/bin';
const MISSING = `PostgreSQL is not installed (${PREFERRED_BIN}/initdb is missing): run npm test, which installs it through scripts/install-test-deps.sh, or apt-get install postgresql`;

export interface RunningPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth: no password). */
  url: string;
  host: string;
  port: number;
  /** The directory holding the unix socket (`.s.PGSQL.PORT`): pass it as `host` to reach it. */
  socketDir: string;
  /** The URL of another database on this cluster (created by createDatabase). */
  urlFor(database: string): string;
  /** CREATE DATABASE `name`; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** What the postmaster printed (it logs to stderr); for failure messages. */
  readonly log: string;
  /** The postmaster's PID (changes on restart). */
  readonly pid: number;
  /**
   * Stop the cluster and start it again on the same data, port and socket: "PostgreSQL restarted
   * during a run". `immediate` is a crash (no checkpoint, recovery on start); `fast` (the default)
   * is an orderly shutdown that still ends every session.
   */
  restart(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Stop the postmaster (immediate: nothing here is worth a checkpoint) and remove the cluster. */
  stop(): Promise<void>;
}

/** The directory of initdb/postgres: 15 as the brief's Debian ships it, else the newest installed. */
export function findPostgresBin(): string {
  if (existsSync(join(PREFERRED_BIN, 'initdb'))) return PREFERRED_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) throw new Error(MISSING);
  return join(root, versions[0], 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/**
 * argv that runs `program` as the postgres user when we are root (initdb refuses root). The
 * parent-death signal makes a postmaster whose test process died (a killed worker) shut down
 * instead of outliving the suite: SIGQUIT is PostgreSQL's immediate shutdown.
 */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return isRoot()
    ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', '--pdeathsig=QUIT', program, ...args]]
    : [program, args];
}

/**
 * The postgres user must reach the cluster directory: a TMPDIR under a 0700 home would stop it.
 * Give each ancestor that lacks it search permission (x) for others, nothing more.
 */
function makeReachable(dir: string): void {
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) throw new Error(`no postgres user on this machine: ${MISSING}`);
  return { uid, gid };
}

function initdb(bin: string, dataDir: string): void {
  // --no-sync: a throwaway cluster need not survive a power cut, and fsyncing the template
  // databases is most of initdb's time on a slow disk.
  const [program, args] = asPostgres(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '--auth=trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
    '--no-instructions',
  ]);
  const result = spawnSync(program, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`initdb could not run (${program}): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`initdb failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}

interface Postmaster {
  child: ChildProcess;
  log: () => string;
}

const READY = /database system is ready to accept connections/;
const LOG_LIMIT = 64 * 1024;

async function startPostmaster(bin: string, dataDir: string, socketDir: string, port: number): Promise<Postmaster> {
  const [program, args] = asPostgres(join(bin, 'postgres'), [
    '-D',
    dataDir,
    '-c',
    `listen_addresses=${HOST}`,
    '-c',
    `port=${port}`,
    '-c',
    `unix_socket_directories=${socketDir}`,
    // Throwaway cluster: losing it in a crash costs nothing, and fsync per commit would make the
    // suite wait on the disk. (Not a setting for anything real.)
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    // Two test files may each run a cluster on a 2-core machine: keep each one small.
    '-c',
    'shared_buffers=32MB',
    '-c',
    'max_connections=60',
    '-c',
    'max_wal_senders=0',
    '-c',
    'wal_level=minimal',
  ]);
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    log = (log + chunk).slice(-LOG_LIMIT);
  });
  const readLog = () => log;
  const deadline = Date.now() + 30_000;
  while (!READY.test(log)) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${log}`);
    }
    if (Date.now() > deadline) {
      await stopPostmaster({ child, log: readLog }, 'SIGQUIT');
      throw new Error(`postgres did not accept connections on ${HOST}:${port} within 30 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, log: readLog };
}

/** SIGINT = fast shutdown, SIGQUIT = immediate shutdown (PostgreSQL's own signal meanings). */
async function stopPostmaster(pm: Postmaster, signal: 'SIGINT' | 'SIGQUIT'): Promise<void> {
  const { child } = pm;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Start a throwaway cluster; resolves once it accepts connections. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = findPostgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'certfleet-pg-'));
  try {
    if (isRoot()) {
      const { uid, gid } = postgresIds();
      makeReachable(dir);
      chownSync(dir, uid, gid);
    }
    const dataDir = join(dir, 'data');
    initdb(bin, dataDir);

    let pm: Postmaster | undefined;
    let port = 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && pm === undefined; attempt++) {
      port = await freeTcpPort();
      try {
        pm = await startPostmaster(bin, dataDir, dir, port);
      } catch (err) {
        lastError = err;
        // Another process took the port between our look and the bind: try another one.
        if (!/could not bind|address already in use/i.test(String(err))) break;
      }
    }
    if (pm === undefined) throw lastError;
    return running(bin, dir, dataDir, port, pm);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function running(bin: string, dir: string, dataDir: string, port: number, first: Postmaster): RunningPostgres {
  let pm = first;
  // Logs of earlier postmasters (before a restart) are kept for failure messages.
  let earlier = '';
  const urlFor = (database: string) => `postgres://postgres@${HOST}:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlFor('postgres'),
    host: HOST,
    port,
    socketDir: dir,
    urlFor,
    async createDatabase(name) {
      const client = new pg.Client({ host: HOST, port, user: 'postgres', database: 'postgres' });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return urlFor(name);
    },
    get log() {
      return earlier + pm.log();
    },
    get pid() {
      return pm.child.pid ?? -1;
    },
    async restart(mode = 'fast') {
      await stopPostmaster(pm, mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
      earlier += pm.log();
      pm = await startPostmaster(bin, dataDir, dir, port);
    },
    async stop() {
      await stopPostmaster(pm, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
