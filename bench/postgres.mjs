// A throwaway PostgreSQL (Debian `postgresql`, /usr/lib/postgresql/15/bin) on loopback for the
// benchmarks: the plain-Node twin of test/helpers/postgres.ts (keep the two in step). initdb in a
// temp dir under os.tmpdir(), the postmaster run in the foreground as our child (as the `postgres`
// user through setpriv when we are root: initdb refuses root), listening on 127.0.0.1 at a free
// port and on a unix socket in the temp dir, stopped by its PID and removed by stop().
//
//   const pg = await startPostgres();   // { url, port, socketDir, urlFor, createDatabase, restart, stop, log }
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

const HOST = '127.0.0.1';
const PREFERRED_BIN = '/usr/lib/postgresql/15/bin';
const MISSING = `PostgreSQL is not installed (${PREFERRED_BIN}/initdb is missing): run bash scripts/install-test-deps.sh as root, or apt-get install postgresql`;
const READY = /database system is ready to accept connections/;
const LOG_LIMIT = 64 * 1024;

export function findPostgresBin() {
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

// As root: run as postgres, and QUIT (immediate shutdown) the postmaster if this process dies.
function asPostgres(program, args) {
  return isRoot() ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', '--pdeathsig=QUIT', program, ...args]] : [program, args];
}

async function freePort() {
  const server = createServer().listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// The postgres user must reach the cluster directory: give ancestors that lack it search (x) for others.
function makeReachable(dir) {
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

function postgresIds() {
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) throw new Error(`no postgres user on this machine: ${MISSING}`);
  return { uid, gid };
}

function initdb(bin, dataDir) {
  // --no-sync: a throwaway cluster need not survive a power cut.
  const [program, args] = asPostgres(join(bin, 'initdb'), ['-D', dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions']);
  const result = spawnSync(program, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`initdb could not run (${program}): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`initdb failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}

async function startPostmaster(bin, dataDir, socketDir, port) {
  const settings = [
    `listen_addresses=${HOST}`,
    `port=${port}`,
    `unix_socket_directories=${socketDir}`,
    // Throwaway cluster: durability buys nothing here. NOTE for benchmarks: numbers measured with
    // fsync off flatter write-heavy work; say so next to any figure taken with this launcher.
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
    // PostgreSQL's defaults for memory (the tests shrink them to run two clusters at once).
    'shared_buffers=128MB',
    'max_connections=100',
    'max_wal_senders=0',
    'wal_level=minimal',
  ];
  const [program, args] = asPostgres(join(bin, 'postgres'), ['-D', dataDir, ...settings.flatMap((s) => ['-c', s])]);
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    log = (log + chunk).slice(-LOG_LIMIT);
  });
  const deadline = Date.now() + 30_000;
  while (!READY.test(log)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited (${child.exitCode ?? child.signalCode}) before accepting connections:\n${log}`);
    if (Date.now() > deadline) {
      await stopPostmaster({ child }, 'SIGQUIT');
      throw new Error(`postgres did not accept connections on ${HOST}:${port} within 30 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, log: () => log };
}

// SIGINT = fast shutdown, SIGQUIT = immediate shutdown (PostgreSQL's own signal meanings).
async function stopPostmaster({ child }, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Start a throwaway cluster; resolves once it accepts connections. */
export async function startPostgres() {
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
    let pm;
    let port = 0;
    let lastError;
    for (let attempt = 0; attempt < 3 && pm === undefined; attempt++) {
      port = await freePort();
      try {
        pm = await startPostmaster(bin, dataDir, dir, port);
      } catch (err) {
        lastError = err;
        if (!/could not bind|address already in use/i.test(String(err))) break;
      }
    }
    if (pm === undefined) throw lastError;
    let earlier = '';
    const urlFor = (database) => `postgres://postgres@${HOST}:${port}/${encodeURIComponent(database)}`;
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
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** `fn` with a client on `url` of its own, ended after it. */
export async function withDb(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
