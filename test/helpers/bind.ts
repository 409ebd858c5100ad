/**
 * A real BIND 9 (Debian `bind9`, /usr/sbin/named) on 127.0.0.1 at a random port, for dns-01 tests:
 * authoritative only (recursion no), no IPv6, zones of our choosing, one TSIG key allowed to
 * update them and one that is known but not allowed. Everything (config, zone files, journals,
 * pid file) lives in a temp dir; named runs in the foreground (-g) as our child and is stopped by
 * its PID. Readiness and answers are checked with dns-packet directly, not with the code under
 * test, so a bug there cannot make the harness agree with it.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { stopChild, waitUntilServing as waitUntilServingChild } from '../../bench/child-process.mjs';
import { freeTcpUdpPort } from './ports.js';
import { tempDir } from './pki.js';

const NAMED = '/usr/sbin/named';
const HOST = '127.0.0.1';

export interface TsigKey {
  name: string;
  algorithm: 'hmac-sha256' | 'hmac-sha512' | 'hmac-sha1';
  /** base64 */
  secret: string;
}

export interface BindOptions {
  /** Zones to serve (no trailing dot). Default: example.test. */
  zones?: string[];
  /** Extra zone-file lines per zone, relative to its origin: { 'example.test': ['www IN A 127.0.0.1'] }. */
  records?: Record<string, string[]>;
  /** Zones no key may update (REFUSED): a CNAME target the TSIG key cannot write. */
  readOnlyZones?: string[];
}

export interface RunningBind {
  host: string;
  port: number;
  /** "127.0.0.1:PORT", the shape the rfc2136 config takes. */
  server: string;
  zones: string[];
  /** Allowed to update every zone (hmac-sha256). */
  updateKey: TsigKey;
  /** Also allowed to update every zone: one key per algorithm (hmac-sha256, hmac-sha512, hmac-sha1). */
  updateKeys: TsigKey[];
  /** Known to named (so not BADKEY) but allowed to update nothing (REFUSED). */
  otherKey: TsigKey;
  /** What named printed (it logs to stderr under -g); for failure messages. */
  readonly log: string;
  /** TXT strings at `name` on this server, read with dns-packet over UDP (no recursion). */
  txt(name: string): Promise<string[]>;
  /** TXT strings at `name` read by the real `dig` client. */
  digTxt(name: string): Promise<string[]>;
  stop(): Promise<void>;
}


function zoneFile(zone: string, records: string[]): string {
  return [
    '$TTL 60',
    `@ IN SOA ns1.${zone}. hostmaster.${zone}. 1 3600 600 86400 60`,
    `@ IN NS ns1.${zone}.`,
    'ns1 IN A 127.0.0.1',
    // Every name resolves to loopback, so an ACME server pointed at this BIND (Pebble's
    // -dnsserver) connects back to the solver's listener for any test domain.
    '@ IN A 127.0.0.1',
    '* IN A 127.0.0.1',
    ...records,
    '',
  ].join('\n');
}

function namedConf(dir: string, port: number, zones: string[], updateKeys: TsigKey[], otherKey: TsigKey, readOnlyZones: readonly string[] = []): string {
  const keyBlock = (k: TsigKey) => `key "${k.name}" { algorithm ${k.algorithm}; secret "${k.secret}"; };`;
  const zoneBlock = (zone: string) => `
zone "${zone}" {
  type primary;
  file "${join(dir, `${zone}.zone`)}";
  journal "${join(dir, `${zone}.zone.jnl`)}";
  allow-update { ${readOnlyZones.includes(zone) ? 'none;' : updateKeys.map((k) => `key "${k.name}";`).join(' ')} };
};`;
  return `
options {
  directory "${dir}";
  pid-file "${join(dir, 'named.pid')}";
  session-keyfile "${join(dir, 'session.key')}";
  managed-keys-directory "${dir}";
  listen-on port ${port} { ${HOST}; };
  listen-on-v6 { none; };
  recursion no;
  allow-query { any; };
  dnssec-validation no;
  notify no;
};
controls { };
${updateKeys.map(keyBlock).join('\n')}
${keyBlock(otherKey)}
${zones.map(zoneBlock).join('\n')}
`;
}

async function udpQuery(port: number, name: string, type: 'SOA' | 'TXT', timeoutMs = 1000): Promise<dnsPacket.DecodedPacket & { rcode?: string }> {
  const socket = createSocket('udp4');
  try {
    const id = Math.floor(Math.random() * 65535);
    const message = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ type, name, class: 'IN' }] });
    const answer = new Promise<dnsPacket.DecodedPacket & { rcode?: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${HOST}:${port} in ${timeoutMs} ms`)), timeoutMs);
      socket.on('message', (buf) => {
        const packet = dnsPacket.decode(buf);
        if (packet.id !== id) return;
        clearTimeout(timer);
        resolve(packet);
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.send(message, port, HOST);
    return await answer;
  } finally {
    socket.close();
  }
}

function txtStrings(packet: dnsPacket.Packet, name: string): string[] {
  const wanted = name.replace(/\.$/, '').toLowerCase();
  return (packet.answers ?? [])
    .filter((a) => a.type === 'TXT' && a.name.toLowerCase() === wanted)
    .map((a) => {
      const data = (a as dnsPacket.TxtAnswer).data;
      const parts = Array.isArray(data) ? data : [data];
      return parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))).join('');
    })
    .sort();
}

function makeKey(name: string, algorithm: TsigKey['algorithm'] = 'hmac-sha256'): TsigKey {
  return { name, algorithm, secret: randomBytes(algorithm === 'hmac-sha512' ? 64 : 32).toString('base64') };
}

/** Start named; resolves once it answers SOA for every zone. */
export async function startBind(options: BindOptions = {}): Promise<RunningBind> {
  if (!existsSync(NAMED)) throw new Error('bind9 not installed: run npm test, which installs it');
  const zones = options.zones ?? ['example.test'];
  const updateKeys = [makeKey('certfleet-update'), makeKey('certfleet-update-sha512', 'hmac-sha512'), makeKey('certfleet-update-sha1', 'hmac-sha1')];
  const otherKey = makeKey('certfleet-readonly');
  const dir = tempDir('certfleet-bind-');
  for (const zone of zones) writeFileSync(join(dir, `${zone}.zone`), zoneFile(zone, options.records?.[zone] ?? []));

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeTcpUdpPort();
    const conf = join(dir, 'named.conf');
    writeFileSync(conf, namedConf(dir, port, zones, updateKeys, otherKey, options.readOnlyZones));
    // As root, named keeps root (no -u): it only touches this temp dir and a high port. Under
    // another user it runs as that user, which is all -u could give it anyway.
    const child = spawn(NAMED, ['-g', '-4', '-c', conf, '-n', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      log += chunk;
    });
    try {
      await waitUntilServing(child, port, zones, () => log);
      return running(child, dir, port, zones, updateKeys, otherKey, () => log);
    } catch (err) {
      lastError = err;
      await stopChild(child);
      if (!/address in use/i.test(log)) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** Serving: named answers SOA for every zone. */
function waitUntilServing(child: ChildProcess, port: number, zones: string[], log: () => string): Promise<void> {
  return waitUntilServingChild(
    child,
    async () => {
      for (const zone of zones) {
        const packet = await udpQuery(port, zone, 'SOA', 300);
        if (packet.rcode !== 'NOERROR' || !(packet.answers ?? []).some((a) => a.type === 'SOA')) return false;
      }
      return true;
    },
    { exited: () => `named exited before serving:\n${log()}`, timedOut: () => `named did not answer SOA on ${HOST}:${port} within 20 s:\n${log()}` },
  );
}

function running(
  child: ChildProcess,
  dir: string,
  port: number,
  zones: string[],
  updateKeys: TsigKey[],
  otherKey: TsigKey,
  log: () => string,
): RunningBind {
  return {
    host: HOST,
    port,
    server: `${HOST}:${port}`,
    zones,
    updateKey: updateKeys[0] as TsigKey,
    updateKeys,
    otherKey,
    get log() {
      return log();
    },
    async txt(name) {
      return txtStrings(await udpQuery(port, name, 'TXT'), name);
    },
    async digTxt(name) {
      // Under load dig may print ";; communications error ... timed out" on stdout and still exit 0
      // after a retry of its own: such an answer is not "no records", so it is asked again.
      for (let attempt = 1; ; attempt++) {
        const stdout = await new Promise<string>((resolve, reject) => {
          execFile('dig', ['+norecurse', '+short', '+time=2', '+tries=1', '-p', String(port), `@${HOST}`, name, 'TXT'], (err, out) => {
            if (err) return reject(new Error(`dig failed (is bind9-dnsutils installed?): ${err.message}`));
            resolve(out);
          });
        });
        const lines = stdout.split('\n').filter((line) => line.trim() !== '');
        if (lines.some((line) => line.startsWith(';'))) {
          if (attempt < 3) continue;
          throw new Error(`dig ${name} TXT did not get a clean answer in 3 tries:\n${stdout}`);
        }
        // dig +short prints each TXT as quoted strings: "abc" or "part1" "part2".
        const values = lines.map((line) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]).join(''));
        return values.sort();
      }
    },
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
