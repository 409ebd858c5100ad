/**
 * A real PowerDNS Authoritative server (Debian `pdns-server` + `pdns-backend-sqlite3`) as a
 * throwaway instance on 127.0.0.1: DNS on a random port, the HTTP API on another, a sqlite3
 * database in a temp dir loaded with zones by the real `pdnsutil`, no security poll (it would
 * query the internet), no notifications. pdns_server runs in the foreground as our child and is
 * stopped by its PID. Answers are read with `dig`, not with the code under test.
 * A missing binary fails the test with the reason and the packages to install: nothing is skipped.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChild, waitUntilServing as waitUntilServingChild } from '../../bench/child-process.mjs';
import { freeTcpPort, freeTcpUdpPort } from './ports.js';
import { tempDir } from './pki.js';

const execFileAsync = promisify(execFile);

const PDNS_SERVER = '/usr/sbin/pdns_server';
const PDNSUTIL = '/usr/bin/pdnsutil';
const SCHEMA = '/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql';
const HOST = '127.0.0.1';

export interface PdnsOptions {
  /** Zones to serve (no trailing dot). Default: example.test. */
  zones?: string[];
  /** Extra zone-file lines per zone, relative to its origin: { 'example.test': ['www IN A 127.0.0.1'] }. */
  records?: Record<string, string[]>;
  /** Name servers of each zone besides ns1 (127.0.0.1, this server): `{ name, address }` for NS + A records. */
  extraNameServers?: { name: string; address: string }[];
}

export interface RunningPdns {
  host: string;
  dnsPort: number;
  /** "127.0.0.1:PORT": the DNS side, the shape `server:` takes. */
  server: string;
  /** http://127.0.0.1:PORT, as lego's PDNS_API_URL. */
  apiUrl: string;
  apiKey: string;
  zones: string[];
  readonly log: string;
  /** TXT strings at `name` on this server, read by the real `dig` (no recursion). */
  digTxt(name: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Throw, naming what is missing and how to get it, unless PowerDNS and its sqlite3 backend are installed. */
export function requirePdns(): void {
  const missing = [PDNS_SERVER, PDNSUTIL, SCHEMA].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`PowerDNS is not installed (missing ${missing.join(', ')}): run scripts/install-test-deps.sh as root (apt-get install pdns-server pdns-backend-sqlite3 sqlite3)`);
  }
}

function zoneFile(zone: string, records: string[], extra: { name: string; address: string }[]): string {
  return [
    `$ORIGIN ${zone}.`,
    '$TTL 60',
    `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${zone}.`,
    'ns1 IN A 127.0.0.1',
    ...extra.flatMap((ns) => [`@ IN NS ${ns.name}.${zone}.`, `${ns.name} IN A ${ns.address}`]),
    '@ IN A 127.0.0.1',
    '* IN A 127.0.0.1',
    ...records,
    '',
  ].join('\n');
}

function pdnsConf(dir: string): string {
  return [`launch=gsqlite3`, `gsqlite3-database=${join(dir, 'pdns.sqlite3')}`, ''].join('\n');
}

/** Start pdns_server; resolves once the API lists every zone and DNS answers SOA for each. */
export async function startPdns(options: PdnsOptions = {}): Promise<RunningPdns> {
  requirePdns();
  const zones = options.zones ?? ['example.test'];
  const dir = tempDir('certfleet-pdns-');
  const apiKey = randomBytes(18).toString('base64url');
  try {
    writeFileSync(join(dir, 'pdns.conf'), pdnsConf(dir));
    await execFileAsync('sqlite3', [join(dir, 'pdns.sqlite3'), `.read ${SCHEMA}`]);
    for (const zone of zones) {
      const file = join(dir, `${zone}.zone`);
      writeFileSync(file, zoneFile(zone, options.records?.[zone] ?? [], options.extraNameServers ?? []));
      await execFileAsync(PDNSUTIL, [`--config-dir=${dir}`, 'load-zone', zone, file]);
    }
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`preparing the PowerDNS database failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
  }

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dnsPort = await freeTcpUdpPort();
    const apiPort = await freeTcpPort();
    const child = spawn(
      PDNS_SERVER,
      [
        `--config-dir=${dir}`,
        `--socket-dir=${dir}`,
        `--local-address=${HOST}`,
        `--local-port=${dnsPort}`,
        '--api=yes',
        `--api-key=${apiKey}`,
        '--webserver=yes',
        `--webserver-address=${HOST}`,
        `--webserver-port=${apiPort}`,
        '--webserver-allow-from=127.0.0.0/8',
        // Never on the network: no security poll (a DNS query to the internet), no notifications.
        '--security-poll-suffix=',
        '--primary=no',
        '--secondary=no',
        '--daemon=no',
        '--guardian=no',
        '--disable-syslog',
        '--write-pid=no',
        '--loglevel=6',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        log += chunk;
      });
    }
    const running = makeRunning(child, dir, dnsPort, apiPort, apiKey, zones, () => log);
    try {
      await waitUntilServing(child, running, () => log);
      return running;
    } catch (err) {
      lastError = err;
      await stopChild(child);
      if (!/address already in use|bind/i.test(log)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** Serving: the API lists every zone and the DNS port answers SOA for each. */
function waitUntilServing(child: ChildProcess, pdns: RunningPdns, log: () => string): Promise<void> {
  return waitUntilServingChild(
    child,
    async () => {
      const response = await fetch(`${pdns.apiUrl}/api/v1/servers/localhost/zones`, { headers: { 'x-api-key': pdns.apiKey } });
      const listed = response.ok ? ((await response.json()) as { name: string }[]).map((z) => z.name) : [];
      if (!pdns.zones.every((zone) => listed.includes(`${zone}.`))) return false;
      for (const zone of pdns.zones) if (!(await dig(pdns.dnsPort, zone, 'SOA')).includes('SOA')) return false;
      return true;
    },
    { exited: () => `pdns_server exited before serving:\n${log()}`, timedOut: () => `pdns_server did not serve on ${HOST}:${pdns.dnsPort} within 20 s:\n${log()}` },
  );
}

async function dig(port: number, name: string, type: string): Promise<string> {
  const { stdout } = await execFileAsync('dig', ['+norecurse', '+noall', '+answer', '+time=2', '+tries=1', '-p', String(port), `@${HOST}`, name, type]);
  return stdout;
}

function makeRunning(child: ChildProcess, dir: string, dnsPort: number, apiPort: number, apiKey: string, zones: string[], log: () => string): RunningPdns {
  return {
    host: HOST,
    dnsPort,
    server: `${HOST}:${dnsPort}`,
    apiUrl: `http://${HOST}:${apiPort}`,
    apiKey,
    zones,
    get log() {
      return log();
    },
    async digTxt(name) {
      let stdout: string;
      try {
        ({ stdout } = await execFileAsync('dig', ['+norecurse', '+short', '+time=2', '+tries=1', '-p', String(dnsPort), `@${HOST}`, name, 'TXT']));
      } catch (err) {
        throw new Error(`dig failed (is bind9-dnsutils installed?): ${(err as Error).message}`, { cause: err });
      }
      // dig +short prints each TXT as quoted strings: "abc" or "part1" "part2".
      return stdout
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join(''))
        .sort();
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
